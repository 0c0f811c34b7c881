"""Tech-transfer sessions: ``/sessions`` (CRUD) and their participants. The schedule is in
``meetings``, agendas in ``agendas``, outcomes in ``outcomes``."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends
from fastapi.responses import Response

from service.api.deps import PrincipalDep, SessionsDep, require_json
from service.api.params import PostingIdPath, SessionIdPath
from service.schemas.common import ERROR_RESPONSES
from service.schemas.sessions import (
    ParticipantIn,
    ParticipantOut,
    Participants,
    ParticipantUpdate,
    SessionCreate,
    SessionList,
    SessionOut,
    SessionUpdate,
)

router = APIRouter(tags=["sessions"], responses=ERROR_RESPONSES)


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
