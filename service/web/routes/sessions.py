"""The organisers' session pages: the list with the create form, one session (edit, close,
its participants: search and register postings, remove, unavailable slots).

Pages call :class:`SessionService` and :class:`PostingService`, as the API does."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.concurrency import run_in_threadpool
from pydantic import ValidationError

from service.api.deps import DatabaseDep, PostingsDep, SessionsDep
from service.auth.roles import Principal
from service.errors import ServiceError
from service.postings import ListQuery
from service.schemas.sessions import ParticipantIn, ParticipantUpdate, SessionCreate, SessionUpdate
from service.sessions.publish import is_closed, publish_state, set_closed
from service.sessions.times import slot_end, slot_start
from service.web.forms import field_errors
from service.web.i18n import translate
from service.web.pages import (
    SignedInStaffDep,
    WebError,
    checked_form,
    language,
    redirect,
    render,
    service_error,
)
from service.web.routes import sessions_form as sform
from vocabulary import KINDS

router = APIRouter(include_in_schema=False)

#: Postings shown per kind in the participant search.
SEARCH_LIMIT = 20


def slot_rows(sessions: Any, session_id: int) -> list[dict[str, Any]]:
    """Each slot's number and local start and end times (``HH:MM``)."""
    from service.db.models import SessionRow

    with sessions.database.session() as db:
        row = db.get(SessionRow, session_id)
        if row is None:
            raise WebError(404, "error.404")
        return [
            {
                "slot": s,
                "start": slot_start(row, s).strftime("%H:%M"),
                "end": slot_end(row, s).strftime("%H:%M"),
            }
            for s in range(row.slots)
        ]


def _form_page(
    request: Request,
    template: str,
    values: dict[str, str],
    errors: dict[str, str],
    context: dict[str, Any],
    status: int = 200,
) -> Response:
    context = {
        **context,
        "values": values,
        "errors": errors,
        "zones": sform.zone_choices(values.get("tz", "")),
    }
    return render(request, template, context, status)


def _validated(
    request: Request, values: dict[str, str], model: type[SessionCreate] | type[SessionUpdate]
) -> tuple[Any, dict[str, str]]:
    lang = language(request)
    start, bad = sform.start_of(values)
    if start is None:
        key = "sessions.bad_tz" if bad == "tz" else "sessions.bad_time"
        return None, {bad or "date": translate(key, lang)}
    try:
        return model.model_validate(sform.payload(values, start)), {}
    except ValidationError as exc:
        return None, field_errors(exc, lang)


@router.get("/sessions")
def sessions_list(request: Request, principal: SignedInStaffDep, sessions: SessionsDep) -> Response:
    """Every session (latest first) and the form that creates one."""
    items = sessions.all()
    closed = {s.id: is_closed(sessions.database, s.id) for s in items}
    return _form_page(
        request,
        "sessions.html",
        dict(sform.DEFAULTS),
        {},
        {"items": items, "closed": closed},
    )


@router.post("/sessions")
async def create_session(
    request: Request, principal: SignedInStaffDep, sessions: SessionsDep
) -> Response:
    """Create a session from the form (errors next to the fields)."""
    form = await checked_form(request)
    values = sform.form_values(form)
    data, errors = _validated(request, values, SessionCreate)
    if errors:
        items = sessions.all()
        closed = {s.id: is_closed(sessions.database, s.id) for s in items}
        context = {"items": items, "closed": closed}
        return _form_page(request, "sessions.html", values, errors, context, 422)
    try:
        created = await run_in_threadpool(sessions.create, principal, data)
    except ServiceError as exc:
        raise service_error(exc, language(request)) from exc
    return redirect(
        request, f"/sessions/{created.id}", translate("sessions.created", language(request))
    )


def _session_context(
    sessions: Any, principal: Any, session_id: int, postings: Any, q: str
) -> dict[str, Any]:
    try:
        session = sessions.get(session_id)
        parts = sessions.participants(principal, session_id)
    except ServiceError as exc:
        raise service_error(exc) from exc
    registered = {p.posting_id for p in parts}
    found: list[Any] = []
    if q:
        for kind in KINDS:
            rows, _ = postings.search(principal, kind, ListQuery(q=q, limit=SEARCH_LIMIT))
            found.extend(rows)
    return {
        "session": session,
        "closed": is_closed(sessions.database, session_id),
        "published": publish_state(sessions.database, session_id),
        "participants": parts,
        "registered": registered,
        "found": found,
        "q": q,
        "slots": slot_rows(sessions, session_id),
    }


@router.get("/sessions/{session_id:int}")
def session_page(
    request: Request,
    session_id: int,
    principal: SignedInStaffDep,
    sessions: SessionsDep,
    postings: PostingsDep,
) -> Response:
    """One session: its settings (editable), state, participants and the search that
    registers more."""
    q = (request.query_params.get("q") or "").strip()[:200]
    context = _session_context(sessions, principal, session_id, postings, q)
    values = sform.session_values(context["session"])
    return _form_page(request, "session.html", values, {}, context)


