"""Tech-transfer sessions: ``/sessions`` (CRUD), participants, the session's pairs, the
schedule, agenda exports (CSV, JSON, iCalendar, printable HTML) and meeting outcomes."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query
from fastapi.responses import HTMLResponse, JSONResponse, Response

from service.api.deps import (
    PrincipalDep,
    RankedPairsDep,
    SessionsDep,
    StaffDep,
    require_json,
)
from service.api.downloads import CSV, ICS, download
from service.api.params import PairIdPath
from service.ranked_pairs import PairQuery
from service.schemas.common import ERROR_RESPONSES
from service.schemas.reviews import PairStatus
from service.schemas.sessions import (
    OutcomeIn,
    OutcomeOut,
    Outcomes,
    ParticipantIn,
    ParticipantOut,
    Participants,
    ParticipantUpdate,
    ScheduleIn,
    ScheduleOut,
    SessionCreate,
    SessionList,
    SessionOut,
    SessionPairs,
    SessionUpdate,
)
from service.sessions.exports import to_csv, to_html, to_json
from service.sessions.ics import to_ics

router = APIRouter(tags=["sessions"], responses=ERROR_RESPONSES)
pages_router = APIRouter(tags=["sessions"], responses=ERROR_RESPONSES)

SessionIdPath = Annotated[int, Path(ge=1, le=2**62, description="The session's id.")]
PostingIdPath = Annotated[int, Path(ge=1, le=2**62, description="The posting's id.")]
PostingIdQuery = Annotated[
    int | None,
    Query(ge=1, le=2**62, description="Only this participant's meetings (its organization)."),
]


@router.post(
    "/sessions",
    response_model=SessionOut,
    status_code=201,
    summary="Create a session (moderators)",
    dependencies=[Depends(require_json)],
)
def create_session(data: SessionCreate, principal: PrincipalDep, sessions: SessionsDep) -> Any:
    """A session: `start` (ISO 8601 with offset) of slot 0, `slots` × `slot_minutes`,
    `tables`, `max_meetings_per_participant`, `fairness_k`."""
    return sessions.create(principal, data)


@router.get("/sessions", response_model=SessionList, summary="Sessions")
def list_sessions(principal: PrincipalDep, sessions: SessionsDep) -> Any:
    """Every session, latest start first (any key)."""
    return SessionList(items=sessions.all())


@router.get("/sessions/{session_id}", response_model=SessionOut, summary="One session")
def get_session(session_id: SessionIdPath, principal: PrincipalDep, sessions: SessionsDep) -> Any:
    """One session with its numbers of participants and meetings."""
    return sessions.get(session_id)


@router.patch(
    "/sessions/{session_id}",
    response_model=SessionOut,
    summary="Change a session (moderators)",
    dependencies=[Depends(require_json)],
)
def update_session(
    session_id: SessionIdPath, data: SessionUpdate, principal: PrincipalDep, sessions: SessionsDep
) -> Any:
    """Change the fields present. The stored schedule stays until the next
    `POST /sessions/{id}/schedule` (meetings outside fewer slots or tables are re-placed
    then)."""
    return sessions.update(principal, session_id, data)


@router.delete("/sessions/{session_id}", status_code=204, summary="Delete a session (moderators)")
def delete_session(
    session_id: SessionIdPath, principal: PrincipalDep, sessions: SessionsDep
) -> Response:
    """Delete the session with its participants, meetings and outcomes."""
    sessions.delete(principal, session_id)
    return Response(status_code=204)


# -- participants --------------------------------------------------------------------


@router.post(
    "/sessions/{session_id}/participants",
    response_model=ParticipantOut,
    status_code=201,
    summary="Register a posting (its organization, moderators)",
    dependencies=[Depends(require_json)],
)
def add_participant(
    session_id: SessionIdPath, data: ParticipantIn, principal: PrincipalDep, sessions: SessionsDep
) -> Any:
    """Register a need or offer with the slots (0-based) it cannot attend. `404` unknown
    posting, `409` already registered, `422` a slot outside the session."""
    return sessions.add_participant(principal, session_id, data)


@router.get(
    "/sessions/{session_id}/participants", response_model=Participants, summary="Participants"
)
def list_participants(
    session_id: SessionIdPath, principal: PrincipalDep, sessions: SessionsDep
) -> Any:
    """The registered postings the caller may see, by posting id."""
    return Participants(items=sessions.participants(principal, session_id))


@router.patch(
    "/sessions/{session_id}/participants/{posting_id}",
    response_model=ParticipantOut,
    summary="Change a participant's unavailability",
    dependencies=[Depends(require_json)],
)
def update_participant(
    session_id: SessionIdPath,
    posting_id: PostingIdPath,
    data: ParticipantUpdate,
    principal: PrincipalDep,
    sessions: SessionsDep,
) -> Any:
    """Replace the unavailable slots; meetings in newly blocked slots are cancelled now."""
    return sessions.update_participant(principal, session_id, posting_id, data)


@router.delete(
    "/sessions/{session_id}/participants/{posting_id}",
    status_code=204,
    summary="Unregister a posting",
)
def remove_participant(
    session_id: SessionIdPath,
    posting_id: PostingIdPath,
    principal: PrincipalDep,
    sessions: SessionsDep,
) -> Response:
    """Unregister; the posting's meetings are cancelled, the others keep their places."""
    sessions.remove_participant(principal, session_id, posting_id)
    return Response(status_code=204)


