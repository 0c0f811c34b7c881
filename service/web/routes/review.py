"""The moderators' review queue: ranked pairs with filters and counts, and decisions on
one pair or on the selected pairs."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, urlencode

from fastapi import APIRouter, Request, Response
from fastapi.concurrency import run_in_threadpool
from pydantic import ValidationError

from service.api.deps import RankedPairsDep, ReviewsDep
from service.errors import ServiceError
from service.ranked_pairs import FILTER_POOL
from service.schemas.reviews import Decision, PairStatus, ReviewIn, ReviewReason
from service.web.highlight import highlight, side_terms
from service.web.i18n import translate
from service.web.pages import (
    SignedInDep,
    SignedInStaffDep,
    WebError,
    checked_form,
    language,
    redirect,
    render,
)

router = APIRouter(include_in_schema=False)

#: Pairs shown on one review page.
REVIEW_PAGE = 50
STATUSES = ("unreviewed", "accepted", "maybe", "rejected", "all")
LANG_PAIRS = ("vi-vi", "vi-en", "en-vi", "en-en")
COMPONENTS = ("dense", "lexical", "field", "sector", "trl")
REVIEW_FILTERS = ("sector", "lang_pair", "status", "min_score", "mutual")


def review_filters(params: Any) -> dict[str, Any]:
    """The queue's filters from query parameters (unknown values fall back to defaults)."""
    sector = params.get("sector") or None
    lang_pair = params.get("lang_pair") or None
    status = params.get("status") or "unreviewed"
    try:
        min_score = min(max(float(params.get("min_score") or 0.0), 0.0), 1.0)
    except ValueError:
        min_score = 0.0
    return {
        "sector": sector,
        "lang_pair": lang_pair if lang_pair in LANG_PAIRS else None,
        "status": status if status in STATUSES else "unreviewed",
        "min_score": min_score,
        "mutual": params.get("mutual") in ("1", "true", "on"),
    }


def _filters_query(filters: dict[str, Any]) -> str:
    values = {
        "sector": filters["sector"] or "",
        "lang_pair": filters["lang_pair"] or "",
        "status": filters["status"],
        "min_score": f"{filters['min_score']:g}" if filters["min_score"] else "",
        "mutual": "1" if filters["mutual"] else "",
    }
    return urlencode({k: v for k, v in values.items() if v})


def _pair_view(item: dict[str, Any]) -> dict[str, Any]:
    reasons = item["reasons"]
    need, offer = item["need"], item["offer"]
    need_terms, offer_terms = side_terms(reasons, "need"), side_terms(reasons, "offer")
    return {
        **item,
        "need_title": highlight(need.title, need_terms),
        "need_text": highlight(need.description, need_terms),
        "offer_title": highlight(offer.title, offer_terms),
        "offer_text": highlight(offer.description, offer_terms),
        "components": [(c, item["components"].get(c)) for c in COMPONENTS],
    }


@router.get("/review")
def review_queue(
    request: Request, principal: SignedInStaffDep, ranked: RankedPairsDep, reviews: ReviewsDep
) -> Response:
    """The moderator queue: pairs best first, filters, counts, decisions. One ranking
    serves the list and the unreviewed count (see :meth:`RankedPairs.queue`)."""
    filters = review_filters(request.query_params)
    status = None if filters["status"] == "all" else PairStatus(filters["status"])
    queue = ranked.queue(status, filters["min_score"], True if filters["mutual"] else None)
    items = [pair.to_item(principal) for pair in queue.pairs]
    if filters["sector"]:
        items = [i for i in items if filters["sector"] in (i["need"].sector, i["offer"].sector)]
    if filters["lang_pair"]:
        items = [i for i in items if i["reasons"].get("language_pair") == filters["lang_pair"]]
    decided = reviews.decision_counts()
    counts = {"unreviewed": queue.unreviewed}
    counts.update({d.value: decided.get(d.value, 0) for d in Decision})
    context = {
        "filters": filters,
        "filters_query": _filters_query(filters),
        "pairs": [_pair_view(i) for i in items[:REVIEW_PAGE]],
        "total": len(items),
        "counts": counts,
        "statuses": STATUSES,
        "lang_pairs": LANG_PAIRS,
        "reasons": [r.value for r in ReviewReason],
    }
    return render(request, "review.html", context)


@router.post("/review/decide")
async def decide(request: Request, principal: SignedInDep, reviews: ReviewsDep) -> Response:
    """Accept, reject or defer one pair or the selected pairs; back to the queue."""
    form = await checked_form(request)
    if not principal.is_staff:
        raise WebError(403, "error.403")
    kept = [(k, v) for k, v in parse_qsl(str(form.get("filters") or "")) if k in REVIEW_FILTERS]
    back = "/review" + ("?" + urlencode(kept) if kept else "")
    lang = language(request)
    pair_ids = [str(p) for p in form.getlist("pair_id") if p]
    if not pair_ids:
        return redirect(request, back, translate("review.none_selected", lang))
    try:
        data = ReviewIn.model_validate(
            {
                "decision": form.get("decision"),
                "reason": form.get("reason") or None,
                "note": form.get("note") or None,
            }
        )
    except ValidationError as exc:
        raise WebError(422, "error.title", str(exc.errors()[0]["msg"])) from exc
    done = 0
    for pair_id in pair_ids[:FILTER_POOL]:
        try:
            await run_in_threadpool(reviews.review, principal, pair_id, data)
            done += 1
        except ServiceError:
            continue
    return redirect(request, back, translate("review.done", lang, n=done))