@router.post("/sessions/{session_id:int}/edit")
async def edit_session(
    request: Request,
    session_id: int,
    principal: SignedInStaffDep,
    sessions: SessionsDep,
    postings: PostingsDep,
) -> Response:
    """Save the session's settings."""
    form = await checked_form(request)
    values = sform.form_values(form)
    data, errors = _validated(request, values, SessionUpdate)
    if errors:
        context = _session_context(sessions, principal, session_id, postings, "")
        return _form_page(request, "session.html", values, errors, context, 422)
    try:
        await run_in_threadpool(sessions.update, principal, session_id, data)
    except ServiceError as exc:
        raise service_error(exc, language(request)) from exc
    return redirect(
        request, f"/sessions/{session_id}", translate("sessions.saved", language(request))
    )


@router.post("/sessions/{session_id:int}/close")
async def close_session(
    request: Request, session_id: int, principal: SignedInStaffDep, database: DatabaseDep
) -> Response:
    """Close the session to registrations (``closed=0``: open it again)."""
    form = await checked_form(request)
    try:
        set_closed(database, principal, session_id, form.get("closed") != "0")
    except ServiceError as exc:
        raise service_error(exc, language(request)) from exc
    return redirect(request, f"/sessions/{session_id}")


def slots_of(form: Any) -> list[int]:
    """The slot numbers ticked in a form's ``slot`` checkboxes, sorted, without repeats."""
    return sorted({int(v) for v in form.getlist("slot") if str(v).isdigit()})


async def save_slots(
    request: Request,
    sessions: SessionsDep,
    principal: Principal,
    session_id: int,
    posting_id: int,
    back: str,
) -> Response:
    """Replace a participant's unavailable slots with the form's, then go ``back`` with a
    notice; the service's refusal is shown in the page's language. Staff and participant
    pages share it (the service applies who may change what)."""
    form = await checked_form(request)
    lang = language(request)
    data = ParticipantUpdate(unavailable_slots=slots_of(form))
    try:
        await run_in_threadpool(
            sessions.update_participant, principal, session_id, posting_id, data
        )
    except ServiceError as exc:
        raise service_error(exc, lang) from exc
    return redirect(request, back, translate("parts.slots_saved", lang))


@router.post("/sessions/{session_id:int}/participants")
async def register_participant(
    request: Request, session_id: int, principal: SignedInStaffDep, sessions: SessionsDep
) -> Response:
    """Register the posting of the form (staff may register any posting)."""
    form = await checked_form(request)
    lang = language(request)
    try:
        data = ParticipantIn(
            posting_id=int(str(form.get("posting_id") or "0")), unavailable_slots=slots_of(form)
        )
    except (ValueError, ValidationError) as exc:
        raise WebError(422, "error.title", str(exc)) from exc
    try:
        await run_in_threadpool(sessions.add_participant, principal, session_id, data)
    except ServiceError as exc:
        raise service_error(exc, lang) from exc
    back = f"/sessions/{session_id}#participants"
    return redirect(request, back, translate("parts.registered", lang, id=data.posting_id))


@router.post("/sessions/{session_id:int}/participants/{posting_id:int}/remove")
async def remove_participant(
    request: Request,
    session_id: int,
    posting_id: int,
    principal: SignedInStaffDep,
    sessions: SessionsDep,
) -> Response:
    """Unregister a posting (its meetings are cancelled)."""
    await checked_form(request)
    lang = language(request)
    try:
        await run_in_threadpool(sessions.remove_participant, principal, session_id, posting_id)
    except ServiceError as exc:
        raise service_error(exc, lang) from exc
    back = f"/sessions/{session_id}#participants"
    return redirect(request, back, translate("parts.removed", lang, id=posting_id))


@router.get("/sessions/{session_id:int}/participants/{posting_id:int}")
def participant_slots_page(
    request: Request,
    session_id: int,
    posting_id: int,
    principal: SignedInStaffDep,
    sessions: SessionsDep,
) -> Response:
    """One participant's slots, each row a checkbox: checked = cannot attend."""
    try:
        parts = sessions.participants(principal, session_id)
        session = sessions.get(session_id)
    except ServiceError as exc:
        raise service_error(exc) from exc
    part = next((p for p in parts if p.posting_id == posting_id), None)
    if part is None:
        raise WebError(404, "error.404")
    context = {
        "session": session,
        "part": part,
        "slots": slot_rows(sessions, session_id),
        "action": f"/sessions/{session_id}/participants/{posting_id}",
        "back": f"/sessions/{session_id}#participants",
    }
    return render(request, "session_slots.html", context)


@router.post("/sessions/{session_id:int}/participants/{posting_id:int}")
async def set_participant_slots(
    request: Request,
    session_id: int,
    posting_id: int,
    principal: SignedInStaffDep,
    sessions: SessionsDep,
) -> Response:
    """Replace the participant's unavailable slots."""
    back = f"/sessions/{session_id}#participants"
    return await save_slots(request, sessions, principal, session_id, posting_id, back)
