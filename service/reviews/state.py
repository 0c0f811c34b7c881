"""How a stored review and interest mark look to the API, and the joins that read them.

A review is *changed* once the content hash of its need or offer differs from the one
stored at review time (or the posting is gone).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.orm import Session, aliased

from service.auth.roles import Principal
from service.db.models import PairInterestRow, PairReviewRow, PostingRow
from service.errors import NotFound
from service.postings import to_out
from service.schemas.reviews import InterestState, ReviewItem, ReviewState
from vocabulary import pair_id

Need = aliased(PostingRow, name="need")
Offer = aliased(PostingRow, name="offer")


def changed(row: PairReviewRow, need: PostingRow | None, offer: PostingRow | None) -> bool:
    """Has the need or the offer changed (or gone) since ``row`` was decided?"""
    return (
        need is None
        or offer is None
        or need.content_hash != row.need_hash
        or offer.content_hash != row.offer_hash
    )


def changed_sql() -> ColumnElement[bool]:
    """:func:`changed` as an SQL condition over :func:`joined`."""
    return or_(
        Need.id.is_(None),
        Offer.id.is_(None),
        Need.content_hash != PairReviewRow.need_hash,
        Offer.content_hash != PairReviewRow.offer_hash,
    )


def joined() -> Any:
    """``SELECT review, need, offer, interest`` (outer joins: postings may be deleted)."""
    return (
        select(PairReviewRow, Need, Offer, PairInterestRow)
        .outerjoin(Need, Need.id == PairReviewRow.need_id)
        .outerjoin(Offer, Offer.id == PairReviewRow.offer_id)
        .outerjoin(
            PairInterestRow,
            and_(
                PairInterestRow.need_id == PairReviewRow.need_id,
                PairInterestRow.offer_id == PairReviewRow.offer_id,
            ),
        )
    )


def review_state(
    row: PairReviewRow | None, need: PostingRow | None, offer: PostingRow | None
) -> ReviewState | None:
    """The API view of a pair's review (``None`` when the pair was never reviewed)."""
    if row is None:
        return None
    return ReviewState(
        decision=row.decision,  # type: ignore[arg-type]
        reason=row.reason,  # type: ignore[arg-type]
        note=row.note,
        reviewed_at=row.reviewed_at,
        reviewer_org=row.reviewer_org,
        reviewer_key_id=row.reviewer_key_id,
        revision=row.revision or 1,
        changed_since_review=changed(row, need, offer),
    )


def interest_state(row: PairInterestRow | None) -> InterestState:
    """Each side's interest and whether it is mutual (all ``None`` when nobody said)."""
    if row is None:
        return InterestState()
    return InterestState(
        need=row.need_interested,
        offer=row.offer_interested,
        mutual=bool(row.need_interested and row.offer_interested),
    )


def review_item(
    review: PairReviewRow,
    need: PostingRow | None,
    offer: PostingRow | None,
    interest: PairInterestRow | None,
    principal: Principal,
) -> ReviewItem:
    """A reviewed pair as ``/reviews`` shows it to ``principal``."""
    state = review_state(review, need, offer)
    assert state is not None
    return ReviewItem(
        pair_id=pair_id(review.need_id, review.offer_id),
        need_id=review.need_id,
        offer_id=review.offer_id,
        need=to_out(need, principal) if need is not None else None,
        offer=to_out(offer, principal) if offer is not None else None,
        review=state,
        interest=interest_state(interest),
    )


def pair_rows(session: Session, need_id: int, offer_id: int) -> tuple[PostingRow, PostingRow]:
    """The need and the offer of a pair (404 at the path's ``pair_id`` when either is
    missing or of the wrong kind)."""
    need = session.get(PostingRow, need_id)
    offer = session.get(PostingRow, offer_id)
    if need is None or need.kind != "need":
        raise NotFound(f"need {need_id} not found", ("path", "pair_id"))
    if offer is None or offer.kind != "offer":
        raise NotFound(f"offer {offer_id} not found", ("path", "pair_id"))
    return need, offer
