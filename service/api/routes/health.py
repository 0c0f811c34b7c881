"""``GET /health``: database, index and model status; needs no key (the index's directory
is shown to moderators and admins only)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials
from sqlalchemy import text

from service.api.deps import DatabaseDep, MatcherDep, bearer, get_principal
from service.core import threads

router = APIRouter(tags=["health"])


@router.get("/health", summary="Service status (no key needed)")
def health(
    request: Request,
    database: DatabaseDep,
    matcher: MatcherDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> JSONResponse:
    """`status` is `ok` when the database answers and the index and model are loaded
    (HTTP 200), `error` otherwise (HTTP 503). `index.directory` only with a moderator or
    admin key. `worker`: this process (`pid`), the last change of the feed it applied, how
    many it is `behind`, its wake-up (`listen` or `poll`) and whether it `writes_index_file`.
    `threads`: this worker's native thread budget (`TECHMATCH_WORKER_THREADS`, default
    cores // workers; `TECHMATCH_BLAS_THREADS`) and what each loaded library reports.
    `model.selection` says how the embedding backend was chosen (`auto`: the CPU,
    each candidate's texts/s and cosine to fp32)."""
    db: dict[str, Any] = {"ok": True, "backend": database.backend}
    try:
        with database.session() as session:
            session.execute(text("SELECT 1"))
    except Exception as exc:  # report, don't raise: this is the health check
        db = {"ok": False, "backend": database.backend, "error": type(exc).__name__}
    body: dict[str, Any] = {"database": db, **matcher.status()}
    follower = getattr(request.app.state, "follower", None)
    if follower is not None:  # which worker answered, how far behind the change feed it is
        body["worker"] = follower.status()
    budget = getattr(request.app.state, "threads", None)
    if budget is not None:  # this worker's native thread budget (service/core/threads.py)
        body["threads"] = threads.status(budget)
    if not _staff(request, credentials):
        body["index"].pop("directory", None)
    # How the backend was chosen: "auto" with the CPU, the figures per candidate and whether
    # the record was reused, or "explicit" (models/backend_select.py).
    # Only models with a backend choice have it (the hashing test model has none).
    selection = getattr(matcher.model, "selection", None)
    if selection is not None:
        body["model"]["selection"] = selection
    ok = db["ok"] and body["index"]["ok"] and body["model"]["ok"]
    body = {"status": "ok" if ok else "error", **body}
    return JSONResponse(body, status_code=200 if ok else 503)


def _staff(request: Request, credentials: HTTPAuthorizationCredentials | None) -> bool:
    if credentials is None or not credentials.credentials:
        return False
    try:
        return get_principal(request, credentials).is_staff
    except Exception:  # a bad key still gets the public health answer
        return False
