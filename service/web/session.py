"""Web sessions: a signed cookie naming a server-side session record, plus a CSRF token.

The cookie ``techmatch_session`` holds ``{"csrf": token, "sid": session token}`` signed
with itsdangerous (HMAC-SHA1 over the secret of ``TECHMATCH_SECRET_KEY``, or a random
secret kept in ``<data_dir>/secret_key``). The table ``web_sessions`` keeps the SHA-256 of
the session token with who signed in: an API key's id, or the hash of the environment's
admin key. Each request looks the record and the key up again, so signing out (the record
is deleted), revoking the key (its records are deleted) or restarting with another
``TECHMATCH_ADMIN_KEY`` ends the session for every copy of the cookie. The cookie never
holds the API key. It is HttpOnly, SameSite=Lax, Secure over HTTPS; cookie and record
expire after :data:`MAX_AGE` seconds.
"""

from __future__ import annotations

import hmac
import os
import secrets
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from fastapi import Request, Response
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import delete

from service.auth.keys import authenticate, hash_key
from service.auth.roles import Principal, Role
from service.core.config import Settings
from service.db.engine import Database
from service.db.models import ApiKeyRow, WebSessionRow
from service.db.types import utcnow

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

    def sign_in(self, token: str) -> None:
        """Name the fresh server-side session ``token`` (new CSRF token: no fixation)."""
        self.data = {"csrf": secrets.token_urlsafe(32), "sid": token}
        self.dirty = True

    def sign_out(self) -> None:
        """Forget the signed-in key; a new anonymous session with a new token."""
        self.data = {"csrf": secrets.token_urlsafe(32)}
        self.dirty = True


def _admin_key(request: Request) -> str | None:
    settings: Settings = request.app.state.settings
    return settings.admin_key.get_secret_value() if settings.admin_key else None


def start_web_session(request: Request, principal: Principal) -> None:
    """Store a new session record for ``principal`` and put its token in the cookie
    (expired records of anyone are cleared on the way)."""
    token = secrets.token_urlsafe(32)
    admin_key = _admin_key(request)
    now = utcnow()
    database: Database = request.app.state.database
    with database.session(write=True) as db:
        db.execute(delete(WebSessionRow).where(WebSessionRow.expires_at < now))
        db.add(
            WebSessionRow(
                token_hash=hash_key(token),
                key_id=principal.key_id,
                admin_key_hash=hash_key(admin_key)
                if principal.key_id is None and admin_key
                else None,
                created_at=now,
                expires_at=now + timedelta(seconds=MAX_AGE),
            )
        )
        db.commit()
    get_session(request).sign_in(token)
    request.state.web_principal = principal


def end_web_session(request: Request) -> None:
    """Delete the request's session record (every copy of the cookie is signed out)."""
    token = get_session(request).data.get("sid")
    if isinstance(token, str):
        database: Database = request.app.state.database
        with database.session(write=True) as db:
            db.execute(delete(WebSessionRow).where(WebSessionRow.token_hash == hash_key(token)))
            db.commit()
    get_session(request).sign_out()
    request.state.web_principal = None


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
    token = get_session(request).data.get("sid")
    principal: Principal | None = None
    if isinstance(token, str) and token:
        principal = _session_principal(request, token)
    request.state.web_principal = principal
    return principal


def _session_principal(request: Request, token: str) -> Principal | None:
    database: Database = request.app.state.database
    with database.session() as db:
        record = db.get(WebSessionRow, hash_key(token))
        if record is None or record.expires_at <= utcnow():
            return None
        if record.key_id is not None:
            row = db.get(ApiKeyRow, record.key_id)
            if row is None or row.revoked_at is not None:
                return None
            return Principal(role=Role(row.role), organization=row.organization, key_id=row.id)
    admin_key = _admin_key(request)
    if (
        admin_key
        and record.admin_key_hash
        and hmac.compare_digest(record.admin_key_hash, hash_key(admin_key))
    ):
        return Principal(role=Role.admin, organization="admin")
    return None


def sign_in_with_key(request: Request, key: str) -> Principal | None:
    """The principal behind an API key typed into the sign-in form (``None``: refused)."""
    settings: Settings = request.app.state.settings
    admin_key = settings.admin_key.get_secret_value() if settings.admin_key else None
    with request.app.state.database.session() as db:
        return authenticate(db, key.strip(), admin_key)
