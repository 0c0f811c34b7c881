"""Pair reviews (current decision per pair), their audit log, and interest marks.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from service.db.types import BigId, Json, UTCDateTime

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "pair_reviews",
        sa.Column("need_id", BigId, primary_key=True, autoincrement=False),
        sa.Column("offer_id", BigId, primary_key=True, autoincrement=False),
        sa.Column("decision", sa.String(16), nullable=False),
        sa.Column("reason", sa.String(32), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("need_hash", sa.String(64), nullable=False),
        sa.Column("offer_hash", sa.String(64), nullable=False),
        sa.Column("reviewer_key_id", sa.BigInteger(), nullable=True),
        sa.Column("reviewer_org", sa.String(200), nullable=False),
        sa.Column("reviewer_role", sa.String(16), nullable=False),
        sa.Column("reviewed_at", UTCDateTime(), nullable=False),
        sa.CheckConstraint(
            "decision IN ('accepted', 'rejected', 'maybe')", name="ck_pair_reviews_decision"
        ),
    )
    op.create_index("ix_pair_reviews_decision", "pair_reviews", ["decision"])
    op.create_index("ix_pair_reviews_offer_id", "pair_reviews", ["offer_id"])
    op.create_table(
        "pair_review_log",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("need_id", sa.BigInteger(), nullable=False),
        sa.Column("offer_id", sa.BigInteger(), nullable=False),
        sa.Column("reviewer_key_id", sa.BigInteger(), nullable=True),
        sa.Column("reviewer_org", sa.String(200), nullable=False),
        sa.Column("reviewer_role", sa.String(16), nullable=False),
        sa.Column("before", Json, nullable=True),
        sa.Column("after", Json, nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_pair_review_log_pair", "pair_review_log", ["need_id", "offer_id"])
    op.create_index("ix_pair_review_log_created_at", "pair_review_log", ["created_at"])
    op.create_table(
        "pair_interest",
        sa.Column("need_id", BigId, primary_key=True, autoincrement=False),
        sa.Column("offer_id", BigId, primary_key=True, autoincrement=False),
        sa.Column("need_interested", sa.Boolean(), nullable=True),
        sa.Column("offer_interested", sa.Boolean(), nullable=True),
        sa.Column("need_marked_by", sa.String(200), nullable=True),
        sa.Column("offer_marked_by", sa.String(200), nullable=True),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_pair_interest_offer_id", "pair_interest", ["offer_id"])


def downgrade() -> None:
    op.drop_index("ix_pair_interest_offer_id", table_name="pair_interest")
    op.drop_table("pair_interest")
    op.drop_index("ix_pair_review_log_created_at", table_name="pair_review_log")
    op.drop_index("ix_pair_review_log_pair", table_name="pair_review_log")
    op.drop_table("pair_review_log")
    op.drop_index("ix_pair_reviews_offer_id", table_name="pair_reviews")
    op.drop_index("ix_pair_reviews_decision", table_name="pair_reviews")
    op.drop_table("pair_reviews")
