"""Participant pages (companies and institutes): register an own published posting into
an open session with the slots it cannot attend; see the session's accepted pairs of its
postings and, once the organisers published the schedule, its meetings (time, table,
counterpart, and the counterpart's contact); download the ICS; record an outcome."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.concurrency import run_in_threadpool

from service.api.deps import DatabaseDep, PostingsDep, SessionsDep
from service.api.downloads import ICS, download
from service.auth.roles import Principal
from service.db.models import PostingRow
from service.errors import ServiceError
from service.postings import ListQuery
from service.reviews import accepted_pairs
from service.schemas.sessions import ParticipantIn
from service.sessions.ics import to_ics
from service.sessions.publish import is_closed, published_agenda
from service.web.i18n import translate
from service.web.pages import (
    SignedInDep,
    WebError,
    checked_form,
    language,
    redirect,
    render,
    service_error,
)
from service.web.routes.sessions import save_slots, slot_rows, slots_of
from service.web.routes.sessions_schedule import outcome_data
from vocabulary import KINDS

router = APIRouter(include_in_schema=False)


def _own_postings(postings: Any, principal: Principal) -> list[PostingRow]:
    rows: list[PostingRow] = []
    for kind in KINDS:
        query = ListQuery(organization=principal.organization, status="published", limit=100)
        found, _ = postings.search(principal, kind, query)
        rows.extend(r for r in found if principal.owns(r.owner_org))
    return rows


def _mine(sessions: Any, principal: Principal, session_id: int) -> list[Any]:
    return [p for p in sessions.participants(principal, session_id) if principal.owns(p.owner_org)]


@router.get("/my-sessions")
def my_sessions(
    request: Request, principal: SignedInDep, sessions: SessionsDep, postings: PostingsDep
) -> Response:
    """Every session with the organization's registered postings in it."""
    items = []
    for session in sessions.all():
        items.append(
            {
                "session": session,
                "closed": is_closed(sessions.database, session.id),
                "mine": _mine(sessions, principal, session.id),
            }
        )
    return render(request, "my_sessions.html", {"items": items})


@router.get("/my-sessions/{session_id:int}")
def my_session(
    request: Request,
    session_id: int,
    principal: SignedInDep,
    sessions: SessionsDep,
    postings: PostingsDep,
    database: DatabaseDep,
) -> Response:
    """The organization's part in one session: registration, accepted pairs, meetings."""
    try:
        session = sessions.get(session_id)
        mine = _mine(sessions, principal, session_id)
        need_ids, offer_ids = sessions.participant_ids(session_id)
    except ServiceError as exc:
        raise service_error(exc) from exc
    registered = {p.posting_id for p in mine}
    own = [r for r in _own_postings(postings, principal) if r.id not in registered]
    meetings: list[dict[str, Any]] = []
    version = None
    for part in mine:
        agenda, version = published_agenda(database, principal, session_id, part.posting_id)
        other_ids = [
            i.offer_id if i.need_id == part.posting_id else i.need_id for i in agenda.items
        ]
        others = postings.get_many(other_ids)
        for item, other_id in zip(agenda.items, other_ids, strict=True):
            other = others.get(other_id)
            meetings.append(
                {
                    "item": item,
                    "mine": part,
                    "other": other,
                    "contact": other.contact if other else None,
                }
            )
    meetings.sort(key=lambda m: (m["item"].slot, m["item"].table))
    mine_ids = set(registered)
    with database.session() as db:
        accepted = [
            a
            for a in accepted_pairs(db, need_ids, offer_ids)
            if a.need_id in mine_ids or a.offer_id in mine_ids
        ]
    names = postings.get_many(sorted({i for a in accepted for i in (a.need_id, a.offer_id)}))
    recorded = {}
    if meetings:
        recorded = _recorded(database, session_id, [m["item"].pair_id for m in meetings])
    context = {
        "session": session,
        "closed": is_closed(database, session_id),
        "mine": mine,
        "own": own,
        "slots": slot_rows(sessions, session_id),
        "meetings": meetings,
        "version": version,
        "accepted": accepted,
        "names": names,
        "recorded": recorded,
    }
    return render(request, "my_session.html", context)


def _recorded(database: Any, session_id: int, pair_ids: list[str]) -> dict[str, str]:
    from service.db.models import MeetingOutcomeRow

    out: dict[str, str] = {}
    with database.session() as db:
        for pair in pair_ids:
            need, offer = (int(x) for x in pair.split("-"))
            row = db.get(MeetingOutcomeRow, (session_id, need, offer))
            if row is not None:
                out[pair] = row.outcome
    return out


@router.post("/my-sessions/{session_id:int}/register")
async def register(
    request: Request,
    session_id: int,
    principal: SignedInDep,
    sessions: SessionsDep,
    database: DatabaseDep,
) -> Response:
    """Register an own posting (the session must be open)."""
    form = await checked_form(request)
    lang = language(request)
    if is_closed(database, session_id):
        raise WebError(409, "error.title", translate("my.closed_note", lang))
    raw = str(form.get("posting_id") or "")
    if not raw.isdigit():
        raise WebError(422, "error.title")
    data = ParticipantIn(posting_id=int(raw), unavailable_slots=slots_of(form))
    try:
        await run_in_threadpool(sessions.add_participant, principal, session_id, data)
    except ServiceError as exc:
        raise service_error(exc, lang) from exc
    return redirect(
        request,
        f"/my-sessions/{session_id}",
        translate("parts.registered", lang, id=data.posting_id),
    )


@router.post("/my-sessions/{session_id:int}/slots/{posting_id:int}")
async def set_slots(
    request: Request,
    session_id: int,
    posting_id: int,
    principal: SignedInDep,
    sessions: SessionsDep,
) -> Response:
    """Replace an own participant's unavailable slots."""
    back = f"/my-sessions/{session_id}"
    return await save_slots(request, sessions, principal, session_id, posting_id, back)


@router.get("/my-sessions/{session_id:int}/meetings.ics")
def my_ics(
    request: Request, session_id: int, principal: SignedInDep, database: DatabaseDep
) -> Response:
    """An own posting's published meetings as an iCalendar file."""
    raw = request.query_params.get("posting_id") or ""
    if not raw.isdigit():
        raise WebError(404, "error.404")
    try:
        agenda, _ = published_agenda(database, principal, session_id, int(raw))
    except ServiceError as exc:
        raise service_error(exc) from exc
    return download(to_ics(agenda), f"session-{session_id}-{raw}.ics", ICS)


@router.post("/my-sessions/{session_id:int}/outcome")
async def my_outcome(
    request: Request, session_id: int, principal: SignedInDep, sessions: SessionsDep
) -> Response:
    """Record what came of one of the organization's meetings."""
    form = await checked_form(request)
    lang = language(request)
    pair = str(form.get("pair_id") or "")
    try:
        await run_in_threadpool(
            sessions.record_outcome, principal, session_id, pair, outcome_data(form)
        )
    except ServiceError as exc:
        raise service_error(exc, lang) from exc
    return redirect(request, f"/my-sessions/{session_id}#m-{pair}", translate("out.saved", lang))
