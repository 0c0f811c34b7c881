"""The organisers' schedule pages: the session's pairs, "Schedule" (a background run with
a running state, then status, gap, what moved and why pairs got no meeting), the grid
(slot × table) and per-participant view, publishing (with the agenda e-mails), the
downloads (CSV, ICS, outcomes CSV) and the outcome form per meeting."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.concurrency import run_in_threadpool
from pydantic import ValidationError

from service.api.deps import DatabaseDep, RankedPairsDep, SessionsDep
from service.api.downloads import CSV, ICS, download
from service.email import Mailer, email_states
from service.email.publishing import publish_and_send
from service.errors import ServiceError
from service.ranked_pairs import PairQuery
from service.schemas.sessions import OutcomeIn, ScheduleIn
from service.sessions.agenda import Agenda
from service.sessions.exports import to_csv
from service.sessions.ics import to_ics
from service.sessions.publish import publish_state, published_agenda
from service.sessions.runs import Places, ScheduleRuns, changes, why_unscheduled
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
from service.web.routes.sessions import slot_rows

router = APIRouter(include_in_schema=False)


def schedule_runs(request: Request) -> ScheduleRuns:
    """The app's schedule runs (created on first use)."""
    runs: ScheduleRuns | None = getattr(request.app.state, "schedule_runs", None)
    if runs is None:
        runs = ScheduleRuns()
        request.app.state.schedule_runs = runs
    return runs


def mailer(request: Request) -> Mailer:
    """The app's mailer (one that sends nothing when the app has none)."""
    found: Mailer | None = getattr(request.app.state, "mailer", None)
    if found is None:
        found = Mailer(request.app.state.database, None, "")
        request.app.state.mailer = found
    return found


def _agenda(sessions: Any, principal: Any, session_id: int, posting_id: int | None) -> Agenda:
    try:
        agenda: Agenda = sessions.agenda(principal, session_id, posting_id)
    except ServiceError as exc:
        raise service_error(exc) from exc
    return agenda


def _places(agenda: Agenda) -> Places:
    return {i.pair_id: (i.slot, i.table) for i in agenda.items}


@router.get("/sessions/{session_id:int}/pairs")
def pairs_page(
    request: Request,
    session_id: int,
    principal: SignedInStaffDep,
    sessions: SessionsDep,
    ranked: RankedPairsDep,
) -> Response:
    """The ranked pairs among the participants with their review state and interest."""
    try:
        session = sessions.get(session_id)
        need_ids, offer_ids = sessions.participant_ids(session_id)
    except ServiceError as exc:
        raise service_error(exc) from exc
    items: list[dict[str, Any]] = []
    if need_ids and offer_ids:
        query = PairQuery(200, 0.0, 5, 5, None, None, need_ids, offer_ids)
        items = [pair.to_item(principal) for pair in ranked.search(query)]
    return render(request, "session_pairs.html", {"session": session, "pairs": items})


def _grid(agenda: Agenda, slots: int, tables: int) -> list[list[Any]]:
    cells: list[list[Any]] = [[None] * tables for _ in range(slots)]
    for item in agenda.items:
        if item.slot < slots and item.table < tables:
            cells[item.slot][item.table] = item
    return cells


def _by_participant(agenda: Agenda) -> list[tuple[tuple[int, str, str], list[Any]]]:
    groups: dict[tuple[int, str, str], list[Any]] = defaultdict(list)
    for item in agenda.items:
        groups[(item.need_id, item.need_organization, item.need_title)].append(item)
        groups[(item.offer_id, item.offer_organization, item.offer_title)].append(item)
    return sorted(groups.items())


