"""What other features read of the reviews: the accepted pairs (the meeting scheduler's
input), the rejected pairs (never proposed again) and the states of given pairs (ranked
pairs, posting pages)."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.db.models import PairInterestRow, PairReviewRow
from service.reviews.state import Need, Offer, changed, joined
from vocabulary import pair_id

PairKey = tuple[int, int]


@dataclass(frozen=True)
class AcceptedPair:
    """An accepted pair and its interest marks (the meeting scheduler's input)."""

    need_id: int
    offer_id: int
    reason: str | None
    note: str | None
    reviewed_at: datetime
    changed_since_review: bool
    need_interested: bool | None
    offer_interested: bool | None

    @property
    def pair_id(self) -> str:
        """``"<need_id>-<offer_id>"``."""
        return pair_id(self.need_id, self.offer_id)

    @property
    def mutual_interest(self) -> bool:
        """Both sides said they are interested."""
        return bool(self.need_interested and self.offer_interested)


def accepted_pairs(
    session: Session,
    need_ids: Collection[int] | None = None,
    offer_ids: Collection[int] | None = None,
) -> list[AcceptedPair]:
    """Accepted pairs (optionally only those of ``need_ids`` / ``offer_ids``) with their
    interest marks, ordered by need id then offer id. Pairs whose need or offer was
    deleted are left out."""
    query = joined().where(
        PairReviewRow.decision == "accepted", Need.id.is_not(None), Offer.id.is_not(None)
    )
    if need_ids is not None:
        query = query.where(PairReviewRow.need_id.in_(list(need_ids)))
    if offer_ids is not None:
        query = query.where(PairReviewRow.offer_id.in_(list(offer_ids)))
    query = query.order_by(PairReviewRow.need_id, PairReviewRow.offer_id)
    return [
        AcceptedPair(
            need_id=review.need_id,
            offer_id=review.offer_id,
            reason=review.reason,
            note=review.note,
            reviewed_at=review.reviewed_at,
            changed_since_review=changed(review, need, offer),
            need_interested=interest.need_interested if interest else None,
            offer_interested=interest.offer_interested if interest else None,
        )
        for review, need, offer, interest in session.execute(query)
    ]


def rejected_pairs(session: Session) -> set[PairKey]:
    """``(need_id, offer_id)`` of every rejected pair."""
    query = select(PairReviewRow.need_id, PairReviewRow.offer_id).where(
        PairReviewRow.decision == "rejected"
    )
    return {(n, o) for n, o in session.execute(query)}


def rejected_of(session: Session, kind: str, posting_id: int) -> set[PairKey]:
    """``(need_id, offer_id)`` of the rejected pairs of one need or offer."""
    column = PairReviewRow.need_id if kind == "need" else PairReviewRow.offer_id
    query = select(PairReviewRow.need_id, PairReviewRow.offer_id).where(
        PairReviewRow.decision == "rejected", column == posting_id
    )
    return {(n, o) for n, o in session.execute(query)}


#: From this many pairs on, :func:`pair_states` reads the tables whole.
WHOLE_TABLE_FROM = 300


def pair_states(
    session: Session, pairs: Iterable[PairKey]
) -> tuple[dict[PairKey, PairReviewRow], dict[PairKey, PairInterestRow]]:
    """Reviews and interest marks of ``pairs``, by ``(need_id, offer_id)`` (pairs without
    one are left out)."""
    wanted = set(pairs)
    if not wanted:
        return {}, {}
    needs = sorted({n for n, _ in wanted})
    offers = sorted({o for _, o in wanted})
    reviews: dict[PairKey, PairReviewRow] = {}
    interests: dict[PairKey, PairInterestRow] = {}
    if len(wanted) > WHOLE_TABLE_FROM:
        # A whole queue: one plain read of both tables (a fair's few thousand rows) beats
        # compiling IN lists of a thousand ids (most of a /review view's time otherwise).
        for review in session.scalars(select(PairReviewRow)):
            if (key := (review.need_id, review.offer_id)) in wanted:
                reviews[key] = review
        for interest in session.scalars(select(PairInterestRow)):
            if (key := (interest.need_id, interest.offer_id)) in wanted:
                interests[key] = interest
        return reviews, interests
    for chunk in _chunks(needs):
        for review in session.scalars(
            select(PairReviewRow).where(
                PairReviewRow.need_id.in_(chunk), PairReviewRow.offer_id.in_(offers)
            )
        ):
            key = (review.need_id, review.offer_id)
            if key in wanted:
                reviews[key] = review
        for interest in session.scalars(
            select(PairInterestRow).where(
                PairInterestRow.need_id.in_(chunk), PairInterestRow.offer_id.in_(offers)
            )
        ):
            key = (interest.need_id, interest.offer_id)
            if key in wanted:
                interests[key] = interest
    return reviews, interests


def _chunks(items: Sequence[int], size: int = 500) -> Iterable[Sequence[int]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
