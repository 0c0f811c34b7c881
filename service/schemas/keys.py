"""API keys as the admin API shows them (the secret only once, at creation)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from service.auth.roles import Role
from service.schemas.postings import Line200


class KeyCreate(BaseModel):
    """A key to create."""

    model_config = ConfigDict(extra="forbid")

    role: Role
    organization: Line200
    name: Line200 | None = Field(None, description="A note: who holds the key.")


class KeyOut(BaseModel):
    """A stored key: never its secret."""

    id: int
    prefix: str
    role: Role
    organization: str
    name: str | None
    created_at: datetime
    revoked_at: datetime | None


class NewKeyOut(KeyOut):
    """A key just created; ``key`` is shown this once."""

    key: str


class Me(BaseModel):
    """Who the presented key belongs to."""

    role: Role
    organization: str
    key_id: int | None
