"""``GET /needs/{id}/matches`` and ``GET /offers/{id}/matches``."""

from typing import Annotated, Any

from fastapi import APIRouter, Query

from service.api.deps import MatcherDep, PostingsDep, PrincipalDep
from service.api.routes.postings import PostingId
from service.postings import to_out
from service.schemas.common import ERROR_RESPONSES
from service.schemas.enums import Language
from service.schemas.matches import NeedMatches, OfferMatches
from service.schemas.postings import Sector
from vocabulary import other_kind


def matches_router(kind: str) -> APIRouter:
    """The ranked counterparts of a ``kind`` posting, under ``/{kind}s/{id}/matches``."""
    other = other_kind(kind)  # type: ignore[arg-type]
    model = OfferMatches if kind == "need" else NeedMatches
    router = APIRouter(prefix=f"/{kind}s", tags=[f"{kind}s"], responses=ERROR_RESPONSES)

    @router.get(
        "/{posting_id}/matches",
        response_model=model,
        name=f"{kind}_matches",
        summary=f"Ranked {other}s for a {kind}",
    )
    def matches(
        posting_id: PostingId,
        principal: PrincipalDep,
        postings: PostingsDep,
        matcher: MatcherDep,
        limit: Annotated[int, Query(ge=1, le=100)] = 10,
        min_score: Annotated[float, Query(ge=0.0, le=1.0)] = 0.0,
        sector: Annotated[
            list[Sector] | None, Query(description=f"Only {other}s in these sectors.")
        ] = None,
        language: Annotated[
            list[Language] | None, Query(description=f"Only {other}s in these languages.")
        ] = None,
    ) -> dict[str, Any]:
        """Published, unexpired counterparts, best first, with score components and reasons.
        Any key may ask for a published posting; drafts only their organization and staff."""
        postings.get(principal, kind, posting_id)  # 404 unless visible
        found = matcher.matches(  # 404 NotIndexed when the index does not hold it (yet)
            posting_id,
            limit=limit,
            min_score=min_score,
            sectors=sector,
            languages=[lang.value for lang in language] if language else None,
        )
        rows = postings.get_many([m.counterpart(kind) for m in found])  # type: ignore[arg-type]
        items = []
        for match in found:
            row = rows.get(match.counterpart(kind))  # type: ignore[arg-type]
            if row is None:  # deleted since the search
                continue
            item = match.to_dict()
            item[other] = to_out(row, principal)
            items.append(item)
        return {"items": items}

    return router
