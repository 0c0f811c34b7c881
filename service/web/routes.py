"""The web pages: start page and sign-in, the moderator review queue, posting pages.

Pages call the same service functions as the JSON API (``PostingService``,
``ReviewService``, the ``GET /pairs`` route function, the matcher); they never call the API
over HTTP. Every POST form carries the session's CSRF token (403 without it).
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qsl, urlencode

from fastapi import APIRouter, Request, Response
from fastapi.concurrency import run_in_threadpool
from pydantic import ValidationError
from starlette.datastructures import FormData

from service.api.routes.pairs import FILTER_POOL
from service.api.routes.pairs import pairs as ranked_pairs
from service.auth.roles import Principal, can_create, can_edit, can_view
from service.db.models import PostingRow
from service.errors import ServiceError
from service.matching import NotIndexed
from service.postings import KINDS, ListQuery, PostingService
from service.reviews import ReviewQuery, ReviewService, pair_key, parse_pair_id
from service.schemas.enums import IpStatus, Status, TransferMode
from service.schemas.postings import PostingCreate, PostingUpdate
from service.schemas.reviews import Decision, InterestIn, PairStatus, ReviewIn, ReviewReason
from service.web.highlight import highlight, side_terms
from service.web.i18n import translate
from service.web.pages import (
    WebError,
    language,
    redirect,
    render,
    require_principal,
    safe_next,
)
from service.web.session import CSRF_FIELD, get_session, sign_in_with_key
from vocabulary import other_kind

router = APIRouter(include_in_schema=False)

#: Pairs shown on one review page.
REVIEW_PAGE = 50
STATUSES = ("unreviewed", "accepted", "maybe", "rejected", "all")
LANG_PAIRS = ("vi-vi", "vi-en", "en-vi", "en-en")
COMPONENTS = ("dense", "lexical", "field", "sector", "trl")
REVIEW_FILTERS = ("sector", "lang_pair", "status", "min_score", "mutual")


def _postings(request: Request) -> PostingService:
    service: PostingService = request.app.state.postings
    return service


def _reviews(request: Request) -> ReviewService:
    return ReviewService(request.app.state.database)


async def _form(request: Request) -> FormData:
    """The posted form, after checking its CSRF token (403 otherwise)."""
    form = await request.form()
    if not get_session(request).check_csrf(form.get(CSRF_FIELD)):
        raise WebError(403, "error.csrf")
    return form


def _service_error(exc: ServiceError) -> WebError:
    key = {403: "error.403", 404: "error.404"}.get(exc.status_code, "error.title")
    return WebError(exc.status_code, key, exc.msg)


# -- start page and sign-in ----------------------------------------------------------


@router.get("/")
def home(request: Request) -> Response:
    """What techmatch is, and the sign-in form (or who is signed in)."""
    return render(request, "home.html", {"next": safe_next(request.query_params.get("next"))})


@router.post("/signin")
async def sign_in(request: Request) -> Response:
    """Exchange an API key for a session cookie."""
    form = await _form(request)
    key = form.get("api_key")
    target = safe_next(form.get("next"))
    principal = None
    if isinstance(key, str) and key.strip():
        principal = await run_in_threadpool(sign_in_with_key, request, key)
    if principal is None:
        context = {"next": target, "error": "signin.bad_key"}
        return render(request, "home.html", context, status=401)
    get_session(request).sign_in(principal)
    request.state.web_principal = principal
    return redirect(request, target or ("/review" if principal.is_staff else "/postings"))


@router.post("/signout")
async def sign_out(request: Request) -> Response:
    """Forget the session's key."""
    await _form(request)
    get_session(request).sign_out()
    request.state.web_principal = None
    return redirect(request, "/")


# -- moderator review queue ---------------------------------------------------------------


def _review_filters(params: Any) -> dict[str, Any]:
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


