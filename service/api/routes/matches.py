"""``GET /needs/{id}/matches`` and ``GET /offers/{id}/matches``."""

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request

from service.api.deps import MatcherDep, PostingsDep, PrincipalDep, ReviewsDep
from service.api.routes.postings import PostingId
from service.errors import Forbidden
from service.matching import NotIndexed
from service.postings import to_out
from service.ranked_pairs import suggestions
from service.schemas.common import ERROR_RESPONSES
from service.schemas.enums import Language
from service.schemas.matches import NeedMatches, OfferMatches
from service.schemas.postings import Sector
from vocabulary import other_kind

#: Longest a match request waits for a busy follower before answering "not indexed".
CATCH_UP_WAIT = 5.0


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
        request: Request,
        posting_id: PostingId,
        principal: PrincipalDep,
        postings: PostingsDep,
        matcher: MatcherDep,
        reviews: ReviewsDep,
        limit: Annotated[int, Query(ge=1, le=100)] = 10,
        min_score: Annotated[float, Query(ge=0.0, le=1.0)] = 0.0,
        sector: Annotated[
            list[Sector] | None, Query(description=f"Only {other}s in these sectors.")
        ] = None,
        language: Annotated[
            list[Language] | None, Query(description=f"Only {other}s in these languages.")
        ] = None,
        include_rejected: Annotated[
            bool,
            Query(description="Staff only: also the pairs moderators rejected (`review` says so)."),
        ] = False,
    ) -> dict[str, Any]:
        """Published, unexpired counterparts, best first, with score components, reasons
        and the moderators' `review` (`null`: none yet). Rejected pairs are never suggested;
        staff may ask for them with `include_rejected=true`. Any key may ask for a published
        posting; drafts only their organization and staff."""
        if include_rejected and not principal.is_staff:
            raise Forbidden(
                "only moderators and admins may ask for rejected pairs",
                ("query", "include_rejected"),
                "chỉ điều phối viên và quản trị viên được xem các cặp đã bị loại",
            )
        row = postings.get(principal, kind, posting_id)  # 404 unless visible

        def find() -> list[Any]:  # 404 NotIndexed when the index does not hold it (yet)
            return suggestions(
                postings,
                matcher,
                reviews,
                row,
                limit=limit,
                min_score=min_score,
                sectors=sector,
                languages=[lang.value for lang in language] if language else None,
                include_rejected=include_rejected,
            )

        try:
            found = find()
        except NotIndexed:
            # Written through another worker a moment ago: catch up with the change feed
            # (the write is committed, so its change is there; the follower thread may be
            # applying it right now), then ask again.
            follower = getattr(request.app.state, "follower", None)
            if follower is None:
                raise
            follower.catch_up(wait=CATCH_UP_WAIT)
            found = find()
        items = []
        for found_one in found:
            item = found_one.match.to_dict()
            item[other] = to_out(found_one.counterpart, principal)
            item["review"] = found_one.review
            items.append(item)
        return {"items": items}

    return router
