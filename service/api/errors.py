"""Exception handlers: every error answers ``{"detail": [{"loc", "msg", "type"}]}``."""

from __future__ import annotations

import logging
import re
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from service.api.limits import BodyTooLarge
from service.errors import ServiceError
from service.matching import IndexNotReady

log = logging.getLogger(__name__)


def error_response(
    status_code: int, loc: list[Any], msg: str, type_: str, headers: dict[str, str] | None = None
) -> JSONResponse:
    """A JSON error answer with one item."""
    return JSONResponse(
        {"detail": [{"loc": loc, "msg": msg, "type": type_}]}, status_code, headers=headers
    )


def _clean_item(error: dict[str, Any]) -> dict[str, Any]:
    msg = str(error.get("msg", ""))
    ctx = error.get("ctx") or {}
    if error.get("type") == "json_invalid" and ctx.get("error"):
        msg = f"{msg}: {ctx['error']}"
    return {
        "loc": [p if isinstance(p, int) else str(p) for p in error.get("loc", ())],
        "msg": msg,
        "type": str(error.get("type", "value_error")),
    }


async def _validation_handler(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    return JSONResponse({"detail": [_clean_item(e) for e in exc.errors()]}, 422)


async def _http_handler(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    headers = dict(exc.headers) if exc.headers else None
    cause = exc.__cause__
    if isinstance(cause, BodyTooLarge):
        msg = f"the request body is larger than {cause.limit} bytes"
        return error_response(413, ["body"], msg, "body_too_large")
    if exc.status_code == 400 and isinstance(cause, UnicodeDecodeError):
        return error_response(422, ["body"], "the request body is not valid UTF-8", "body_not_utf8")
    if exc.status_code == 400 and isinstance(cause, RecursionError):
        msg = "JSON decode error: the body nests arrays or objects too deeply"
        return error_response(422, ["body"], msg, "json_invalid")
    if exc.status_code == 405:
        allow = ", ".join(allowed_methods(request, (exc.headers or {}).get("Allow", "")))
        if request.method == "OPTIONS" and allow:
            return Response(status_code=204, headers={"Allow": allow})
        return error_response(405, [], "Method Not Allowed", "method_not_allowed", {"Allow": allow})
    if exc.status_code == 400 and cause is not None:
        return error_response(
            400, ["body"], f"the request body could not be read: {exc.detail}", "body_invalid"
        )
    type_ = {401: "unauthorized", 403: "forbidden", 404: "not_found", 405: "method_not_allowed"}
    return error_response(
        exc.status_code, [], str(exc.detail), type_.get(exc.status_code, "http_error"), headers
    )


#: Routes named so only answer 405 (a static path that a parametrised one would swallow).
METHOD_NOT_ALLOWED_ROUTE = "method_not_allowed"


_METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}


def allowed_methods(request: Request, fallback: str = "") -> list[str]:
    """The methods the API documents at the request's path (static paths win over
    parametrised ones, as ``/needs/import`` over ``/needs/{posting_id}``); ``fallback``
    (the router's ``Allow``) for paths outside the OpenAPI document."""
    path = request.url.path
    matching: list[tuple[str, dict[str, Any]]] = []
    for template, operations in request.app.openapi().get("paths", {}).items():
        pattern = re.sub(r"\\\{[^}]*\\\}", "[^/]+", re.escape(template))
        if re.fullmatch(pattern, path):
            matching.append((template, operations))
    static = [m for m in matching if "{" not in m[0]]
    methods = {m.upper() for _, ops in (static or matching) for m in ops if m in _METHODS}
    if not methods:
        methods = {m.strip() for m in fallback.split(",") if m.strip()}
    if methods:
        methods |= {"OPTIONS"}
    return sorted(methods)


async def _service_handler(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ServiceError)
    headers = {"WWW-Authenticate": "Bearer"} if exc.status_code == 401 else None
    retry_after = getattr(exc, "retry_after", None)
    if isinstance(retry_after, int):
        headers = {"Retry-After": str(retry_after)}
    return JSONResponse({"detail": exc.detail()}, exc.status_code, headers=headers)


async def _not_ready_handler(request: Request, exc: Exception) -> JSONResponse:
    return error_response(503, [], str(exc), "index_not_ready")


async def _too_large_handler(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, BodyTooLarge)
    msg = f"the request body is larger than {exc.limit} bytes"
    return error_response(413, ["body"], msg, "body_too_large")


async def _unexpected_handler(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unexpected error on %s %s", request.method, request.url.path, exc_info=exc)
    return error_response(500, [], "internal error", "internal_error")


def install_error_handlers(app: FastAPI) -> None:
    """Register the handlers on ``app``."""
    app.add_exception_handler(RequestValidationError, _validation_handler)
    app.add_exception_handler(StarletteHTTPException, _http_handler)
    app.add_exception_handler(ServiceError, _service_handler)
    app.add_exception_handler(IndexNotReady, _not_ready_handler)
    app.add_exception_handler(BodyTooLarge, _too_large_handler)
    app.add_exception_handler(Exception, _unexpected_handler)
