"""Learned rankings: every learn attempt and reset, versioned and audited (who, when, how
many decisions and needs, the held-out figures); the newest row that was switched on is
the active ranking of every worker.

Revision ID: 0009
Revises: 0008 (posting_changes)
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from service.db.types import BigId, Json, UTCDateTime

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "ranking_models",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("activated", sa.Boolean(), nullable=False),
        sa.Column("model", Json, nullable=True),
        sa.Column("decisions", sa.Integer(), nullable=False),
        sa.Column("needs", sa.Integer(), nullable=False),
        sa.Column("figures", Json, nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("created_by_org", sa.String(200), nullable=False),
        sa.Column("created_by_role", sa.String(16), nullable=False),
        sa.Column("created_by_key_id", sa.BigInteger(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.CheckConstraint("action IN ('learn', 'reset')", name="ck_ranking_models_action"),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_ranking_models_activated", "ranking_models", ["activated", "id"])


def downgrade() -> None:
    op.drop_index("ix_ranking_models_activated", table_name="ranking_models")
    op.drop_table("ranking_models")
