"""``GET /reviews/audit``: every decision ever taken, as it was taken."""

from __future__ import annotations

from sqlalchemy import ColumnElement, func, select

from service.db.engine import Database
from service.db.models import PairReviewLogRow
from service.schemas.reviews import AuditEntry, DecisionState, Reviewer
from vocabulary import pair_id


def audit(
    database: Database,
    limit: int = 50,
    offset: int = 0,
    need_id: int | None = None,
    offer_id: int | None = None,
) -> tuple[list[AuditEntry], int]:
    """The page ``offset`` … ``offset + limit`` of the audit log (optionally of one need or
    offer), newest first, and how many entries match in all."""
    conditions: list[ColumnElement[bool]] = []
    if need_id is not None:
        conditions.append(PairReviewLogRow.need_id == need_id)
    if offer_id is not None:
        conditions.append(PairReviewLogRow.offer_id == offer_id)
    with database.session() as session:
        count = select(func.count()).select_from(PairReviewLogRow).where(*conditions)
        total = session.scalar(count) or 0
        rows = session.scalars(
            select(PairReviewLogRow)
            .where(*conditions)
            .order_by(PairReviewLogRow.created_at.desc(), PairReviewLogRow.id.desc())
            .limit(limit)
            .offset(offset)
        )
        items = [
            AuditEntry(
                id=row.id,
                pair_id=pair_id(row.need_id, row.offer_id),
                need_id=row.need_id,
                offer_id=row.offer_id,
                at=row.created_at,
                reviewer=Reviewer(
                    key_id=row.reviewer_key_id,
                    organization=row.reviewer_org,
                    role=row.reviewer_role,
                ),
                before=DecisionState(**row.before) if row.before else None,
                after=DecisionState(**row.after),
            )
            for row in rows
        ]
    return items, total
