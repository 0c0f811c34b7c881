"""API keys: generated with ``secrets``, stored as SHA-256 hash plus a display prefix."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from service.auth.roles import Principal, Role
from service.db.models import ApiKeyRow, WebSessionRow
from service.db.types import utcnow

KEY_PREFIX = "tm_"
PREFIX_LENGTH = 10


def generate_key() -> str:
    """A new random API key (``tm_`` + 43 URL-safe characters)."""
    return KEY_PREFIX + secrets.token_urlsafe(32)


def hash_key(key: str) -> str:
    """The SHA-256 hex digest under which ``key`` is stored."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class NewKey:
    """A freshly created key: ``secret`` is shown once and never stored."""

    row: ApiKeyRow
    secret: str


def create_key(session: Session, role: Role, organization: str, name: str | None = None) -> NewKey:
    """Create and commit a key for ``organization`` with ``role``."""
    organization = organization.strip()
    if not organization or len(organization) > 200:
        raise ValueError("organization must have 1 to 200 characters")
    secret = generate_key()
    row = ApiKeyRow(
        prefix=secret[:PREFIX_LENGTH],
        key_hash=hash_key(secret),
        role=Role(role).value,
        organization=organization,
        name=name,
    )
    session.add(row)
    session.commit()
    return NewKey(row=row, secret=secret)


def list_keys(session: Session, include_revoked: bool = False) -> list[ApiKeyRow]:
    """Every key, oldest first."""
    query = select(ApiKeyRow).order_by(ApiKeyRow.id)
    if not include_revoked:
        query = query.where(ApiKeyRow.revoked_at.is_(None))
    return list(session.scalars(query))


def revoke_key(session: Session, key_id: int) -> ApiKeyRow | None:
    """Revoke key ``key_id`` and end its web sessions; ``None`` when there is no such key.
    Revoking twice is harmless."""
    row = session.get(ApiKeyRow, key_id)
    if row is None:
        return None
    if row.revoked_at is None:
        row.revoked_at = utcnow()
        session.execute(delete(WebSessionRow).where(WebSessionRow.key_id == key_id))
        session.commit()
    return row


def authenticate(session: Session, presented: str, admin_key: str | None) -> Principal | None:
    """The principal behind ``presented``, or ``None`` when the key is unknown or revoked."""
    if not presented:
        return None
    if admin_key and hmac.compare_digest(presented.encode(), admin_key.encode()):
        return Principal(role=Role.admin, organization="admin")
    row = session.scalar(select(ApiKeyRow).where(ApiKeyRow.key_hash == hash_key(presented)))
    if row is None or row.revoked_at is not None:
        return None
    return Principal(role=Role(row.role), organization=row.organization, key_id=row.id)
