"""``ReviewService``: the review use cases over one database, as routes and pages call them."""

from __future__ import annotations

from collections.abc import Iterable

from service.auth.roles import Principal
from service.db.engine import Database
from service.db.models import PairInterestRow, PairReviewRow
from service.reviews.audit import audit as audit_page
from service.reviews.audit import audit_export
from service.reviews.decisions import record_review
from service.reviews.interest import set_interest as mark_interest
from service.reviews.listing import (
    ReviewQuery,
    decision_counts,
    export_csv,
    export_xlsx,
    search,
)
from service.reviews.lookups import PairKey, pair_states, rejected_pairs
from service.schemas.reviews import AuditEntry, InterestIn, InterestOut, ReviewIn, ReviewItem


class ReviewService:
    """Reviews, the audit log and interest marks over one database."""

    def __init__(self, database: Database) -> None:
        self.database = database

    def review(self, principal: Principal, pair_id: str, data: ReviewIn) -> ReviewItem:
        """Record a staff decision on a pair (and append it to the audit log)."""
        return record_review(self.database, principal, pair_id, data)

    def set_interest(self, principal: Principal, pair_id: str, data: InterestIn) -> InterestOut:
        """Mark one side's interest in a pair (:func:`service.reviews.interest.set_interest`)."""
        return mark_interest(self.database, principal, pair_id, data)

    def search(self, principal: Principal, query: ReviewQuery) -> tuple[list[ReviewItem], int]:
        """A page of reviews, most recently reviewed first, and the total matched."""
        return search(self.database, principal, query)

    def export_csv(self, query: ReviewQuery) -> str:
        """Every review matching the filters (no paging) as CSV text with a header row."""
        return export_csv(self.database, query)

    def export_xlsx(self, query: ReviewQuery) -> bytes:
        """Every review matching the filters as an XLSX workbook."""
        return export_xlsx(self.database, query)

    def decision_counts(self) -> dict[str, int]:
        """How many pairs currently have each decision."""
        return decision_counts(self.database)

    def audit(
        self,
        limit: int = 50,
        offset: int = 0,
        need_id: int | None = None,
        offer_id: int | None = None,
    ) -> tuple[list[AuditEntry], int]:
        """A page of the audit log, newest first, and its total."""
        return audit_page(self.database, limit, offset, need_id, offer_id)

    def audit_export(
        self, fmt: str, need_id: int | None = None, offer_id: int | None = None
    ) -> str | bytes:
        """Every matching audit entry as CSV text (``fmt="csv"``) or XLSX bytes."""
        return audit_export(self.database, fmt, need_id, offer_id)

    def rejected(self) -> set[PairKey]:
        """``(need_id, offer_id)`` of every rejected pair."""
        with self.database.session() as session:
            return rejected_pairs(session)

    def states(
        self, pairs: Iterable[PairKey]
    ) -> tuple[dict[PairKey, PairReviewRow], dict[PairKey, PairInterestRow]]:
        """Reviews and interest marks of ``pairs``, by ``(need_id, offer_id)``."""
        with self.database.session() as session:
            return pair_states(session, pairs)
