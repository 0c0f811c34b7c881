"""ORM models: postings (needs and offers in one table) and API keys."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import CheckConstraint, Date, Index, SmallInteger, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from service.db.types import BigId, Json, UTCDateTime, utcnow


class Base(DeclarativeBase):
    """Declarative base of every table."""


class PostingRow(Base):
    """A technology need or offer. Ids are unique across both kinds."""

    __tablename__ = "postings"
    __table_args__ = (
        CheckConstraint("kind IN ('need', 'offer')", name="ck_postings_kind"),
        Index("ix_postings_kind_status", "kind", "status"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(8))
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text)
    language: Mapped[str] = mapped_column(String(8))
    sector: Mapped[str | None] = mapped_column(String(64), index=True)
    keywords: Mapped[list[str]] = mapped_column(Json, default=list)
    trl: Mapped[int | None] = mapped_column(SmallInteger)
    ip_status: Mapped[str | None] = mapped_column(String(32))
    transfer_modes: Mapped[list[str]] = mapped_column(Json, default=list)
    province: Mapped[str | None] = mapped_column(String(100))
    province_key: Mapped[str | None] = mapped_column(String(100), index=True)
    organization: Mapped[str | None] = mapped_column(String(200))
    contact: Mapped[dict[str, Any] | None] = mapped_column(Json)
    status: Mapped[str] = mapped_column(String(16))
    expires_on: Mapped[date | None] = mapped_column(Date)
    owner_org: Mapped[str] = mapped_column(String(200), index=True)
    external_id: Mapped[str | None] = mapped_column(String(200), unique=True)
    search_text: Mapped[str] = mapped_column(Text, default="")
    content_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class ApiKeyRow(Base):
    """An API key: only its SHA-256 hash and a short display prefix are stored."""

    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    prefix: Mapped[str] = mapped_column(String(16))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(16))
    organization: Mapped[str] = mapped_column(String(200))
    name: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
