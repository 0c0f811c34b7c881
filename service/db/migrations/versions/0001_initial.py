"""Postings (needs and offers) and API keys.

Revision ID: 0001
Revises:
Create Date: 2025-11-22
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from service.db.types import BigId, Json, UTCDateTime

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "postings",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("language", sa.String(8), nullable=False),
        sa.Column("sector", sa.String(64), nullable=True),
        sa.Column("keywords", Json, nullable=False),
        sa.Column("trl", sa.SmallInteger(), nullable=True),
        sa.Column("ip_status", sa.String(32), nullable=True),
        sa.Column("transfer_modes", Json, nullable=False),
        sa.Column("province", sa.String(100), nullable=True),
        sa.Column("province_key", sa.String(100), nullable=True),
        sa.Column("organization", sa.String(200), nullable=True),
        sa.Column("contact", Json, nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("expires_on", sa.Date(), nullable=True),
        sa.Column("owner_org", sa.String(200), nullable=False),
        sa.Column("external_id", sa.String(200), nullable=True),
        sa.Column("search_text", sa.Text(), nullable=False),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.CheckConstraint("kind IN ('need', 'offer')", name="ck_postings_kind"),
        sa.UniqueConstraint("external_id", name="uq_postings_external_id"),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_postings_kind_status", "postings", ["kind", "status"])
    op.create_index("ix_postings_sector", "postings", ["sector"])
    op.create_index("ix_postings_province_key", "postings", ["province_key"])
    op.create_index("ix_postings_owner_org", "postings", ["owner_org"])
    op.create_table(
        "api_keys",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("prefix", sa.String(16), nullable=False),
        sa.Column("key_hash", sa.String(64), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("organization", sa.String(200), nullable=False),
        sa.Column("name", sa.String(200), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("revoked_at", UTCDateTime(), nullable=True),
        sa.UniqueConstraint("key_hash", name="uq_api_keys_key_hash"),
    )


def downgrade() -> None:
    op.drop_table("api_keys")
    op.drop_index("ix_postings_owner_org", table_name="postings")
    op.drop_index("ix_postings_province_key", table_name="postings")
    op.drop_index("ix_postings_sector", table_name="postings")
    op.drop_index("ix_postings_kind_status", table_name="postings")
    op.drop_table("postings")
