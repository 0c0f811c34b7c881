"""Posting pages: the organization's postings, one posting with its suggestions, and the
owner's interest marks on them."""

from __future__ import annotations

from typing import Any, cast

from fastapi import APIRouter, Request, Response
from fastapi.concurrency import run_in_threadpool

from service.api.deps import MatcherDep, PostingsDep, ReviewsDep
from service.auth.roles import Principal, can_create, can_edit, can_view
from service.coach import Draft, coach
from service.db.models import PostingRow
from service.errors import ServiceError
from service.matching import NotIndexed
from service.pair_ids import parse_pair_id
from service.postings import ListQuery, PostingService
from service.ranked_pairs import SUGGESTION_MIN_SCORE, suggestions
from service.schemas.reviews import InterestIn
from service.web.highlight import highlight, side_terms
from service.web.pages import (
    SignedInDep,
    WebError,
    checked_form,
    redirect,
    render,
    service_error,
)
from vocabulary import KINDS, Kind, other_kind, pair_id

router = APIRouter(include_in_schema=False)

#: Counterparts looked at for a posting page (those under the cut-off are not shown).
SUGGESTIONS = 10


def load_posting(postings: PostingService, principal: Principal, posting_id: int) -> PostingRow:
    """The posting if ``principal`` may see it (the 404 page otherwise)."""
    row = postings.get_many([posting_id]).get(posting_id)
    if row is None or not can_view(principal, row.owner_org, row.status):
        raise WebError(404, "error.404")
    return row


def require_owner(principal: Principal, row: PostingRow) -> None:
    """The 403 page unless ``principal`` may edit ``row``."""
    if not can_edit(principal, row.owner_org):
        raise WebError(403, "error.403")


@router.get("/postings")
def my_postings(request: Request, principal: SignedInDep, postings: PostingsDep) -> Response:
    """The postings of the signed-in organization, newest first."""
    kinds = [k for k in KINDS if can_create(principal, k)]
    groups = []
    for kind in kinds:
        query = ListQuery(organization=principal.organization, include_expired=True, limit=100)
        rows, total = postings.search(principal, kind, query)
        groups.append({"kind": kind, "rows": rows, "total": total})
    return render(request, "postings.html", {"groups": groups, "kinds": kinds})


@router.get("/postings/{posting_id:int}")
def posting_page(
    request: Request,
    posting_id: int,
    principal: SignedInDep,
    postings: PostingsDep,
    matcher: MatcherDep,
    reviews: ReviewsDep,
) -> Response:
    """One posting with its suggestions — never a rejected pair, only those that are
    recommended or score at least :data:`SUGGESTION_MIN_SCORE`, each with the moderators'
    decision once there is one — and, for its owners, interest buttons."""
    row = load_posting(postings, principal, posting_id)
    kind = cast(Kind, row.kind)
    other = other_kind(kind)
    shown: list[dict[str, Any]] = []
    not_indexed = False
    try:
        found = suggestions(postings, matcher, reviews, row, limit=SUGGESTIONS)
    except NotIndexed:
        found, not_indexed = [], True
    for one in found:
        if not one.shown_on_posting_page:
            continue
        counterpart, match = one.counterpart, one.match
        reasons = match.reasons.to_dict()
        shown.append(
            {
                "pair_id": pair_id(match.need_id, match.offer_id),
                "row": counterpart,
                "score": match.score,
                "recommended": match.recommended,
                "title": highlight(counterpart.title, side_terms(reasons, other)),
                "text": highlight(counterpart.description, side_terms(reasons, other)),
                "reasons": reasons,
                "review": one.review,
                "mine": getattr(one.interest, kind),
                "theirs": getattr(one.interest, other),
            }
        )
    context = {
        "row": row,
        "kind": kind,
        "suggestions": shown,
        "min_score": SUGGESTION_MIN_SCORE,
        "not_indexed": not_indexed,
        "owner": principal.owns(row.owner_org),
        "can_edit": can_edit(principal, row.owner_org),
        "show_contact": can_edit(principal, row.owner_org),
    }
    if context["can_edit"]:  # the coach's hints, shown in full next to the edit form's fields
        context["hints"] = [h.to_dict() for h in coach(Draft.of_row(row), postings.matcher)]
    return render(request, "posting.html", context)


@router.post("/postings/{posting_id:int}/interest")
async def mark_interest(
    request: Request,
    posting_id: int,
    principal: SignedInDep,
    postings: PostingsDep,
    reviews: ReviewsDep,
) -> Response:
    """The posting's organization says whether it wants to meet a suggestion."""
    form = await checked_form(request)
    row = load_posting(postings, principal, posting_id)
    if not principal.owns(row.owner_org):
        raise WebError(403, "error.403")
    pair = str(form.get("pair_id") or "")
    try:
        ids = parse_pair_id(pair)
    except ServiceError as exc:
        raise service_error(exc) from exc
    if ids[0 if row.kind == "need" else 1] != posting_id:
        raise WebError(404, "error.404")
    interested = form.get("interested") == "1"
    data = InterestIn(side=row.kind, interested=interested)  # type: ignore[arg-type]
    try:
        await run_in_threadpool(reviews.set_interest, principal, pair, data)
    except ServiceError as exc:
        raise service_error(exc) from exc
    return redirect(request, f"/postings/{posting_id}#pair-{pair}")