def _pair_view(item: dict[str, Any], lang: str) -> dict[str, Any]:
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
def review_queue(request: Request) -> Response:
    """The moderator queue: pairs best first, filters, counts, decisions."""
    principal = require_principal(request)
    if not principal.is_staff:
        raise WebError(403, "error.403")
    filters = _review_filters(request.query_params)
    reviews = _reviews(request)
    postings = _postings(request)

    def source(status: PairStatus | None, min_score: float, mutual: bool) -> list[dict[str, Any]]:
        result = ranked_pairs(
            principal=principal,
            postings=postings,
            matcher=request.app.state.matcher,
            reviews=reviews,
            limit=FILTER_POOL,
            min_score=min_score,
            per_need=3,
            per_offer=3,
            status=status,
            mutual_interest=True if mutual else None,
        )
        items: list[dict[str, Any]] = result["items"]
        return items

    status = None if filters["status"] == "all" else PairStatus(filters["status"])
    items = source(status, filters["min_score"], filters["mutual"])
    if filters["sector"]:
        items = [i for i in items if filters["sector"] in (i["need"].sector, i["offer"].sector)]
    if filters["lang_pair"]:
        items = [i for i in items if i["reasons"].get("language_pair") == filters["lang_pair"]]
    lang = language(request)
    shown = [_pair_view(i, lang) for i in items[:REVIEW_PAGE]]
    counts = {"unreviewed": len(source(PairStatus.unreviewed, 0.0, False))}
    for decision in Decision:
        _, total = reviews.search(principal, ReviewQuery(decision=decision.value, limit=1))
        counts[decision.value] = total
    context = {
        "filters": filters,
        "filters_query": _filters_query(filters),
        "pairs": shown,
        "total": len(items),
        "counts": counts,
        "statuses": STATUSES,
        "lang_pairs": LANG_PAIRS,
        "reasons": [r.value for r in ReviewReason],
    }
    return render(request, "review.html", context)


@router.post("/review/decide")
async def decide(request: Request) -> Response:
    """Accept, reject or defer one pair or the selected pairs; back to the queue."""
    principal = require_principal(request)
    form = await _form(request)
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
    reviews = _reviews(request)
    done = 0
    for pair_id in pair_ids[:FILTER_POOL]:
        try:
            await run_in_threadpool(reviews.review, principal, pair_id, data)
            done += 1
        except ServiceError:
            continue
    return redirect(request, back, translate("review.done", lang, n=done))


# -- postings ------------------------------------------------------------------------------


def _load(request: Request, principal: Principal, posting_id: int) -> PostingRow:
    postings = _postings(request)
    row = postings.get_many([posting_id]).get(posting_id)
    if row is None or not can_view(principal, row.owner_org, row.status):
        raise WebError(404, "error.404")
    return row


def _own(principal: Principal, row: PostingRow) -> None:
    if not can_edit(principal, row.owner_org):
        raise WebError(403, "error.403")


@router.get("/postings")
def my_postings(request: Request) -> Response:
    """The postings of the signed-in organization, newest first."""
    principal = require_principal(request)
    kinds = [k for k in KINDS if can_create(principal, k)]
    postings = _postings(request)
    groups = []
    for kind in kinds:
        query = ListQuery(organization=principal.organization, include_expired=True, limit=100)
        rows, total = postings.search(principal, kind, query)
        groups.append({"kind": kind, "rows": rows, "total": total})
    return render(request, "postings.html", {"groups": groups, "kinds": kinds})


FORM_TEXT = ("title", "description", "province", "organization", "expires_on")


def _form_values(form: FormData) -> dict[str, Any]:
    """What the form shows again: the raw strings the user typed."""
    values: dict[str, Any] = {name: str(form.get(name) or "") for name in FORM_TEXT}
    for name in ("sector", "keywords", "trl", "ip_status", "status"):
        values[name] = str(form.get(name) or "")
    for name in ("contact_name", "contact_email", "contact_phone"):
        values[name] = str(form.get(name) or "")
    values["transfer_modes"] = [str(v) for v in form.getlist("transfer_modes")]
    return values


def _payload(values: dict[str, Any], partial: bool) -> dict[str, Any]:
    """The API payload of the form's values (``partial``: an update that sets every field)."""
    data: dict[str, Any] = {"title": values["title"], "description": values["description"]}
    for name in ("sector", "ip_status", "province", "organization", "expires_on"):
        data[name] = values[name].strip() or None
    keywords = [k.strip() for k in re.split(r"[,;\n]", values["keywords"]) if k.strip()]
    data["keywords"] = keywords
    trl = values["trl"].strip()
    data["trl"] = int(trl) if trl.isdigit() else (trl or None)
    data["transfer_modes"] = values["transfer_modes"]
    contact = {key: values[f"contact_{key}"].strip() or None for key in ("name", "email", "phone")}
    data["contact"] = {k: v for k, v in contact.items() if v} or None
    data["status"] = values["status"] or "published"
    if not partial:
        data = {k: v for k, v in data.items() if v is not None}
    return data


