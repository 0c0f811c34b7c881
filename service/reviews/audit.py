"""``GET /reviews/audit``: every decision ever taken, as it was taken (JSON pages, or every
matching entry as CSV or XLSX)."""

from __future__ import annotations

from sqlalchemy import ColumnElement, func, select

from service.csv_export import Column, write_csv, write_xlsx
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


#: Every audit entry at once in an export (far more than any fair produces).
EXPORT_ALL = 10_000_000


def _state_column(side: str, field: str) -> Column[AuditEntry]:
    def value(entry: AuditEntry) -> object:
        state = entry.before if side == "before" else entry.after
        return getattr(state, field) if state is not None else None

    return Column(f"{side}_{field}", value)


#: The columns of the audit log's CSV and XLSX exports, in order.
AUDIT_CSV: tuple[Column[AuditEntry], ...] = (
    Column("id", lambda e: e.id),
    Column("pair_id", lambda e: e.pair_id),
    Column("need_id", lambda e: e.need_id),
    Column("offer_id", lambda e: e.offer_id),
    Column("at", lambda e: e.at),
    Column("reviewer_key_id", lambda e: e.reviewer.key_id),
    Column("reviewer_organization", lambda e: e.reviewer.organization),
    Column("reviewer_role", lambda e: e.reviewer.role),
    *(
        _state_column(side, field)
        for side in ("before", "after")
        for field in ("decision", "reason", "note")
    ),
)


def audit_export(
    database: Database, fmt: str, need_id: int | None = None, offer_id: int | None = None
) -> str | bytes:
    """Every matching audit entry, newest first, as CSV text (``fmt="csv"``) or XLSX."""
    items, _ = audit(database, EXPORT_ALL, 0, need_id, offer_id)
    if fmt == "csv":
        return write_csv(AUDIT_CSV, items)
    return write_xlsx(AUDIT_CSV, items, "audit")
