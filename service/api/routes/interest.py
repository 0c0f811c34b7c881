"""``POST /pairs/{pair_id}/interest``: the need's and the offer's organizations say
whether they want to meet."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from service.api.deps import PrincipalDep, ReviewsDep, require_json
from service.api.params import PairIdPath
from service.schemas.common import ERROR_RESPONSES
from service.schemas.reviews import InterestIn, InterestOut

router = APIRouter(tags=["pairs"], responses=ERROR_RESPONSES)


@router.post(
    "/pairs/{pair_id}/interest",
    response_model=InterestOut,
    summary="Mark interest in a pair (owners, moderators)",
    dependencies=[Depends(require_json)],
)
def mark_interest(
    pair_id: PairIdPath, data: InterestIn, principal: PrincipalDep, reviews: ReviewsDep
) -> InterestOut:
    """The need's organization marks the `need` side, the offer's organization the `offer`
    side (`side` may be left out); moderators and admins mark either side on their behalf
    (`side` required). Anyone else gets 403."""
    return reviews.set_interest(principal, pair_id, data)
