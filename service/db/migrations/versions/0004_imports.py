"""Imports: a content key per imported posting (retries do not duplicate) and import jobs.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from service.db.types import BigId, Json, UTCDateTime

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("postings", sa.Column("import_key", sa.String(64), nullable=True))
    op.create_index(
        "uq_postings_owner_import_key", "postings", ["owner_org", "import_key"], unique=True
    )
    op.create_table(
        "import_jobs",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("format", sa.String(8), nullable=False),
        sa.Column("filename", sa.String(255), nullable=True),
        sa.Column("encoding", sa.String(32), nullable=True),
        sa.Column("lang", sa.String(8), nullable=False),
        sa.Column("organization", sa.String(200), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("key_id", sa.BigInteger(), nullable=True),
        sa.Column("rows_total", sa.Integer(), nullable=False),
        sa.Column("rows_done", sa.Integer(), nullable=False),
        sa.Column("created", sa.Integer(), nullable=False),
        sa.Column("updated", sa.Integer(), nullable=False),
        sa.Column("failed", sa.Integer(), nullable=False),
        sa.Column("report", Json, nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("started_at", UTCDateTime(), nullable=True),
        sa.Column("finished_at", UTCDateTime(), nullable=True),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.CheckConstraint(
            "state IN ('queued', 'running', 'done', 'failed')", name="ck_import_jobs_state"
        ),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_import_jobs_state", "import_jobs", ["state"])
    op.create_index("ix_import_jobs_organization", "import_jobs", ["organization"])


def downgrade() -> None:
    op.drop_index("ix_import_jobs_organization", table_name="import_jobs")
    op.drop_index("ix_import_jobs_state", table_name="import_jobs")
    op.drop_table("import_jobs")
    op.drop_index("uq_postings_owner_import_key", table_name="postings")
    with op.batch_alter_table("postings") as batch:
        batch.drop_column("import_key")
