"""Staff decisions on pairs: one current review per pair, every decision in the audit log."""

from __future__ import annotations

from typing import Any

from sqlalchemy.exc import IntegrityError

from service.auth.roles import Principal
from service.db.engine import Database
from service.db.models import PairInterestRow, PairReviewLogRow, PairReviewRow
from service.db.types import utcnow
from service.errors import Conflict, Forbidden
from service.pair_ids import parse_pair_id
from service.reviews.state import pair_rows, review_item
from service.schemas.reviews import ReviewIn, ReviewItem

#: Attempts when a concurrent first review of the same pair wins the insert.
RETRIES = 3


class ReviewConflict(Conflict):
    """Someone decided on the pair since the moderator saw it (``expected_revision`` is
    outdated); ``current`` is the decision now stored."""

    error_type = "review_conflict"

    def __init__(self, pair_id: str, expected: int | None, current: ReviewItem) -> None:
        review = current.review
        seen = f"revision {expected}" if expected is not None else "no review"
        super().__init__(
            f"pair {pair_id} was decided since you saw {seen}: {review.decision.value} by "
            f"{review.reviewer_org} (revision {review.revision}); look again and decide anew",
            ("body", "expected_revision"),
            f"cặp {pair_id} vừa được {review.reviewer_org} quyết định "
            f"({VI_DECISIONS[review.decision.value]}, lần {review.revision}) sau khi bạn mở "
            "trang; hãy xem lại rồi quyết định",
        )
        self.current = current

    def detail(self, lang: str = "en") -> list[dict[str, object]]:
        """The error item, with the Vietnamese message and the current review."""
        item = super().detail(lang)[0]
        item["msg_vi"] = self.msg_vi
        item["current"] = self.current.model_dump(mode="json")
        return [item]


#: Decisions as the Vietnamese conflict message names them.
VI_DECISIONS = {"accepted": "chấp nhận", "rejected": "từ chối", "maybe": "để sau"}


def _decision(row: PairReviewRow) -> dict[str, Any]:
    return {"decision": row.decision, "reason": row.reason, "note": row.note}


def record_review(
    database: Database, principal: Principal, pair_id: str, data: ReviewIn
) -> ReviewItem:
    """Store ``data`` as the pair's current decision, with both postings' content hashes,
    and append it to the audit log; the reviewed pair comes back (staff only: 403).

    When ``data`` carries ``expected_revision`` (``None``: "no review yet") and the stored
    review's revision differs, nothing is stored: :class:`ReviewConflict` (409) carries the
    current review. The row lock (PostgreSQL) or the write lock (SQLite) makes the check
    and the write one step."""
    if not principal.is_staff:
        raise Forbidden("only moderators and admins may review pairs")
    need_id, offer_id = parse_pair_id(pair_id)
    decision = data.decision.value
    reason = data.reason.value if data.reason else None
    after = {"decision": decision, "reason": reason, "note": data.note}
    for attempt in range(RETRIES):
        with database.session(write=True) as session:
            need, offer = pair_rows(session, need_id, offer_id)
            row = session.get(PairReviewRow, (need_id, offer_id), with_for_update=True)
            if data.checks_revision:
                current = row.revision if row is not None else None
                if current != data.expected_revision:
                    interest = session.get(PairInterestRow, (need_id, offer_id))
                    if row is None:  # the review the caller saw is gone: nothing to show
                        raise Conflict(
                            f"pair {pair_id} has no review any more",
                            ("body", "expected_revision"),
                            f"cặp {pair_id} không còn quyết định nào",
                        )
                    state = review_item(row, need, offer, interest, principal)
                    raise ReviewConflict(pair_id, data.expected_revision, state)
            before = _decision(row) if row is not None else None
            if row is None:
                row = PairReviewRow(need_id=need_id, offer_id=offer_id, revision=1)
                session.add(row)
            else:
                row.revision = (row.revision or 1) + 1
            now = utcnow()
            row.decision = decision
            row.reason = reason
            row.note = data.note
            row.need_hash = need.content_hash
            row.offer_hash = offer.content_hash
            row.reviewer_key_id = principal.key_id
            row.reviewer_org = principal.organization
            row.reviewer_role = principal.role.value
            row.reviewed_at = now
            session.add(
                PairReviewLogRow(
                    need_id=need_id,
                    offer_id=offer_id,
                    reviewer_key_id=principal.key_id,
                    reviewer_org=principal.organization,
                    reviewer_role=principal.role.value,
                    before=before,
                    after=after,
                    created_at=now,
                )
            )
            try:
                session.commit()
            except IntegrityError:  # a concurrent first review of the same pair
                session.rollback()
                if attempt + 1 == RETRIES:
                    raise
                continue
            interest = session.get(PairInterestRow, (need_id, offer_id))
            return review_item(row, need, offer, interest, principal)
    raise AssertionError("unreachable")  # pragma: no cover
