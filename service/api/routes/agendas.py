"""A session's agenda: ``GET /sessions/{id}/agenda`` (JSON, CSV, iCalendar) and the
printable page ``GET /sessions/{id}/agenda.html`` (outside ``/api/v1``)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.security import HTTPAuthorizationCredentials

from service.api.deps import PrincipalDep, SessionsDep, Unauthorized, bearer, get_principal
from service.api.downloads import CSV, ICS, download
from service.api.headers import headers_for_html
from service.api.params import PostingIdQuery, SessionIdPath
from service.auth.roles import Principal
from service.schemas.common import ERROR_RESPONSES, JSON_ERROR_RESPONSES
from service.sessions.exports import to_csv, to_html, to_json
from service.sessions.ics import to_ics

router = APIRouter(tags=["sessions"], responses=ERROR_RESPONSES)
pages_router = APIRouter(tags=["sessions"], responses=JSON_ERROR_RESPONSES)


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


def page_principal(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Principal:
    """The caller of a page others link to: an ``Authorization`` key, else the browser's
    sign-in cookie (401 with neither)."""
    if credentials is not None and credentials.credentials:
        return get_principal(request, credentials)
    # the web pages register how a sign-in cookie names its caller (service.web)
    from_cookie = getattr(request.app.state, "cookie_principal", None)
    principal: Principal | None = from_cookie(request) if from_cookie is not None else None
    if principal is None:
        raise Unauthorized(
            "sign in, or send an API key as 'Authorization: Bearer KEY'",
            ("header", "Authorization"),
        )
    return principal


@pages_router.get(
    "/sessions/{session_id}/agenda.html",
    response_class=HTMLResponse,
    summary="Printable agenda (per table and per participant)",
)
def agenda_html(
    session_id: SessionIdPath,
    principal: Annotated[Principal, Depends(page_principal)],
    sessions: SessionsDep,
    posting_id: PostingIdQuery = None,
    lang: Annotated[Literal["vi", "en"], Query()] = "vi",
) -> HTMLResponse:
    """A print-friendly page in Vietnamese or English: the whole session per table and per
    participant (staff), or one participant's meetings (`posting_id`)."""
    data = sessions.agenda(principal, session_id, posting_id)
    html = to_html(data, lang)
    return HTMLResponse(html, headers=headers_for_html(html))
