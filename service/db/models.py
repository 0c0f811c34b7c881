"""ORM models: postings (needs and offers in one table), API keys, pair reviews
(current decision, audit log), interest marks, tech-transfer sessions (participants,
meetings, outcomes), import jobs and learned rankings."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
)
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
        Index("uq_postings_owner_import_key", "owner_org", "import_key", unique=True),
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
    #: Imported without external_id: hash of the row's kind and fields (unique per owner),
    #: so that importing the same row again updates this posting.
    import_key: Mapped[str | None] = mapped_column(String(64))
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


class WebSessionRow(Base):
    """A signed-in browser: the cookie holds a random token, this row its SHA-256 and who
    signed in (an API key's id, or the hash of the environment's admin key). Signing out
    or revoking the key deletes the row, which ends the session for every copy of the
    cookie."""

    __tablename__ = "web_sessions"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    key_id: Mapped[int | None] = mapped_column(BigId, index=True)
    admin_key_hash: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class PairReviewRow(Base):
    """The current moderator decision on one need–offer pair, with the content hashes of
    both postings when it was taken (to tell whether either changed since)."""

    __tablename__ = "pair_reviews"
    __table_args__ = (
        CheckConstraint(
            "decision IN ('accepted', 'rejected', 'maybe')", name="ck_pair_reviews_decision"
        ),
        Index("ix_pair_reviews_decision", "decision"),
        Index("ix_pair_reviews_offer_id", "offer_id"),
    )

    need_id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=False)
    offer_id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=False)
    decision: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(String(32))
    note: Mapped[str | None] = mapped_column(Text)
    need_hash: Mapped[str] = mapped_column(String(64))
    offer_hash: Mapped[str] = mapped_column(String(64))
    reviewer_key_id: Mapped[int | None] = mapped_column(BigInteger)
    reviewer_org: Mapped[str] = mapped_column(String(200))
    reviewer_role: Mapped[str] = mapped_column(String(16))
    reviewed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: 1 for the first decision, +1 for each later one (``expected_revision`` checks it).
    revision: Mapped[int] = mapped_column(Integer, default=1, server_default="1")


class PairReviewLogRow(Base):
    """One review decision, appended and never changed: who, when, before and after."""

    __tablename__ = "pair_review_log"
    __table_args__ = (
        Index("ix_pair_review_log_pair", "need_id", "offer_id"),
        Index("ix_pair_review_log_created_at", "created_at"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    need_id: Mapped[int] = mapped_column(BigInteger)
    offer_id: Mapped[int] = mapped_column(BigInteger)
    reviewer_key_id: Mapped[int | None] = mapped_column(BigInteger)
    reviewer_org: Mapped[str] = mapped_column(String(200))
    reviewer_role: Mapped[str] = mapped_column(String(16))
    before: Mapped[dict[str, Any] | None] = mapped_column(Json)
    after: Mapped[dict[str, Any]] = mapped_column(Json)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class PairInterestRow(Base):
    """Interest in a pair from each side (``None``: not said yet)."""

    __tablename__ = "pair_interest"
    __table_args__ = (Index("ix_pair_interest_offer_id", "offer_id"),)

    need_id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=False)
    offer_id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=False)
    need_interested: Mapped[bool | None] = mapped_column(Boolean)
    offer_interested: Mapped[bool | None] = mapped_column(Boolean)
    need_marked_by: Mapped[str | None] = mapped_column(String(200))
    offer_marked_by: Mapped[str | None] = mapped_column(String(200))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class SessionRow(Base):
    """A tech-transfer session: when and where, its time slots, tables and limits."""

    __tablename__ = "sessions"
    __table_args__ = ({"sqlite_autoincrement": True},)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(200))
    venue: Mapped[str | None] = mapped_column(String(200))
    start: Mapped[datetime] = mapped_column(UTCDateTime)
    utc_offset_minutes: Mapped[int] = mapped_column(Integer)
    slot_minutes: Mapped[int] = mapped_column(Integer)
    slots: Mapped[int] = mapped_column(Integer)
    tables: Mapped[int] = mapped_column(Integer)
    max_meetings_per_participant: Mapped[int] = mapped_column(Integer)
    fairness_k: Mapped[int] = mapped_column(Integer)
    created_by_org: Mapped[str] = mapped_column(String(200))
    schedule_info: Mapped[dict[str, Any] | None] = mapped_column(Json)
    scheduled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class SessionParticipantRow(Base):
    """A posting registered for a session, with the slots it cannot attend."""

    __tablename__ = "session_participants"
    __table_args__ = (Index("ix_session_participants_posting_id", "posting_id"),)

    session_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("sessions.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    posting_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("postings.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    kind: Mapped[str] = mapped_column(String(8))
    unavailable_slots: Mapped[list[int]] = mapped_column(Json, default=list)
    registered_by_org: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class SessionMeetingRow(Base):
    """A scheduled 1:1 meeting of a session: one pair at one (slot, table), 0-based."""

    __tablename__ = "session_meetings"
    __table_args__ = (
        UniqueConstraint("session_id", "slot", "table_no", name="uq_session_meetings_place"),
    )

    session_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("sessions.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    need_id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=False)
    offer_id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=False)
    slot: Mapped[int] = mapped_column(Integer)
    table_no: Mapped[int] = mapped_column(Integer)
    value: Mapped[float] = mapped_column(Float)
    source: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class MeetingOutcomeRow(Base):
    """What came of a session's meeting (held, no-show, follow-up), one per pair."""

    __tablename__ = "meeting_outcomes"
    __table_args__ = (
        CheckConstraint(
            "outcome IN ('held', 'no_show', 'follow_up')", name="ck_meeting_outcomes_outcome"
        ),
    )

    session_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("sessions.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    need_id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=False)
    offer_id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=False)
    outcome: Mapped[str] = mapped_column(String(16))
    follow_up: Mapped[str | None] = mapped_column(String(16))
    note: Mapped[str | None] = mapped_column(Text)
    recorded_by_org: Mapped[str] = mapped_column(String(200))
    recorded_by_role: Mapped[str] = mapped_column(String(16))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ImportJobRow(Base):
    """A booth-list import run in the background: its state, progress and final report."""

    __tablename__ = "import_jobs"
    __table_args__ = (
        CheckConstraint(
            "state IN ('queued', 'running', 'done', 'failed')", name="ck_import_jobs_state"
        ),
        Index("ix_import_jobs_state", "state"),
        Index("ix_import_jobs_organization", "organization"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(8))
    state: Mapped[str] = mapped_column(String(16))
    format: Mapped[str] = mapped_column(String(8))
    filename: Mapped[str | None] = mapped_column(String(255))
    encoding: Mapped[str | None] = mapped_column(String(32))
    lang: Mapped[str] = mapped_column(String(8))
    organization: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(16))
    key_id: Mapped[int | None] = mapped_column(BigInteger)
    rows_total: Mapped[int] = mapped_column(Integer, default=0)
    rows_done: Mapped[int] = mapped_column(Integer, default=0)
    created: Mapped[int] = mapped_column(Integer, default=0)
    updated: Mapped[int] = mapped_column(Integer, default=0)
    failed: Mapped[int] = mapped_column(Integer, default=0)
    report: Mapped[dict[str, Any] | None] = mapped_column(Json)
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class SessionPublicationRow(Base):
    """A published version of a session's schedule: the meetings as they were published."""

    __tablename__ = "session_publications"

    session_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("sessions.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    version: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    digest: Mapped[str] = mapped_column(String(64))
    meetings: Mapped[list[dict[str, Any]]] = mapped_column(Json)
    published_by_org: Mapped[str] = mapped_column(String(200))
    published_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class SessionEmailRow(Base):
    """One participant's agenda e-mail of one published version: pending, sent or failed."""

    __tablename__ = "session_emails"
    __table_args__ = (
        CheckConstraint("state IN ('pending', 'sent', 'failed')", name="ck_session_emails_state"),
        Index("ix_session_emails_state", "state"),
    )

    session_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("sessions.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    version: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    posting_id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=False)
    email: Mapped[str] = mapped_column(String(320))
    state: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class PostingChangeRow(Base):
    """One insert, update or delete of a posting (the change feed). Written only by the
    database trigger of migration 0008, in the transaction of the posting write; read by
    every worker's follower (``service/changes/``) and pruned after a retention time."""

    __tablename__ = "posting_changes"
    __table_args__ = ({"sqlite_autoincrement": True},)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    posting_id: Mapped[int] = mapped_column(BigId)
    op: Mapped[str] = mapped_column(String(8))
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class RankingModelRow(Base):
    """One learn attempt or reset of the ranking, never changed: who, when, from how many
    decisions and needs, the held-out figures and, for a learned one, its weights. The
    newest ``activated`` row is the active ranking (a ``reset`` one: the built-in fusion)."""

    __tablename__ = "ranking_models"
    __table_args__ = (
        CheckConstraint("action IN ('learn', 'reset')", name="ck_ranking_models_action"),
        Index("ix_ranking_models_activated", "activated", "id"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    action: Mapped[str] = mapped_column(String(16))
    activated: Mapped[bool] = mapped_column(Boolean)
    model: Mapped[dict[str, Any] | None] = mapped_column(Json)
    decisions: Mapped[int] = mapped_column(Integer)
    needs: Mapped[int] = mapped_column(Integer)
    figures: Mapped[dict[str, Any] | None] = mapped_column(Json)
    reason: Mapped[str | None] = mapped_column(Text)
    created_by_org: Mapped[str] = mapped_column(String(200))
    created_by_role: Mapped[str] = mapped_column(String(16))
    created_by_key_id: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
