"""Publishing a session's schedule, and closing a session to new registrations.

A schedule is a draft until it is published. Publishing stores the meetings as a numbered
version (``session_publications``); publishing again without a change to the meetings (or
to the session's times) keeps the same version, so nothing downstream (the e-mails) runs
twice. Participants see the latest published version, never the draft.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.auth.roles import Principal, can_edit
from service.db.engine import Database
from service.db.models import PostingRow, SessionPublicationRow, SessionRow
from service.db.types import utcnow
from service.errors import Invalid, NotFound
from service.sessions.agenda import Agenda, AgendaItem
from service.sessions.crud import session_out
from service.sessions.rows import require_staff, session_row, stored_meetings
from service.sessions.times import slot_end, slot_start
from vocabulary import pair_id


@dataclass(frozen=True)
class Publication:
    """A published version: its number, when, and whether this call created it."""

    session_id: int
    version: int
    published_at: datetime
    meetings: int
    new: bool


def _snapshot(session: Session, row: SessionRow) -> list[dict[str, Any]]:
    return [
        {
            "need_id": m.need_id,
            "offer_id": m.offer_id,
            "slot": m.slot,
            "table": m.table_no,
            "source": m.source,
            "start": slot_start(row, m.slot).isoformat(),
            "end": slot_end(row, m.slot).isoformat(),
        }
        for m in stored_meetings(session, row.id)
    ]


def _digest(row: SessionRow, meetings: list[dict[str, Any]]) -> str:
    data = {"name": row.name, "venue": row.venue, "meetings": meetings}
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()


def latest_row(session: Session, session_id: int) -> SessionPublicationRow | None:
    """The session's latest published version (``None`` before the first publish)."""
    return session.scalar(
        select(SessionPublicationRow)
        .where(SessionPublicationRow.session_id == session_id)
        .order_by(SessionPublicationRow.version.desc())
        .limit(1)
    )


def _publication(pub: SessionPublicationRow, new: bool) -> Publication:
    return Publication(pub.session_id, pub.version, pub.published_at, len(pub.meetings), new)


def publish_schedule(database: Database, principal: Principal, session_id: int) -> Publication:
    """Publish the stored schedule (staff): a new version when the meetings or the session's
    name, venue or times changed since the last one, else the last version again
    (``new`` false). 422 when the session was never scheduled."""
    require_staff(principal, "publish schedules")
    with database.session(write=True) as session:
        row = session_row(session, session_id)
        if row.scheduled_at is None:
            raise Invalid(
                "schedule the session before publishing it",
                ("path", "session_id"),
                "Hãy xếp lịch trước khi công bố.",
            )
        meetings = _snapshot(session, row)
        digest = _digest(row, meetings)
        last = latest_row(session, session_id)
        if last is not None and last.digest == digest:
            return _publication(last, new=False)
        pub = SessionPublicationRow(
            session_id=session_id,
            version=(last.version + 1) if last else 1,
            digest=digest,
            meetings=meetings,
            published_by_org=principal.organization,
            published_at=utcnow(),
        )
        session.add(pub)
        session.commit()
        return _publication(pub, new=True)


@dataclass(frozen=True)
class PublishState:
    """The latest version (or ``None``) and whether the stored schedule differs from it."""

    latest: Publication | None
    draft_changed: bool


def publish_state(database: Database, session_id: int) -> PublishState:
    """Is the stored schedule published as it stands? (404 when the session is unknown)"""
    with database.session() as session:
        row = session_row(session, session_id)
        last = latest_row(session, session_id)
        if last is None:
            return PublishState(None, row.scheduled_at is not None)
        changed = last.digest != _digest(row, _snapshot(session, row))
        return PublishState(_publication(last, new=False), changed)


def published_agenda(
    database: Database, principal: Principal, session_id: int, posting_id: int | None
) -> tuple[Agenda, int | None]:
    """The latest published meetings: the whole session (staff) or one posting's (its
    organization and staff; 404 otherwise), with the version (``None``: nothing published,
    no meetings)."""
    with database.session() as session:
        row = session_row(session, session_id)
        title = None
        if posting_id is None:
            require_staff(principal, "read the whole session's agenda")
        else:
            posting = session.get(PostingRow, posting_id)
            if posting is None or not can_edit(principal, posting.owner_org):
                raise NotFound(f"posting {posting_id} not found", ("query", "posting_id"))
            title = posting.title
        last = latest_row(session, session_id)
        meetings = list(last.meetings) if last else []
        if posting_id is not None:
            meetings = [m for m in meetings if posting_id in (m["need_id"], m["offer_id"])]
        ids = sorted({i for m in meetings for i in (m["need_id"], m["offer_id"])})
        postings = {
            p.id: p for p in session.scalars(select(PostingRow).where(PostingRow.id.in_(ids)))
        }
        items = []
        for m in meetings:
            need, offer = postings.get(m["need_id"]), postings.get(m["offer_id"])
            if need is None or offer is None:
                continue
            items.append(
                AgendaItem(
                    pair_id=pair_id(need.id, offer.id),
                    slot=m["slot"],
                    table=m["table"],
                    start=datetime.fromisoformat(m["start"]),
                    end=datetime.fromisoformat(m["end"]),
                    need_id=need.id,
                    need_title=need.title,
                    need_organization=need.organization or need.owner_org,
                    offer_id=offer.id,
                    offer_title=offer.title,
                    offer_organization=offer.organization or offer.owner_org,
                    source=m["source"],
                )
            )
        agenda = Agenda(session_out(session, row), posting_id, title, items)
        return agenda, (last.version if last else None)


def set_closed(database: Database, principal: Principal, session_id: int, closed: bool) -> None:
    """Close the session to new registrations by participants (staff), or open it again."""
    require_staff(principal, "close sessions")
    with database.session(write=True) as session:
        row = session_row(session, session_id)
        row.closed_at = utcnow() if closed else None
        session.commit()


def is_closed(database: Database, session_id: int) -> bool:
    """Whether the session no longer takes registrations (404 when unknown)."""
    with database.session() as session:
        return session_row(session, session_id).closed_at is not None
