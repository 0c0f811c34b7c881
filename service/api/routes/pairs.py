"""``GET /pairs``: need–offer pairs ranked over the whole pool, for moderators and admins.

Rejected pairs are never proposed; each pair carries its review and interest state.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Annotated, Any

from fastapi import APIRouter, Query

from service.api.deps import MatcherDep, PostingsDep, StaffDep
from service.api.routes.reviews import ReviewsDep
from service.auth.roles import Principal
from service.matching import Matcher
from service.postings import PostingService, to_out
from service.reviews import ReviewService, interest_state, review_state
from service.schemas.common import ERROR_RESPONSES
from service.schemas.matches import Pairs
from service.schemas.reviews import PairStatus

router = APIRouter(tags=["pairs"], responses=ERROR_RESPONSES)

#: How many ranked pairs are looked at when a review/interest filter thins them out.
FILTER_POOL = 1000


@router.get("/pairs", response_model=Pairs, summary="Ranked need–offer pairs (moderators)")
def pairs(
    principal: StaffDep,
    postings: PostingsDep,
    matcher: MatcherDep,
    reviews: ReviewsDep,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    min_score: Annotated[float, Query(ge=0.0, le=1.0)] = 0.0,
    per_need: Annotated[int, Query(ge=1, le=50, description="Most offers per need.")] = 3,
    per_offer: Annotated[int, Query(ge=1, le=50, description="Most needs per offer.")] = 3,
    status: Annotated[
        PairStatus | None,
        Query(description="Only pairs with this review state (`unreviewed`: no decision yet)."),
    ] = None,
    mutual_interest: Annotated[
        bool | None, Query(description="`true`: only pairs both sides are interested in.")
    ] = None,
) -> dict[str, Any]:
    """Pairs of published, unexpired postings, best first; each has a stable `pair_id`
    (`<need_id>-<offer_id>`), its score, score components, reasons, `review` (or `null`)
    and `interest`. Rejected pairs are left out (ask `status=rejected` to see them).
    `status` and `mutual_interest` filter the best ranked pairs (the caps `per_need` and
    `per_offer` apply first); `GET /reviews` lists every reviewed pair."""
    return ranked_pairs(
        principal,
        postings,
        matcher,
        reviews,
        limit=limit,
        min_score=min_score,
        per_need=per_need,
        per_offer=per_offer,
        status=status,
        mutual_interest=mutual_interest,
    )


def ranked_pairs(
    principal: Principal,
    postings: PostingService,
    matcher: Matcher,
    reviews: ReviewService,
    *,
    limit: int = 100,
    min_score: float = 0.0,
    per_need: int = 3,
    per_offer: int = 3,
    status: PairStatus | None = None,
    mutual_interest: bool | None = None,
    need_ids: Collection[int] | None = None,
    offer_ids: Collection[int] | None = None,
) -> dict[str, Any]:
    """The body of ``GET /pairs`` (also used for a session's pairs, restricted to
    ``need_ids`` / ``offer_ids``)."""
    filtered = status is not None or mutual_interest is not None
    exclude = set() if status is PairStatus.rejected else reviews.rejected()
    found = matcher.pairs(
        limit=max(limit, FILTER_POOL) if filtered else limit,
        min_score=min_score,
        per_need=per_need,
        per_offer=per_offer,
        exclude=exclude,
        need_ids=need_ids,
        offer_ids=offer_ids,
    )
    rows = postings.get_many(sorted({i for m in found for i in (m.need_id, m.offer_id)}))
    decided, marks = reviews.states((m.need_id, m.offer_id) for m in found)
    items = []
    for match in found:
        need, offer = rows.get(match.need_id), rows.get(match.offer_id)
        if need is None or offer is None:
            continue
        key = (match.need_id, match.offer_id)
        review = review_state(decided.get(key), need, offer)
        interest = interest_state(marks.get(key))
        if status is not None:
            got = review.decision.value if review is not None else PairStatus.unreviewed.value
            if got != status.value:
                continue
        if mutual_interest is not None and interest.mutual != mutual_interest:
            continue
        item = match.to_dict()
        item["need"] = to_out(need, principal)
        item["offer"] = to_out(offer, principal)
        item["review"] = review
        item["interest"] = interest
        items.append(item)
        if len(items) >= limit:
            break
    return {"items": items}
