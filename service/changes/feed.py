"""Read and prune the change feed (the ``posting_changes`` table of migration 0008).

Rows are written by a database trigger in the transaction of each posting write, in
commit order (see the migration), so "every change after id ``n``" is exactly what a
worker that has applied ``n`` still has to apply. Functions take the :class:`Database`
and return plain values; none holds a session open.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete, func, select

from service.db.engine import Database
from service.db.models import PostingChangeRow
from service.db.types import utcnow

#: Most changes read in one batch.
BATCH = 1000


@dataclass(frozen=True)
class Change:
    """One posting write: change ``id``, the posting, and ``op`` (insert/update/delete)."""

    id: int
    posting_id: int
    op: str


def latest_id(database: Database) -> int:
    """The newest change id (0 when the feed is empty)."""
    with database.session() as session:
        return int(session.scalar(select(func.coalesce(func.max(PostingChangeRow.id), 0))) or 0)


def oldest_id(database: Database) -> int | None:
    """The oldest change id still kept (``None`` when the feed is empty)."""
    with database.session() as session:
        value = session.scalar(select(func.min(PostingChangeRow.id)))
        return None if value is None else int(value)


def read_after(database: Database, after: int, limit: int = BATCH) -> list[Change]:
    """At most ``limit`` changes with an id above ``after``, oldest first."""
    query = (
        select(PostingChangeRow.id, PostingChangeRow.posting_id, PostingChangeRow.op)
        .where(PostingChangeRow.id > after)
        .order_by(PostingChangeRow.id)
        .limit(limit)
    )
    with database.session() as session:
        return [Change(int(i), int(p), str(o)) for i, p, o in session.execute(query)]


def count_after(database: Database, after: int) -> int:
    """How many changes have an id above ``after`` (how far a worker is behind)."""
    query = select(func.count()).select_from(PostingChangeRow).where(PostingChangeRow.id > after)
    with database.session() as session:
        return int(session.scalar(query) or 0)


def prune(database: Database, keep: timedelta, below: int | None = None) -> int:
    """Delete changes older than ``keep`` (and, when ``below`` is given, only those with
    an id below it: what every live worker has applied). Returns how many went."""
    condition = PostingChangeRow.changed_at < utcnow() - keep
    if below is not None:
        condition = condition & (PostingChangeRow.id < below)
    with database.session(write=True) as session:
        result = session.execute(delete(PostingChangeRow).where(condition))
        session.commit()
        return int(getattr(result, "rowcount", 0) or 0)
