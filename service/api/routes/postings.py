"""``/needs`` and ``/offers``: one router factory serves both kinds."""

from typing import Annotated

from fastapi import APIRouter, Body, Depends, Path, Query, Response, status

from service.api.deps import PostingsDep, PrincipalDep, require_json
from service.api.examples import CREATE_EXAMPLES, UPDATE_EXAMPLES
from service.coach import Draft, coach
from service.db.models import PostingRow
from service.matching import Matcher
from service.postings import ListQuery, to_out
from service.schemas.common import ERROR_RESPONSES, Page
from service.schemas.enums import Language, Status
from service.schemas.postings import HintOut, PostingCreate, PostingOut, PostingUpdate, Sector

PostingId = Annotated[int, Path(ge=1, le=2**62, description="Posting id.")]


def with_hints(out: PostingOut, row: PostingRow, matcher: Matcher) -> PostingOut:
    """``out`` carrying the coach's hints for the posting just written."""
    out.hints = [HintOut(**h.to_dict()) for h in coach(Draft.of_row(row), matcher)]
    return out


def postings_router(kind: str) -> APIRouter:
    """CRUD routes for postings of ``kind`` ("need" or "offer") under ``/{kind}s``."""
    router = APIRouter(prefix=f"/{kind}s", tags=[f"{kind}s"], responses=ERROR_RESPONSES)

    @router.post(
        "",
        status_code=status.HTTP_201_CREATED,
        response_model=PostingOut,
        name=f"create_{kind}",
        summary=f"Create a {kind}",
        dependencies=[Depends(require_json)],
    )
    def create(
        principal: PrincipalDep,
        postings: PostingsDep,
        data: Annotated[PostingCreate, Body(openapi_examples=CREATE_EXAMPLES[kind])],
    ) -> PostingOut:
        """Create a posting; it is indexed before the answer. The answer carries its `id`,
        its `language` (detected when not given) and the coach's `hints`."""
        row = postings.create(principal, kind, data)
        return with_hints(to_out(row, principal), row, postings.matcher)

    @router.get("", response_model=Page[PostingOut], name=f"list_{kind}s", summary=f"List {kind}s")
    def list_postings(
        principal: PrincipalDep,
        postings: PostingsDep,
        sector: Annotated[Sector | None, Query()] = None,
        language: Language | None = None,
        province: Annotated[str | None, Query(max_length=100)] = None,
        status_: Annotated[Status | None, Query(alias="status")] = None,
        q: Annotated[
            str | None,
            Query(
                max_length=200, description="Words that must all appear (accents and case ignored)."
            ),
        ] = None,
        organization: Annotated[str | None, Query(max_length=200, description="Owner.")] = None,
        include_expired: bool = False,
        limit: Annotated[int, Query(ge=1, le=100)] = 20,
        offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
    ) -> Page[PostingOut]:
        """Postings visible to the key, newest first: published ones, plus drafts and archived
        ones of the key's own organization (all of them for moderators and admins)."""
        query = ListQuery(
            sector=sector,
            language=language,
            province=province,
            status=status_,
            q=q,
            organization=organization,
            include_expired=include_expired,
            limit=limit,
            offset=offset,
        )
        rows, total = postings.search(principal, kind, query)
        return Page[PostingOut](
            items=[to_out(r, principal) for r in rows], total=total, limit=limit, offset=offset
        )

    @router.get(
        "/{posting_id}", response_model=PostingOut, name=f"get_{kind}", summary=f"Read a {kind}"
    )
    def read(posting_id: PostingId, principal: PrincipalDep, postings: PostingsDep) -> PostingOut:
        """One posting (404 when it does not exist or is not visible to the key)."""
        return to_out(postings.get(principal, kind, posting_id), principal)

    @router.patch(
        "/{posting_id}",
        response_model=PostingOut,
        name=f"update_{kind}",
        summary=f"Update a {kind}",
        dependencies=[Depends(require_json)],
    )
    def update(
        posting_id: PostingId,
        principal: PrincipalDep,
        postings: PostingsDep,
        data: Annotated[PostingUpdate, Body(openapi_examples=UPDATE_EXAMPLES)],
    ) -> PostingOut:
        """Change the fields present in the body (owner, moderators, admins). The answer
        carries the coach's `hints` for the posting as it is now."""
        row = postings.update(principal, kind, posting_id, data)
        return with_hints(to_out(row, principal), row, postings.matcher)

    @router.delete(
        "/{posting_id}",
        status_code=status.HTTP_204_NO_CONTENT,
        name=f"delete_{kind}",
        summary=f"Delete a {kind}",
        response_class=Response,
    )
    def delete(posting_id: PostingId, principal: PrincipalDep, postings: PostingsDep) -> Response:
        """Delete the posting and drop it from the index (owner, moderators, admins)."""
        postings.delete(principal, kind, posting_id)
        return Response(status_code=status.HTTP_204_NO_CONTENT)

    return router
