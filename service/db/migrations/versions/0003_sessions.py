"""Tech-transfer sessions: participants, scheduled meetings and meeting outcomes.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from service.db.types import BigId, Json, UTCDateTime

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "sessions",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("venue", sa.String(200), nullable=True),
        sa.Column("start", UTCDateTime(), nullable=False),
        sa.Column("utc_offset_minutes", sa.Integer(), nullable=False),
        sa.Column("slot_minutes", sa.Integer(), nullable=False),
        sa.Column("slots", sa.Integer(), nullable=False),
        sa.Column("tables", sa.Integer(), nullable=False),
        sa.Column("max_meetings_per_participant", sa.Integer(), nullable=False),
        sa.Column("fairness_k", sa.Integer(), nullable=False),
        sa.Column("created_by_org", sa.String(200), nullable=False),
        sa.Column("schedule_info", Json, nullable=True),
        sa.Column("scheduled_at", UTCDateTime(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sqlite_autoincrement=True,
    )
    op.create_table(
        "session_participants",
        sa.Column(
            "session_id",
            BigId,
            sa.ForeignKey("sessions.id", ondelete="CASCADE"),
            primary_key=True,
            autoincrement=False,
        ),
        sa.Column(
            "posting_id",
            BigId,
            sa.ForeignKey("postings.id", ondelete="CASCADE"),
            primary_key=True,
            autoincrement=False,
        ),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("unavailable_slots", Json, nullable=False),
        sa.Column("registered_by_org", sa.String(200), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_session_participants_posting_id", "session_participants", ["posting_id"])
    op.create_table(
        "session_meetings",
        sa.Column(
            "session_id",
            BigId,
            sa.ForeignKey("sessions.id", ondelete="CASCADE"),
            primary_key=True,
            autoincrement=False,
        ),
        sa.Column("need_id", BigId, primary_key=True, autoincrement=False),
        sa.Column("offer_id", BigId, primary_key=True, autoincrement=False),
        sa.Column("slot", sa.Integer(), nullable=False),
        sa.Column("table_no", sa.Integer(), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.UniqueConstraint("session_id", "slot", "table_no", name="uq_session_meetings_place"),
    )
    op.create_table(
        "meeting_outcomes",
        sa.Column(
            "session_id",
            BigId,
            sa.ForeignKey("sessions.id", ondelete="CASCADE"),
            primary_key=True,
            autoincrement=False,
        ),
        sa.Column("need_id", BigId, primary_key=True, autoincrement=False),
        sa.Column("offer_id", BigId, primary_key=True, autoincrement=False),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("follow_up", sa.String(16), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("recorded_by_org", sa.String(200), nullable=False),
        sa.Column("recorded_by_role", sa.String(16), nullable=False),
        sa.Column("recorded_at", UTCDateTime(), nullable=False),
        sa.CheckConstraint(
            "outcome IN ('held', 'no_show', 'follow_up')", name="ck_meeting_outcomes_outcome"
        ),
    )


def downgrade() -> None:
    op.drop_table("meeting_outcomes")
    op.drop_table("session_meetings")
    op.drop_index("ix_session_participants_posting_id", table_name="session_participants")
    op.drop_table("session_participants")
    op.drop_table("sessions")