def _field_errors(exc: ValidationError, lang: str) -> dict[str, str]:
    """Form field → message, from the schema's validation errors."""
    out: dict[str, str] = {}
    for error in exc.errors():
        loc = [str(p) for p in error.get("loc", ())]
        if not loc:
            continue
        field = loc[0]
        if field == "contact" and len(loc) > 1:
            field = f"contact_{loc[1]}"
        kind = error.get("type", "")
        ctx = error.get("ctx") or {}
        if kind in ("missing", "string_too_short") or (
            kind == "value_error" and "must not be empty" in str(error.get("msg"))
        ):
            message = translate("form.required", lang)
        elif kind == "string_too_long" or kind == "too_long":
            message = translate("form.too_long", lang, max=ctx.get("max_length", "?"))
        elif kind == "string_pattern_mismatch":
            message = translate("form.bad_format", lang)
        else:
            message = str(error.get("msg", ""))
        out.setdefault(field, message)
    return out


def _form_context(kind: str, values: dict[str, Any], errors: dict[str, str]) -> dict[str, Any]:
    return {
        "kind": kind,
        "values": values,
        "errors": errors,
        "ip_statuses": [s.value for s in IpStatus],
        "transfer_modes": [m.value for m in TransferMode],
        "statuses": [s.value for s in Status],
    }


def _empty_values() -> dict[str, Any]:
    values: dict[str, Any] = {name: "" for name in FORM_TEXT}
    values.update(
        {
            "sector": "",
            "keywords": "",
            "trl": "",
            "ip_status": "",
            "status": "published",
            "contact_name": "",
            "contact_email": "",
            "contact_phone": "",
            "transfer_modes": [],
        }
    )
    return values


def _row_values(row: PostingRow) -> dict[str, Any]:
    contact = row.contact or {}
    return {
        "title": row.title,
        "description": row.description,
        "province": row.province or "",
        "organization": row.organization or "",
        "expires_on": row.expires_on.isoformat() if row.expires_on else "",
        "sector": row.sector or "",
        "keywords": ", ".join(row.keywords or []),
        "trl": str(row.trl) if row.trl else "",
        "ip_status": row.ip_status or "",
        "status": row.status,
        "contact_name": contact.get("name") or "",
        "contact_email": contact.get("email") or "",
        "contact_phone": contact.get("phone") or "",
        "transfer_modes": list(row.transfer_modes or []),
    }


def _creatable_kind(principal: Principal, kind: object) -> str:
    if kind not in KINDS:
        raise WebError(404, "error.404")
    if not can_create(principal, str(kind)):
        raise WebError(403, "error.403")
    return str(kind)


@router.get("/postings/new")
def new_posting(request: Request) -> Response:
    """The form for a new need or offer (``?kind=need|offer``)."""
    principal = require_principal(request)
    default = "need" if can_create(principal, "need") else "offer"
    kind = _creatable_kind(principal, request.query_params.get("kind", default))
    return render(request, "posting_form.html", _form_context(kind, _empty_values(), {}))


@router.post("/postings/new")
async def create_posting(request: Request) -> Response:
    """Create the posting, or show the form again with each field's error."""
    principal = require_principal(request)
    form = await _form(request)
    kind = _creatable_kind(principal, form.get("kind"))
    values = _form_values(form)
    try:
        data = PostingCreate.model_validate(_payload(values, partial=False))
    except ValidationError as exc:
        errors = _field_errors(exc, language(request))
        return render(request, "posting_form.html", _form_context(kind, values, errors), 422)
    try:
        row = await run_in_threadpool(_postings(request).create, principal, kind, data)
    except ServiceError as exc:
        field = str(exc.loc[-1]) if exc.loc else "title"
        context = _form_context(kind, values, {field: exc.msg})
        return render(request, "posting_form.html", context, exc.status_code)
    lang = language(request)
    return redirect(request, f"/postings/{row.id}", translate("postings.saved", lang))


