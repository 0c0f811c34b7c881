"""The moderators' review queue: one snapshot of the ranked pairs, paged, with filters,
counts and a progress bar; decisions on one pair (in place by ``review.js``, or a form
post without JavaScript) or on the selected pairs, refused when someone decided since."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, urlencode

from fastapi import APIRouter, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from pydantic import ValidationError

from service.api.deps import RankedPairsDep, ReviewsDep
from service.errors import ServiceError
from service.ranked_pairs import FILTER_POOL, QueueFilters
from service.reviews import ReviewConflict
from service.schemas.reviews import PairStatus, ReviewIn, ReviewReason
from service.web.i18n import translate
from service.web.pages import (
    SignedInDep,
    SignedInStaffDep,
    WebError,
    checked_form,
    finish,
    language,
    redirect,
    render,
)
from service.web.review_cards import Weights, card

router = APIRouter(include_in_schema=False)

#: Pairs shown on one review page.
REVIEW_PAGE = 50
STATUSES = ("unreviewed", "accepted", "maybe", "rejected", "all")
LANG_PAIRS = ("vi-vi", "vi-en", "en-vi", "en-en")
REVIEW_FILTERS = ("sector", "lang_pair", "status", "min_score", "mutual", "page")


def review_filters(params: Any) -> dict[str, Any]:
    """The queue's filters and page from query parameters (unknown values: defaults)."""
    sector = params.get("sector") or None
    lang_pair = params.get("lang_pair") or None
    status = params.get("status") or "unreviewed"
    try:
        min_score = min(max(float(params.get("min_score") or 0.0), 0.0), 1.0)
    except ValueError:
        min_score = 0.0
    try:
        page = min(max(int(params.get("page") or 1), 1), 10_000)
    except ValueError:
        page = 1
    return {
        "sector": sector,
        "lang_pair": lang_pair if lang_pair in LANG_PAIRS else None,
        "status": status if status in STATUSES else "unreviewed",
        "min_score": min_score,
        "mutual": params.get("mutual") in ("1", "true", "on"),
        "page": page,
    }


def _filters_query(filters: dict[str, Any], page: int | None = None) -> str:
    values = {
        "sector": filters["sector"] or "",
        "lang_pair": filters["lang_pair"] or "",
        "status": filters["status"],
        "min_score": f"{filters['min_score']:g}" if filters["min_score"] else "",
        "mutual": "1" if filters["mutual"] else "",
        "page": str(page) if page and page > 1 else "",
    }
    return urlencode({k: v for k, v in values.items() if v})


def number(value: int, lang: str) -> str:
    """``1,480`` in English, ``1.480`` in Vietnamese."""
    text = f"{value:,}"
    return text.replace(",", ".") if lang == "vi" else text


def _queue_filters(filters: dict[str, Any]) -> QueueFilters:
    status = None if filters["status"] == "all" else PairStatus(filters["status"])
    return QueueFilters(
        status=status,
        min_score=filters["min_score"],
        mutual_interest=True if filters["mutual"] else None,
        sector=filters["sector"],
        lang_pair=filters["lang_pair"],
    )


