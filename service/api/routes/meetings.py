"""A session's ranked pairs and its schedule: ``GET /sessions/{id}/pairs`` and
``POST /sessions/{id}/schedule`` (moderators)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from service.api.deps import PrincipalDep, RankedPairsDep, SessionsDep, StaffDep
from service.api.params import SessionIdPath
from service.ranked_pairs import PairQuery
from service.schemas.common import ERROR_RESPONSES
from service.schemas.reviews import PairStatus
from service.schemas.sessions import ScheduleIn, ScheduleOut, SessionPairs

router = APIRouter(tags=["sessions"], responses=ERROR_RESPONSES)


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
