"""Every dependency the routes and the web pages inject: settings, storage, the matcher,
the services over them (postings, reviews, sessions, ranked pairs) and the caller.

API routes and web pages take the same ``…Dep`` annotations; only the caller differs: an
API key here (``PrincipalDep``), the signed-in web session in :mod:`service.web.pages`.
"""

from __future__ import annotations

import logging
import threading
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from service.auth.keys import authenticate
from service.auth.ratelimit import AuthFailureLimiter
from service.auth.roles import Principal, can_manage_keys
from service.core.config import Settings
from service.db.engine import Database
from service.errors import Forbidden, ServiceError
from service.matching import Matcher
from service.postings import PostingService
from service.ranked_pairs import RankedPairs
from service.ranking import RankingService, RankingWatcher
from service.reviews import ReviewService
from service.sessions import SessionService

log = logging.getLogger(__name__)

bearer = HTTPBearer(
    auto_error=False,
    scheme_name="ApiKey",
    description="An API key: `Authorization: Bearer tm_...` (create one with "
    "`techmatch keys create --role ROLE --org ORG`).",
)


class Unauthorized(ServiceError):
    """No key, or a key that is unknown or revoked."""

    status_code = 401
    error_type = "unauthorized"


class UnsupportedMediaType(ServiceError):
    """A request body that is not declared as JSON."""

    status_code = 415
    error_type = "unsupported_media_type"


def get_settings(request: Request) -> Settings:
    """The settings the app was created with."""
    settings: Settings = request.app.state.settings
    return settings


_limiter_lock = threading.Lock()


def auth_limiter(request: Request) -> AuthFailureLimiter:
    """The app's limiter of failed authentications (made from the settings on first use)."""
    state = request.app.state
    limiter: AuthFailureLimiter | None = getattr(state, "auth_limiter", None)
    if limiter is None:
        with _limiter_lock:
            limiter = getattr(state, "auth_limiter", None)
            if limiter is None:
                settings = get_settings(request)
                limiter = AuthFailureLimiter(
                    settings.auth_failures_per_address, settings.auth_failures_per_key_prefix
                )
                state.auth_limiter = limiter
    return limiter


def client_address(request: Request) -> str:
    """The client's IP address as the server sees it (a proxy's, behind a proxy)."""
    return request.client.host if request.client else "unknown"


def get_database(request: Request) -> Database:
    """The app's database."""
    database: Database = request.app.state.database
    return database


def get_matcher(request: Request) -> Matcher:
    """The app's matcher (the bridge to the index), on the active ranking of the database
    (its version is checked at most every few seconds)."""
    matcher: Matcher = request.app.state.matcher
    watcher: RankingWatcher | None = getattr(request.app.state, "ranking_watcher", None)
    if watcher is not None:
        try:
            watcher.refresh()
        except Exception as exc:  # the database is unreachable: keep the ranking in use
            # (the next request after the interval tries again; /health reports the database)
            log.warning("could not check the active ranking (%s); keeping the current one", exc)
    return matcher


def get_ranking(request: Request) -> RankingService:
    """Learning, showing and resetting the ranking over the app's database and matcher."""
    state = request.app.state
    return RankingService(get_database(request), get_matcher(request), state.ranking_watcher)


def get_postings(request: Request) -> PostingService:
    """The app's posting service."""
    postings: PostingService = request.app.state.postings
    return postings


def get_reviews(request: Request) -> ReviewService:
    """Review operations over the app's database."""
    return ReviewService(get_database(request))


def get_sessions(request: Request) -> SessionService:
    """Session operations over the app's database and matcher."""
    return SessionService(get_database(request), get_matcher(request))


def get_ranked_pairs(
    postings: Annotated[PostingService, Depends(get_postings)],
    matcher: Annotated[Matcher, Depends(get_matcher)],
    reviews: Annotated[ReviewService, Depends(get_reviews)],
) -> RankedPairs:
    """Ranked pairs over the app's matcher, postings and reviews."""
    return RankedPairs(postings, matcher, reviews)


def get_principal(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Principal:
    """The caller behind the ``Authorization: Bearer KEY`` header (401 without a valid key,
    429 after too many failed ones from this address or with this key prefix)."""
    if credentials is None or not credentials.credentials:
        raise Unauthorized(
            "send an API key as 'Authorization: Bearer KEY'", ("header", "Authorization")
        )
    limiter, address = auth_limiter(request), client_address(request)
    limiter.check(address, credentials.credentials)
    settings = get_settings(request)
    admin_key = settings.admin_key.get_secret_value() if settings.admin_key else None
    with get_database(request).session() as session:
        principal = authenticate(session, credentials.credentials, admin_key)
    if principal is None:
        limiter.failed(address, credentials.credentials)
        raise Unauthorized("unknown or revoked API key", ("header", "Authorization"))
    return principal


def require_staff(principal: Annotated[Principal, Depends(get_principal)]) -> Principal:
    """The caller, who must be a moderator or an admin (403 otherwise)."""
    if not principal.is_staff:
        raise Forbidden("only moderators and admins may do this")
    return principal


def require_admin(principal: Annotated[Principal, Depends(get_principal)]) -> Principal:
    """The caller, who must be an admin (403 otherwise)."""
    if not can_manage_keys(principal):
        raise Forbidden("only admins may do this")
    return principal


class BodyNotUtf8(ServiceError):
    """A JSON body in another encoding than UTF-8 (e.g. UTF-16)."""

    status_code = 422
    error_type = "body_not_utf8"


async def require_json(request: Request) -> None:
    """Refuse (415) a request whose body is not declared ``application/json``, and (422) a
    JSON body that is not UTF-8 (the JSON parser alone would also take UTF-16 and -32)."""
    content_type = request.headers.get("content-type", "")
    media = content_type.split(";", 1)[0].strip().lower()
    if media == "application/json" or (
        media.startswith("application/") and media.endswith("+json")
    ):
        body = await request.body()
        try:
            body.decode("utf-8")
            if b"\x00" in body:  # UTF-16/32 of ASCII text; never in UTF-8 JSON
                raise UnicodeDecodeError("utf-8", body, body.index(b"\x00"), 1, "NUL byte")
        except UnicodeDecodeError as exc:
            raise BodyNotUtf8(
                "the request body is not valid UTF-8",
                ("body",),
                msg_vi="Nội dung không phải UTF-8.",
            ) from exc
        return
    raise UnsupportedMediaType(
        f"send the body as JSON with 'Content-Type: application/json' (got {media or 'none'!r})",
        ("header", "content-type"),
    )


SettingsDep = Annotated[Settings, Depends(get_settings)]
DatabaseDep = Annotated[Database, Depends(get_database)]
MatcherDep = Annotated[Matcher, Depends(get_matcher)]
PostingsDep = Annotated[PostingService, Depends(get_postings)]
PrincipalDep = Annotated[Principal, Depends(get_principal)]
StaffDep = Annotated[Principal, Depends(require_staff)]
AdminDep = Annotated[Principal, Depends(require_admin)]
ReviewsDep = Annotated[ReviewService, Depends(get_reviews)]
SessionsDep = Annotated[SessionService, Depends(get_sessions)]
RankedPairsDep = Annotated[RankedPairs, Depends(get_ranked_pairs)]
RankingDep = Annotated[RankingService, Depends(get_ranking)]
