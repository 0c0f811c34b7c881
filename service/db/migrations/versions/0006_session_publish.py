"""Sessions: closing a session, published schedule versions and the agenda e-mails.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from service.db.types import BigId, Json, UTCDateTime

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("sessions") as batch:
        batch.add_column(sa.Column("closed_at", UTCDateTime(), nullable=True))
    op.create_table(
        "session_publications",
        sa.Column(
            "session_id",
            BigId,
            sa.ForeignKey("sessions.id", ondelete="CASCADE"),
            primary_key=True,
            autoincrement=False,
        ),
        sa.Column("version", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("digest", sa.String(64), nullable=False),
        sa.Column("meetings", Json, nullable=False),
        sa.Column("published_by_org", sa.String(200), nullable=False),
        sa.Column("published_at", UTCDateTime(), nullable=False),
    )
    op.create_table(
        "session_emails",
        sa.Column(
            "session_id",
            BigId,
            sa.ForeignKey("sessions.id", ondelete="CASCADE"),
            primary_key=True,
            autoincrement=False,
        ),
        sa.Column("version", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("posting_id", BigId, primary_key=True, autoincrement=False),
        sa.Column("email", sa.String(320), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("sent_at", UTCDateTime(), nullable=True),
        sa.CheckConstraint(
            "state IN ('pending', 'sent', 'failed')", name="ck_session_emails_state"
        ),
    )
    op.create_index("ix_session_emails_state", "session_emails", ["state"])


def downgrade() -> None:
    op.drop_index("ix_session_emails_state", table_name="session_emails")
    op.drop_table("session_emails")
    op.drop_table("session_publications")
    with op.batch_alter_table("sessions") as batch:
        batch.drop_column("closed_at")