@router.get("/postings/{posting_id:int}")
def posting_page(request: Request, posting_id: int) -> Response:
    """One posting with its suggestions and, for its owners, interest buttons."""
    principal = require_principal(request)
    row = _load(request, principal, posting_id)
    kind = row.kind
    other = other_kind(kind)  # type: ignore[arg-type]
    postings = _postings(request)
    suggestions: list[dict[str, Any]] = []
    not_indexed = False
    try:
        found = request.app.state.matcher.matches(posting_id, limit=10)
    except NotIndexed:
        found, not_indexed = [], True
    rows = postings.get_many([m.counterpart(kind) for m in found])
    keys = [(m.need_id, m.offer_id) for m in found]
    _, marks = _reviews(request).states(keys)
    for match in found:
        counterpart = rows.get(match.counterpart(kind))
        if counterpart is None:
            continue
        reasons = match.reasons.to_dict()
        mark = marks.get((match.need_id, match.offer_id))
        mine = getattr(mark, f"{kind}_interested", None) if mark else None
        theirs = getattr(mark, f"{other}_interested", None) if mark else None
        suggestions.append(
            {
                "pair_id": pair_key(match.need_id, match.offer_id),
                "row": counterpart,
                "score": match.score,
                "recommended": match.recommended,
                "title": highlight(counterpart.title, side_terms(reasons, other)),
                "text": highlight(counterpart.description, side_terms(reasons, other)),
                "reasons": reasons,
                "mine": mine,
                "theirs": theirs,
            }
        )
    context = {
        "row": row,
        "kind": kind,
        "suggestions": suggestions,
        "not_indexed": not_indexed,
        "owner": principal.owns(row.owner_org),
        "can_edit": can_edit(principal, row.owner_org),
        "show_contact": can_edit(principal, row.owner_org),
    }
    return render(request, "posting.html", context)


@router.get("/postings/{posting_id:int}/edit")
def edit_posting(request: Request, posting_id: int) -> Response:
    """The form to change a posting (its organization, moderators, admins)."""
    principal = require_principal(request)
    row = _load(request, principal, posting_id)
    _own(principal, row)
    context = _form_context(row.kind, _row_values(row), {})
    context["posting_id"] = posting_id
    return render(request, "posting_form.html", context)


@router.post("/postings/{posting_id:int}/edit")
async def update_posting(request: Request, posting_id: int) -> Response:
    """Save the form's fields, or show the form again with each field's error."""
    principal = require_principal(request)
    form = await _form(request)
    row = _load(request, principal, posting_id)
    _own(principal, row)
    values = _form_values(form)
    try:
        data = PostingUpdate.model_validate(_payload(values, partial=True))
    except ValidationError as exc:
        context = _form_context(row.kind, values, _field_errors(exc, language(request)))
        context["posting_id"] = posting_id
        return render(request, "posting_form.html", context, 422)
    try:
        await run_in_threadpool(_postings(request).update, principal, row.kind, posting_id, data)
    except ServiceError as exc:
        raise _service_error(exc) from exc
    lang = language(request)
    return redirect(request, f"/postings/{posting_id}", translate("postings.saved", lang))


@router.post("/postings/{posting_id:int}/archive")
async def archive_posting(request: Request, posting_id: int) -> Response:
    """Archive a posting: it is no longer matched or shown to others."""
    principal = require_principal(request)
    await _form(request)
    row = _load(request, principal, posting_id)
    _own(principal, row)
    data = PostingUpdate.model_validate({"status": "archived"})
    try:
        await run_in_threadpool(_postings(request).update, principal, row.kind, posting_id, data)
    except ServiceError as exc:
        raise _service_error(exc) from exc
    return redirect(request, "/postings", translate("postings.archived", language(request)))


@router.post("/postings/{posting_id:int}/interest")
async def mark_interest(request: Request, posting_id: int) -> Response:
    """The posting's organization says whether it wants to meet a suggestion."""
    principal = require_principal(request)
    form = await _form(request)
    row = _load(request, principal, posting_id)
    if not principal.owns(row.owner_org):
        raise WebError(403, "error.403")
    pair_id = str(form.get("pair_id") or "")
    try:
        ids = parse_pair_id(pair_id)
    except ServiceError as exc:
        raise _service_error(exc) from exc
    if ids[0 if row.kind == "need" else 1] != posting_id:
        raise WebError(404, "error.404")
    interested = form.get("interested") == "1"
    data = InterestIn(side=row.kind, interested=interested)  # type: ignore[arg-type]
    try:
        await run_in_threadpool(_reviews(request).set_interest, principal, pair_id, data)
    except ServiceError as exc:
        raise _service_error(exc) from exc
    return redirect(request, f"/postings/{posting_id}#pair-{pair_id}")