def _unscheduled(
    sessions: Any, principal: Any, session_id: int, agenda: Agenda, pair_ids: list[str]
) -> list[dict[str, Any]]:
    session = sessions.get(session_id)
    parts = {p.posting_id: p for p in sessions.participants(principal, session_id)}
    meetings = [(i.need_id, i.offer_id, i.slot, i.table) for i in agenda.items]
    unavailable = {pid: set(p.unavailable_slots) for pid, p in parts.items()}
    out = []
    for pair in pair_ids:
        need, offer = (int(x) for x in pair.split("-"))
        key = why_unscheduled(
            (need, offer),
            meetings,
            unavailable,
            session.slots,
            session.tables,
            session.max_meetings_per_participant,
        )
        out.append(
            {
                "pair_id": pair,
                "need": parts[need].title if need in parts else f"#{need}",
                "offer": parts[offer].title if offer in parts else f"#{offer}",
                "why": key,
            }
        )
    return out


@router.get("/sessions/{session_id:int}/schedule")
def schedule_page(
    request: Request,
    session_id: int,
    principal: SignedInStaffDep,
    sessions: SessionsDep,
    database: DatabaseDep,
) -> Response:
    """The schedule: the run's state or result, the grid, per participant, publishing,
    the e-mails of the published version and the downloads."""
    try:
        session = sessions.get(session_id)
    except ServiceError as exc:
        raise service_error(exc) from exc
    # the run first: a run that finishes meanwhile has stored its meetings before the
    # agenda is read, so a "done" page always shows them
    run = schedule_runs(request).get(session_id)
    run_state = run.state if run is not None else "none"
    agenda = _agenda(sessions, principal, session_id, None)
    moved = None
    unscheduled: list[dict[str, Any]] = []
    if run is not None and run_state == "done" and run.result is not None:
        moved = changes(run.before, _places(agenda))
        unscheduled = _unscheduled(sessions, principal, session_id, agenda, run.result.unscheduled)
    state = publish_state(database, session_id)
    emails = email_states(database, session_id, state.latest.version) if state.latest else []
    participants = sessions.participants(principal, session_id)
    context = {
        "session": session,
        "run": run,
        "run_state": run_state,
        "moved": moved,
        "unscheduled": unscheduled,
        "grid": _grid(agenda, session.slots, session.tables),
        "slots": slot_rows(sessions, session_id),
        "by_participant": _by_participant(agenda),
        "items": agenda.items,
        "publish": state,
        "emails": emails,
        "smtp": mailer(request).enabled,
        "participants": participants,
        "refresh": run_state == "running",
    }
    return render(request, "session_schedule.html", context)


def _before(sessions: Any, principal: Any, session_id: int) -> Places:
    """Where the meetings were: as last published (what participants were told), else as
    stored."""
    if publish_state(sessions.database, session_id).latest is not None:
        published, _ = published_agenda(sessions.database, principal, session_id, None)
        return _places(published)
    return _places(_agenda(sessions, principal, session_id, None))


@router.post("/sessions/{session_id:int}/schedule")
async def run_schedule(
    request: Request, session_id: int, principal: SignedInStaffDep, sessions: SessionsDep
) -> Response:
    """Start the solver in the background with the form's time limit; back to the page."""
    form = await checked_form(request)
    try:
        data = ScheduleIn(
            time_limit_s=float(str(form.get("time_limit_s") or "20")),
            include_suggested=form.get("include_suggested") == "1",
            reset=form.get("reset") == "1",
        )
    except (ValueError, ValidationError) as exc:
        raise WebError(422, "error.title", str(exc)) from exc
    before = _before(sessions, principal, session_id)
    schedule_runs(request).start(
        session_id, before, lambda: sessions.schedule(principal, session_id, data)
    )
    return redirect(request, f"/sessions/{session_id}/schedule")


@router.get("/sessions/{session_id:int}/schedule/state")
def schedule_state(request: Request, session_id: int, principal: SignedInStaffDep) -> Response:
    """The run's state as JSON, for the page's script (``none`` before any run)."""
    from fastapi.responses import JSONResponse

    run = schedule_runs(request).get(session_id)
    return JSONResponse({"state": run.state if run else "none"})


