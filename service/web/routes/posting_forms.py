"""Writing postings from the web: the new-posting form, the edit form, archiving."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from pydantic import ValidationError

from service.api.deps import PostingsDep
from service.auth.roles import Principal, can_create
from service.coach import Draft, coach
from service.errors import ServiceError
from service.schemas.postings import PostingCreate, PostingUpdate
from service.web.forms import (
    draft_of,
    empty_values,
    field_errors,
    form_context,
    form_values,
    payload,
    row_values,
)
from service.web.i18n import translate
from service.web.pages import (
    SignedInDep,
    WebError,
    checked_form,
    finish,
    language,
    redirect,
    render,
    service_error,
)
from service.web.routes.postings import load_posting, require_owner
from vocabulary import KINDS

router = APIRouter(include_in_schema=False)


def _creatable_kind(principal: Principal, kind: object) -> str:
    if kind not in KINDS:
        raise WebError(404, "error.404")
    if not can_create(principal, str(kind)):
        raise WebError(403, "error.403")
    return str(kind)


@router.get("/postings/new")
def new_posting(request: Request, principal: SignedInDep) -> Response:
    """The form for a new need or offer (``?kind=need|offer``)."""
    default = "need" if can_create(principal, "need") else "offer"
    kind = _creatable_kind(principal, request.query_params.get("kind", default))
    return render(request, "posting_form.html", form_context(kind, empty_values(), {}))


@router.post("/postings/new")
async def create_posting(
    request: Request, principal: SignedInDep, postings: PostingsDep
) -> Response:
    """Create the posting, or show the form again with each field's error."""
    form = await checked_form(request)
    kind = _creatable_kind(principal, form.get("kind"))
    values = form_values(form)
    try:
        data = PostingCreate.model_validate(payload(values, partial=False))
    except ValidationError as exc:
        errors = field_errors(exc, language(request))
        return render(request, "posting_form.html", form_context(kind, values, errors), 422)
    try:
        row = await run_in_threadpool(postings.create, principal, kind, data)
    except ServiceError as exc:
        field = str(exc.loc[-1]) if exc.loc else "title"
        context = form_context(kind, values, {field: exc.message(language(request))})
        return render(request, "posting_form.html", context, exc.status_code)
    lang = language(request)
    return redirect(request, f"/postings/{row.id}", translate("postings.saved", lang))


@router.get("/postings/{posting_id:int}/edit")
def edit_posting(
    request: Request, posting_id: int, principal: SignedInDep, postings: PostingsDep
) -> Response:
    """The form to change a posting (its organization, moderators, admins)."""
    row = load_posting(postings, principal, posting_id)
    require_owner(principal, row)
    hints = coach(Draft.of_row(row), postings.matcher)
    context = form_context(row.kind, row_values(row), {}, hints)
    context["posting_id"] = posting_id
    return render(request, "posting_form.html", context)


@router.post("/postings/check")
async def check_posting(
    request: Request, principal: SignedInDep, postings: PostingsDep
) -> Response:
    """The coach's hints for what the form holds, nothing saved: the form again with the
    hints next to the fields, or JSON (``Accept: application/json``, the form's script)."""
    form = await checked_form(request)
    raw_id = str(form.get("posting_id") or "")
    posting_id = int(raw_id) if raw_id.isdigit() else None
    if posting_id is not None:
        row = load_posting(postings, principal, posting_id)
        require_owner(principal, row)
        kind = row.kind
    else:
        kind = _creatable_kind(principal, form.get("kind"))
    values = form_values(form)
    draft = draft_of(kind, values, posting_id)
    hints = await run_in_threadpool(coach, draft, postings.matcher)
    if "application/json" in request.headers.get("accept", ""):
        body = {"language": draft.lang, "hints": [h.to_dict() for h in hints]}
        return finish(request, JSONResponse(body, headers={"Cache-Control": "no-store"}))
    context = form_context(kind, values, {}, hints)
    context["checked"] = True
    if posting_id is not None:
        context["posting_id"] = posting_id
    return render(request, "posting_form.html", context)


@router.post("/postings/{posting_id:int}/edit")
async def update_posting(
    request: Request, posting_id: int, principal: SignedInDep, postings: PostingsDep
) -> Response:
    """Save the form's fields, or show the form again with each field's error."""
    form = await checked_form(request)
    row = load_posting(postings, principal, posting_id)
    require_owner(principal, row)
    values = form_values(form)
    try:
        data = PostingUpdate.model_validate(payload(values, partial=True))
    except ValidationError as exc:
        context = form_context(row.kind, values, field_errors(exc, language(request)))
        context["posting_id"] = posting_id
        return render(request, "posting_form.html", context, 422)
    try:
        await run_in_threadpool(postings.update, principal, row.kind, posting_id, data)
    except ServiceError as exc:
        if exc.status_code in (409, 422):  # a field the poster can mend (quota, organisation)
            field = str(exc.loc[-1]) if exc.loc else "title"
            context = form_context(row.kind, values, {field: exc.message(language(request))})
            context["posting_id"] = posting_id
            return render(request, "posting_form.html", context, exc.status_code)
        raise service_error(exc) from exc
    lang = language(request)
    return redirect(request, f"/postings/{posting_id}", translate("postings.saved", lang))


@router.post("/postings/{posting_id:int}/archive")
async def archive_posting(
    request: Request, posting_id: int, principal: SignedInDep, postings: PostingsDep
) -> Response:
    """Archive a posting: it is no longer matched or shown to others."""
    await checked_form(request)
    row = load_posting(postings, principal, posting_id)
    require_owner(principal, row)
    data = PostingUpdate.model_validate({"status": "archived"})
    try:
        await run_in_threadpool(postings.update, principal, row.kind, posting_id, data)
    except ServiceError as exc:
        raise service_error(exc, language(request)) from exc
    return redirect(request, "/postings", translate("postings.archived", language(request)))
