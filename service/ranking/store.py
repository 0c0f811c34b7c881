"""The ``ranking_models`` rows: every learn attempt and reset, appended, never changed.

The active ranking is the newest row with ``activated`` set: a ``learn`` row carries the
weights, a ``reset`` row means the built-in fusion; no such row means the built-in too.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.auth.roles import Principal
from service.db.models import RankingModelRow


def active(session: Session) -> RankingModelRow | None:
    """The row of the active ranking, or ``None`` (built-in, never learned or reset)."""
    query = (
        select(RankingModelRow)
        .where(RankingModelRow.activated.is_(True))
        .order_by(RankingModelRow.id.desc())
        .limit(1)
    )
    return session.scalars(query).first()


def active_version(session: Session) -> int | None:
    """Only the id of :func:`active` (the cheap check every worker runs)."""
    query = (
        select(RankingModelRow.id)
        .where(RankingModelRow.activated.is_(True))
        .order_by(RankingModelRow.id.desc())
        .limit(1)
    )
    return session.scalars(query).first()


def history(session: Session, limit: int = 20) -> list[RankingModelRow]:
    """The newest ``limit`` rows, newest first."""
    query = select(RankingModelRow).order_by(RankingModelRow.id.desc()).limit(limit)
    return list(session.scalars(query))


def append(
    session: Session,
    principal: Principal,
    action: str,
    activated: bool,
    decisions: int = 0,
    needs: int = 0,
    model: dict[str, Any] | None = None,
    figures: dict[str, Any] | None = None,
    reason: str | None = None,
) -> RankingModelRow:
    """Append one row (the caller commits) and return it with its id."""
    row = RankingModelRow(
        action=action,
        activated=activated,
        model=model,
        decisions=decisions,
        needs=needs,
        figures=figures,
        reason=reason,
        created_by_org=principal.organization,
        created_by_role=principal.role.value,
        created_by_key_id=principal.key_id,
    )
    session.add(row)
    session.flush()
    return row