@router.post("/sessions/{session_id:int}/publish")
async def publish(
    request: Request, session_id: int, principal: SignedInStaffDep, database: DatabaseDep
) -> Response:
    """Publish the stored schedule and send the agenda e-mails of a new version."""
    await checked_form(request)
    lang = language(request)
    try:
        done = await run_in_threadpool(
            publish_and_send, database, mailer(request), principal, session_id
        )
    except ServiceError as exc:
        raise service_error(exc, lang) from exc
    version = done.publication.version
    key = "sched.published_new" if done.publication.new else "sched.published_same"
    message = translate(key, lang, v=version)
    if done.queued is None:
        message += " " + translate("sched.no_smtp", lang)
    elif done.queued:
        message += " " + translate("sched.queued", lang, n=done.queued)
    return redirect(request, f"/sessions/{session_id}/schedule#publish", message)


@router.get("/sessions/{session_id:int}/agenda.csv")
def agenda_csv(
    request: Request, session_id: int, principal: SignedInStaffDep, sessions: SessionsDep
) -> Response:
    """The whole (draft) schedule as CSV, with the sign-in cookie."""
    return download(
        to_csv(_agenda(sessions, principal, session_id, None)), f"session-{session_id}.csv", CSV
    )


@router.get("/sessions/{session_id:int}/agenda.ics")
def agenda_ics(
    request: Request, session_id: int, principal: SignedInStaffDep, sessions: SessionsDep
) -> Response:
    """One participant's (``posting_id``) or the whole session's calendar."""
    raw = request.query_params.get("posting_id") or ""
    posting_id = int(raw) if raw.isdigit() else None
    name = f"session-{session_id}" + (f"-{posting_id}" if posting_id else "")
    agenda = _agenda(sessions, principal, session_id, posting_id)
    return download(to_ics(agenda), f"{name}.ics", ICS)


@router.get("/sessions/{session_id:int}/outcomes.csv")
def outcomes_csv(
    request: Request, session_id: int, principal: SignedInStaffDep, sessions: SessionsDep
) -> Response:
    """The session's recorded outcomes as CSV."""
    try:
        text = sessions.outcomes_csv(principal, session_id)
    except ServiceError as exc:
        raise service_error(exc) from exc
    return download(text, f"outcomes-{session_id}.csv", CSV)


@router.get("/sessions/{session_id:int}/outcomes")
def outcomes_page(
    request: Request, session_id: int, principal: SignedInStaffDep, sessions: SessionsDep
) -> Response:
    """Every meeting with its outcome form."""
    agenda = _agenda(sessions, principal, session_id, None)
    recorded = {o.pair_id: o for o in sessions.outcomes(principal, session_id)}
    context = {
        "session": agenda.session,
        "items": agenda.items,
        "recorded": recorded,
        "action": f"/sessions/{session_id}/outcomes",
    }
    return render(request, "session_outcomes.html", context)


def outcome_data(form: Any) -> OutcomeIn:
    """The outcome of the form (the 422 page when it is not valid)."""
    outcome = str(form.get("outcome") or "")
    try:
        return OutcomeIn.model_validate(
            {
                "outcome": outcome,
                "follow_up": (form.get("follow_up") or None) if outcome == "follow_up" else None,
                "note": form.get("note") or None,
            }
        )
    except ValidationError as exc:
        raise WebError(422, "error.title", str(exc.errors()[0]["msg"])) from exc


@router.post("/sessions/{session_id:int}/outcomes")
async def record_outcome(
    request: Request, session_id: int, principal: SignedInStaffDep, sessions: SessionsDep
) -> Response:
    """Record one meeting's outcome."""
    form = await checked_form(request)
    pair = str(form.get("pair_id") or "")
    lang = language(request)
    try:
        await run_in_threadpool(
            sessions.record_outcome, principal, session_id, pair, outcome_data(form)
        )
    except ServiceError as exc:
        raise service_error(exc, lang) from exc
    back = f"/sessions/{session_id}/outcomes#m-{pair}"
    return redirect(request, back, translate("out.saved", lang))
