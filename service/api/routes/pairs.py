"""``GET /pairs``: need–offer pairs ranked over the whole pool, for moderators and admins.

Rejected pairs are never proposed; each pair carries its review and interest state. The
ranking and its filters are :mod:`service.ranked_pairs`.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from service.api.deps import RankedPairsDep, StaffDep
from service.ranked_pairs import PairQuery
from service.schemas.common import ERROR_RESPONSES
from service.schemas.matches import Pairs
from service.schemas.reviews import PairStatus

router = APIRouter(tags=["pairs"], responses=ERROR_RESPONSES)

Limit = Annotated[int, Query(ge=1, le=1000)]
MinScore = Annotated[float, Query(ge=0.0, le=1.0)]
PerNeed = Annotated[int, Query(ge=1, le=50, description="Most offers per need.")]
PerOffer = Annotated[int, Query(ge=1, le=50, description="Most needs per offer.")]
StatusFilter = Annotated[
    PairStatus | None,
    Query(description="Only pairs with this review state (`unreviewed`: no decision yet)."),
]
MutualFilter = Annotated[
    bool | None, Query(description="`true`: only pairs both sides are interested in.")
]


@router.get("/pairs", response_model=Pairs, summary="Ranked need–offer pairs (moderators)")
def pairs(
    principal: StaffDep,
    ranked: RankedPairsDep,
    limit: Limit = 100,
    min_score: MinScore = 0.0,
    per_need: PerNeed = 3,
    per_offer: PerOffer = 3,
    status: StatusFilter = None,
    mutual_interest: MutualFilter = None,
    include_rejected: Annotated[
        bool, Query(description="Also the rejected pairs (their `review` says so).")
    ] = False,
) -> dict[str, Any]:
    """Pairs of published, unexpired postings, best first; each has a stable `pair_id`
    (`<need_id>-<offer_id>`), its score, score components, reasons, `review` (or `null`)
    and `interest`. Rejected pairs are left out (ask `status=rejected` or
    `include_rejected=true` to see them).
    `status` and `mutual_interest` filter the best ranked pairs (the caps `per_need` and
    `per_offer` apply first); `GET /reviews` lists every reviewed pair."""
    query = PairQuery(
        limit,
        min_score,
        per_need,
        per_offer,
        status,
        mutual_interest,
        include_rejected=include_rejected,
    )
    return {"items": [pair.to_item(principal) for pair in ranked.search(query)]}
