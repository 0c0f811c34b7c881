"""Web sessions: a signed cookie that remembers who signed in, plus a CSRF token.

The cookie ``techmatch_session`` holds ``{"csrf": token, "kid": key id | None,
"admin": bool}`` signed with itsdangerous (HMAC-SHA1 over the secret of
``TECHMATCH_SECRET_KEY``, or a random secret kept in ``<data_dir>/secret_key``). It never
holds the API key itself: each request looks the key id up again, so a revoked key signs
the browser out at once. The cookie is HttpOnly, SameSite=Lax, Secure over HTTPS, and
expires after :data:`MAX_AGE` seconds.
"""

from __future__ import annotations

import hmac
import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fastapi import Request, Response
from itsdangerous import BadSignature, URLSafeTimedSerializer

from service.auth.keys import authenticate
from service.auth.roles import Principal, Role
from service.core.config import Settings
from service.db.models import ApiKeyRow

COOKIE = "techmatch_session"
MAX_AGE = 12 * 3600
SALT = "techmatch-web-session"
CSRF_FIELD = "csrf_token"


def load_secret(settings: Settings) -> str:
    """The secret that signs session cookies: the setting, else the data dir's file
    (created once with a random value, readable by the owner only)."""
    if settings.secret_key is not None and settings.secret_key.get_secret_value():
        return settings.secret_key.get_secret_value()
    path = Path(settings.data_dir) / "secret_key"
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text(encoding="utf-8").strip()
    value = secrets.token_urlsafe(48)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(value)
    return value


def _serializer(request: Request) -> URLSafeTimedSerializer:
    state = request.app.state
    serializer: URLSafeTimedSerializer | None = getattr(state, "web_serializer", None)
    if serializer is None:
        serializer = URLSafeTimedSerializer(load_secret(state.settings), salt=SALT)
        state.web_serializer = serializer
    return serializer


@dataclass
class WebSession:
    """The decoded cookie; ``dirty`` when it must be sent again."""

    data: dict[str, Any] = field(default_factory=dict)
    dirty: bool = False

    @property
    def csrf(self) -> str:
        """This session's CSRF token (created on first use)."""
        token = self.data.get("csrf")
        if not isinstance(token, str) or not token:
            token = secrets.token_urlsafe(32)
            self.data["csrf"] = token
            self.dirty = True
        return token

    def check_csrf(self, presented: object) -> bool:
        """Does ``presented`` (a form field) carry this session's token?"""
        token = self.data.get("csrf")
        return (
            isinstance(presented, str)
            and isinstance(token, str)
            and bool(token)
            and hmac.compare_digest(presented.encode(), token.encode())
        )

    def sign_in(self, principal: Principal) -> None:
        """Start a fresh session for ``principal`` (new CSRF token: no fixation)."""
        self.data = {
            "csrf": secrets.token_urlsafe(32),
            "kid": principal.key_id,
            "admin": principal.key_id is None,
        }
        self.dirty = True

    def sign_out(self) -> None:
        """Forget the signed-in key; a new anonymous session with a new token."""
        self.data = {"csrf": secrets.token_urlsafe(32)}
        self.dirty = True


def get_session(request: Request) -> WebSession:
    """The request's session (decoded once, cached on ``request.state``)."""
    cached: WebSession | None = getattr(request.state, "web_session", None)
    if cached is not None:
        return cached
    session = WebSession()
    raw = request.cookies.get(COOKIE)
    if raw:
        try:
            data = _serializer(request).loads(raw, max_age=MAX_AGE)
            if isinstance(data, dict):
                session.data = data
        except BadSignature:
            session.dirty = True
    request.state.web_session = session
    return session


def save_session(request: Request, response: Response) -> None:
    """Send the session cookie again when it changed."""
    session = get_session(request)
    if not session.dirty:
        return
    value = _serializer(request).dumps(session.data)
    response.set_cookie(
        COOKIE,
        value,
        max_age=MAX_AGE,
        path="/",
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
    )


def current_principal(request: Request) -> Principal | None:
    """Who is signed in (``None`` when nobody, or the key was revoked since)."""
    if hasattr(request.state, "web_principal"):
        cached: Principal | None = request.state.web_principal
        return cached
    session = get_session(request)
    principal: Principal | None = None
    kid = session.data.get("kid")
    database = request.app.state.database
    if isinstance(kid, int):
        with database.session() as db:
            row = db.get(ApiKeyRow, kid)
            if row is not None and row.revoked_at is None:
                principal = Principal(
                    role=Role(row.role), organization=row.organization, key_id=kid
                )
    elif session.data.get("admin") is True and request.app.state.settings.admin_key is not None:
        principal = Principal(role=Role.admin, organization="admin")
    request.state.web_principal = principal
    return principal


def sign_in_with_key(request: Request, key: str) -> Principal | None:
    """The principal behind an API key typed into the sign-in form (``None``: refused)."""
    settings: Settings = request.app.state.settings
    admin_key = settings.admin_key.get_secret_value() if settings.admin_key else None
    with request.app.state.database.session() as db:
        return authenticate(db, key.strip(), admin_key)