@router.get("/review")
def review_queue(request: Request, principal: SignedInStaffDep, ranked: RankedPairsDep) -> Response:
    """The moderator queue: one page of pairs best first, filters, counts from one
    snapshot (:meth:`RankedPairs.queue`: one ranking per view), previous / next pages."""
    lang = language(request)
    filters = review_filters(request.query_params)
    offset = (filters["page"] - 1) * REVIEW_PAGE
    queue = ranked.queue(_queue_filters(filters), offset, REVIEW_PAGE)
    page = queue.offset // REVIEW_PAGE + 1
    pages = max(1, -(-queue.total // REVIEW_PAGE))
    weights = Weights.of(ranked.matcher.engine_config.fusion)
    cards = [card(pair.to_item(principal), weights) for pair in queue.pairs]
    filters = {**filters, "page": page}
    context = {
        "filters": filters,
        "filters_query": _filters_query(filters, page),
        "pairs": cards,
        "total": queue.total,
        "position": {
            "first": number(queue.offset + 1, lang),
            "last": number(queue.offset + len(cards), lang),
            "total": number(queue.total, lang),
        },
        "page": page,
        "pages": pages,
        "prev_query": _filters_query(filters, page - 1) if page > 1 else None,
        "next_query": _filters_query(filters, page + 1) if page < pages else None,
        "counts": queue.counts,
        "pool": queue.pool,
        "decided": queue.decided,
        "statuses": STATUSES,
        "lang_pairs": LANG_PAIRS,
        "reasons": [r.value for r in ReviewReason],
    }
    return render(request, "review.html", context)


def _review_in(form: Any, expected: str | None) -> ReviewIn:
    """The decision of the posted form; ``expected``: the revision the card showed
    (``""``: no review yet; ``None``: not sent, the decision overwrites)."""
    data: dict[str, Any] = {
        "decision": form.get("decision"),
        "reason": form.get("reason") or None,
        "note": form.get("note") or None,
    }
    if expected is not None:
        data["expected_revision"] = int(expected) if expected.strip() else None
    return ReviewIn.model_validate(data)


def _wants_json(request: Request) -> bool:
    return "application/json" in request.headers.get("accept", "")


def _decided_json(request: Request, lang: str, item: Any) -> Response:
    review = item.review
    body = {
        "pair_id": item.pair_id,
        "status": review.decision.value,
        "label": translate(f"status.{review.decision.value}", lang),
        "reason": translate(f"reason.{review.reason.value}", lang) if review.reason else None,
        "revision": review.revision,
        "message": translate("review.saved_one", lang),
    }
    return finish(request, JSONResponse(body))


def _conflict_json(request: Request, lang: str, exc: ReviewConflict) -> Response:
    review = exc.current.review
    body = {
        "pair_id": exc.current.pair_id,
        "conflict": True,
        "message": translate(
            "review.conflict",
            lang,
            org=review.reviewer_org,
            decision=translate(f"status.{review.decision.value}", lang),
        ),
        "status": review.decision.value,
        "label": translate(f"status.{review.decision.value}", lang),
        "revision": review.revision,
    }
    return finish(request, JSONResponse(body, status_code=409))


@router.post("/review/decide")
async def decide(request: Request, principal: SignedInDep, reviews: ReviewsDep) -> Response:
    """Accept, reject or defer one pair or the selected pairs. A card's form sends the
    revision it showed (``expected_revision``), the bulk form one per pair (``rev-<id>``):
    a pair decided by someone else since is refused. JSON for ``review.js`` (``Accept:
    application/json``), else back to the queue with a message."""
    form = await checked_form(request)
    if not principal.is_staff:
        raise WebError(403, "error.403")
    kept = [(k, v) for k, v in parse_qsl(str(form.get("filters") or "")) if k in REVIEW_FILTERS]
    back = "/review" + ("?" + urlencode(kept) if kept else "")
    lang = language(request)
    pair_ids = [str(p) for p in form.getlist("pair_id") if p][:FILTER_POOL]
    if not pair_ids:
        return redirect(request, back, translate("review.none_selected", lang))
    single = "expected_revision" in form
    done, conflicts = 0, []
    for pid in pair_ids:
        raw = form.get("expected_revision") if single else form.get(f"rev-{pid}")
        try:
            data = _review_in(form, None if raw is None else str(raw))
        except (ValidationError, ValueError) as exc:
            raise WebError(422, "error.title", str(exc)) from exc
        try:
            item = await run_in_threadpool(reviews.review, principal, pid, data)
        except ReviewConflict as exc:
            if _wants_json(request) and single:
                return _conflict_json(request, lang, exc)
            conflicts.append(exc)
            continue
        except ServiceError as exc:
            if _wants_json(request) and single:
                body = {"pair_id": pid, "error": True, "message": exc.message(lang)}
                return finish(request, JSONResponse(body, status_code=exc.status_code))
            continue
        done += 1
        if _wants_json(request) and single:
            return _decided_json(request, lang, item)
    message = translate("review.done", lang, n=done)
    if conflicts:
        review = conflicts[0].current.review
        message += " " + translate(
            "review.conflict",
            lang,
            org=review.reviewer_org,
            decision=translate(f"status.{review.decision.value}", lang),
        )
        if len(conflicts) > 1:
            message += " " + translate("review.conflicts", lang, n=len(conflicts))
    anchor = f"#pair-{pair_ids[0]}" if single and conflicts else ""
    return redirect(request, back + anchor, message)
