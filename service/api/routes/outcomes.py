"""Meeting outcomes: ``POST /sessions/{id}/meetings/{pair_id}/outcome`` (either side,
staff) and ``GET /outcomes`` (JSON or CSV, staff)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query

from service.api.deps import PrincipalDep, SessionsDep, require_json
from service.api.downloads import TABLE_CONTENT, download
from service.api.params import PairIdPath, SessionIdPath
from service.csv_export import XLSX
from service.schemas.common import ERROR_RESPONSES
from service.schemas.sessions import OutcomeIn, OutcomeOut, Outcomes

router = APIRouter(tags=["sessions"], responses=ERROR_RESPONSES)


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
    summary="Meeting outcomes, JSON, CSV or XLSX (moderators)",
    responses={200: {"content": TABLE_CONTENT, "description": "JSON, CSV or XLSX"}},
)
def outcomes(
    principal: PrincipalDep,
    sessions: SessionsDep,
    session_id: Annotated[int | None, Query(ge=1, le=2**62)] = None,
    format: Annotated[Literal["json", "csv", "xlsx"], Query()] = "json",
) -> Any:
    """Every recorded outcome (optionally of one session), for evaluation."""
    if format == "csv":
        return download(sessions.outcomes_csv(principal, session_id), "outcomes.csv")
    if format == "xlsx":
        return download(sessions.outcomes_xlsx(principal, session_id), "outcomes.xlsx", XLSX)
    return Outcomes(items=sessions.outcomes(principal, session_id))
