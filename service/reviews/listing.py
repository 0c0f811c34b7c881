"""``GET /reviews``: reviewed pairs by filter, a page of them, every one as CSV, and the
number of reviews per decision."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, func, not_, select

from service.auth.roles import Principal
from service.csv_export import Column, header, write_csv, write_xlsx
from service.db.engine import Database
from service.db.models import PairInterestRow, PairReviewRow, PostingRow
from service.reviews.state import (
    Need,
    Offer,
    changed,
    changed_sql,
    interest_state,
    joined,
    review_item,
)
from service.schemas.reviews import ReviewItem
from vocabulary import pair_id


@dataclass
class ReviewQuery:
    """Filters and page of ``GET /reviews``."""

    decision: str | None = None
    reason: str | None = None
    need_id: int | None = None
    offer_id: int | None = None
    changed: bool | None = None
    limit: int = 50
    offset: int = 0

    def conditions(self) -> list[ColumnElement[bool]]:
        """SQL conditions of the filters that are set (over :func:`joined`)."""
        out: list[ColumnElement[bool]] = []
        if self.decision:
            out.append(PairReviewRow.decision == self.decision)
        if self.reason:
            out.append(PairReviewRow.reason == self.reason)
        if self.need_id is not None:
            out.append(PairReviewRow.need_id == self.need_id)
        if self.offer_id is not None:
            out.append(PairReviewRow.offer_id == self.offer_id)
        if self.changed is True:
            out.append(changed_sql())
        elif self.changed is False:
            out.append(not_(changed_sql()))
        return out


#: A row of :func:`joined`: the review, its need, its offer, its interest marks.
Joined = tuple[PairReviewRow, PostingRow | None, PostingRow | None, PairInterestRow | None]


def _newest_first(query: ReviewQuery) -> Any:
    return (
        joined()
        .where(*query.conditions())
        .order_by(PairReviewRow.reviewed_at.desc(), PairReviewRow.need_id, PairReviewRow.offer_id)
    )


def search(
    database: Database, principal: Principal, query: ReviewQuery
) -> tuple[list[ReviewItem], int]:
    """The page ``query.offset`` … ``offset + limit`` of the matching reviews, most recently
    reviewed first, as ``principal`` may see them, and how many match in all."""
    conditions = query.conditions()
    with database.session() as session:
        count = (
            select(func.count())
            .select_from(PairReviewRow)
            .outerjoin(Need, Need.id == PairReviewRow.need_id)
            .outerjoin(Offer, Offer.id == PairReviewRow.offer_id)
            .where(*conditions)
        )
        total = session.scalar(count) or 0
        rows = session.execute(_newest_first(query).limit(query.limit).offset(query.offset))
        items = [review_item(r, n, o, i, principal) for r, n, o, i in rows]
    return items, total


def decision_counts(database: Database) -> dict[str, int]:
    """How many pairs currently have each decision (decisions nobody took are left out)."""
    with database.session() as session:
        rows = session.execute(
            select(PairReviewRow.decision, func.count()).group_by(PairReviewRow.decision)
        )
        return {decision: count for decision, count in rows}


#: The review export: one line per reviewed pair (README: *Reviews and interest*).
REVIEW_CSV: tuple[Column[Joined], ...] = (
    Column("pair_id", lambda j: pair_id(j[0].need_id, j[0].offer_id)),
    Column("need_id", lambda j: j[0].need_id),
    Column("offer_id", lambda j: j[0].offer_id),
    Column("need_title", lambda j: j[1].title if j[1] else ""),
    Column("need_organization", lambda j: j[1].organization if j[1] else ""),
    Column("offer_title", lambda j: j[2].title if j[2] else ""),
    Column("offer_organization", lambda j: j[2].organization if j[2] else ""),
    Column("decision", lambda j: j[0].decision),
    Column("reason", lambda j: j[0].reason),
    Column("note", lambda j: j[0].note),
    Column("reviewed_at", lambda j: j[0].reviewed_at),
    Column("reviewer_org", lambda j: j[0].reviewer_org),
    Column("reviewer_key_id", lambda j: j[0].reviewer_key_id),
    Column("changed_since_review", lambda j: changed(j[0], j[1], j[2])),
    Column("need_interested", lambda j: interest_state(j[3]).need),
    Column("offer_interested", lambda j: interest_state(j[3]).offer),
    Column("mutual_interest", lambda j: interest_state(j[3]).mutual),
)

#: Columns of the CSV export, in order.
CSV_COLUMNS = header(REVIEW_CSV)


def export_csv(database: Database, query: ReviewQuery) -> str:
    """Every review matching the filters (no paging), newest first, as CSV text with a
    header row (columns :data:`CSV_COLUMNS`)."""
    with database.session() as session:
        rows: list[Joined] = [tuple(r) for r in session.execute(_newest_first(query))]  # type: ignore[misc]
        return write_csv(REVIEW_CSV, rows)


def export_xlsx(database: Database, query: ReviewQuery) -> bytes:
    """The rows of :func:`export_csv` as an XLSX workbook (same columns)."""
    with database.session() as session:
        rows: list[Joined] = [tuple(r) for r in session.execute(_newest_first(query))]  # type: ignore[misc]
        return write_xlsx(REVIEW_CSV, rows, "reviews")
