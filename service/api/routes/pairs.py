"""``GET /pairs``: need–offer pairs ranked over the whole pool, for moderators and admins."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from service.api.deps import MatcherDep, PostingsDep, StaffDep
from service.postings import to_out
from service.schemas.common import ERROR_RESPONSES
from service.schemas.matches import Pairs

router = APIRouter(tags=["pairs"], responses=ERROR_RESPONSES)


@router.get("/pairs", response_model=Pairs, summary="Ranked need–offer pairs (moderators)")
def pairs(
    principal: StaffDep,
    postings: PostingsDep,
    matcher: MatcherDep,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    min_score: Annotated[float, Query(ge=0.0, le=1.0)] = 0.0,
    per_need: Annotated[int, Query(ge=1, le=50, description="Most offers per need.")] = 3,
    per_offer: Annotated[int, Query(ge=1, le=50, description="Most needs per offer.")] = 3,
) -> dict[str, Any]:
    """Pairs of published, unexpired postings, best first; each has a stable `pair_id`
    (`<need_id>-<offer_id>`), its score, score components and reasons."""
    found = matcher.pairs(limit=limit, min_score=min_score, per_need=per_need, per_offer=per_offer)
    rows = postings.get_many(sorted({i for m in found for i in (m.need_id, m.offer_id)}))
    items = []
    for match in found:
        need, offer = rows.get(match.need_id), rows.get(match.offer_id)
        if need is None or offer is None:
            continue
        item = match.to_dict()
        item["need"] = to_out(need, principal)
        item["offer"] = to_out(offer, principal)
        items.append(item)
    return {"items": items}