# -- pairs and schedule --------------------------------------------------------------


@router.get(
    "/sessions/{session_id}/pairs",
    response_model=SessionPairs,
    summary="Ranked pairs between the session's participants (moderators)",
)
def session_pairs(
    session_id: SessionIdPath,
    principal: StaffDep,
    sessions: SessionsDep,
    ranked: RankedPairsDep,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    min_score: Annotated[float, Query(ge=0.0, le=1.0)] = 0.0,
    per_need: Annotated[int, Query(ge=1, le=50)] = 3,
    per_offer: Annotated[int, Query(ge=1, le=50)] = 3,
    status: PairStatus | None = None,
    mutual_interest: bool | None = None,
) -> Any:
    """As `GET /pairs`, restricted to the needs and offers registered for the session."""
    need_ids, offer_ids = sessions.participant_ids(session_id)
    if not need_ids or not offer_ids:
        return {"items": []}
    query = PairQuery(
        limit, min_score, per_need, per_offer, status, mutual_interest, need_ids, offer_ids
    )
    return {"items": [pair.to_item(principal) for pair in ranked.search(query)]}


@router.post(
    "/sessions/{session_id}/schedule",
    response_model=ScheduleOut,
    summary="Schedule the session's meetings (moderators)",
    responses={409: {"description": "The session cannot be scheduled as it stands"}},
)
def schedule_session(
    session_id: SessionIdPath,
    principal: PrincipalDep,
    sessions: SessionsDep,
    data: ScheduleIn | None = None,
) -> Any:
    """Schedule the accepted pairs between participants (and, with `include_suggested`,
    unreviewed or `maybe` pairs both sides marked interesting with score ≥ `min_score`;
    never rejected ones). Fairness first, then total value (`value_rule`). Meetings of the
    stored schedule that are still valid keep their slot and table (unless `reset`). No
    participants or no candidate pairs: `200` with no meetings, `status` `empty` and a
    `note`. A stored schedule the new limits cannot honour: `409`."""
    return sessions.schedule(principal, session_id, data or ScheduleIn())


# -- agendas -------------------------------------------------------------------------


@router.get(
    "/sessions/{session_id}/agenda",
    summary="Agenda as JSON, CSV or iCalendar",
    responses={
        200: {
            "content": {"application/json": {}, "text/csv": {}, "text/calendar": {}},
            "description": "The meetings by slot, then table",
        }
    },
)
def agenda(
    session_id: SessionIdPath,
    principal: PrincipalDep,
    sessions: SessionsDep,
    posting_id: PostingIdQuery = None,
    format: Annotated[Literal["json", "csv", "ics"], Query()] = "json",
) -> Response:
    """The whole session (moderators, admins) or one participant's meetings
    (`posting_id`: its organization or staff)."""
    data = sessions.agenda(principal, session_id, posting_id)
    name = f"session-{session_id}" + (f"-{posting_id}" if posting_id else "")
    if format == "csv":
        return download(to_csv(data), f"{name}.csv", CSV)
    if format == "ics":
        return download(to_ics(data), f"{name}.ics", ICS)
    return JSONResponse(to_json(data))


@pages_router.get(
    "/sessions/{session_id}/agenda.html",
    response_class=HTMLResponse,
    summary="Printable agenda (per table and per participant)",
)
def agenda_html(
    session_id: SessionIdPath,
    principal: PrincipalDep,
    sessions: SessionsDep,
    posting_id: PostingIdQuery = None,
    lang: Annotated[Literal["vi", "en"], Query()] = "vi",
) -> HTMLResponse:
    """A print-friendly page in Vietnamese or English: the whole session per table and per
    participant (staff), or one participant's meetings (`posting_id`)."""
    data = sessions.agenda(principal, session_id, posting_id)
    return HTMLResponse(to_html(data, lang))


# -- outcomes ------------------------------------------------------------------------


@router.post(
    "/sessions/{session_id}/meetings/{pair_id}/outcome",
    response_model=OutcomeOut,
    summary="Record a meeting's outcome (either side, moderators)",
    dependencies=[Depends(require_json)],
)
def record_outcome(
    session_id: SessionIdPath,
    pair_id: PairIdPath,
    data: OutcomeIn,
    principal: PrincipalDep,
    sessions: SessionsDep,
) -> Any:
    """`held`, `no_show` or `follow_up` (with `follow_up`: `mou`, `contract`, `pilot`,
    `other`) and a note; replaces the pair's earlier outcome in this session."""
    return sessions.record_outcome(principal, session_id, pair_id, data)


@router.get(
    "/outcomes",
    response_model=Outcomes,
    summary="Meeting outcomes, JSON or CSV (moderators)",
    responses={200: {"content": {"text/csv": {}}, "description": "JSON or CSV"}},
)
def outcomes(
    principal: PrincipalDep,
    sessions: SessionsDep,
    session_id: Annotated[int | None, Query(ge=1, le=2**62)] = None,
    format: Annotated[Literal["json", "csv"], Query()] = "json",
) -> Any:
    """Every recorded outcome (optionally of one session), for evaluation."""
    if format == "csv":
        return download(sessions.outcomes_csv(principal, session_id), "outcomes.csv")
    return Outcomes(items=sessions.outcomes(principal, session_id))
