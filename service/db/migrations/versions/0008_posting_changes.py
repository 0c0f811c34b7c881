"""The change feed: every insert, update and delete of a posting adds a row to
``posting_changes`` in the same transaction, written by a database trigger (on SQLite and
PostgreSQL), so that no write path — the API, imports, ``techmatch import``, a hand-written
SQL statement — can change a posting without the other workers hearing of it.

On PostgreSQL the trigger also sends ``NOTIFY techmatch_changes`` (the workers' wake-up),
and every statement that writes postings first takes a transaction-level advisory lock, so
that change ids are handed out in commit order: a worker that has read change ``n`` has
seen every committed change below ``n`` (no id can appear later below one already read).
SQLite has one writer at a time, which gives the same order.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from service.db.types import BigId

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: The advisory-lock class id of the change feed (the second key is the schema's hash).
FEED_LOCK_CLASS = 7261

_PG_STATEMENTS = [
    f"""CREATE OR REPLACE FUNCTION techmatch_feed_lock() RETURNS trigger AS $$
    BEGIN
        PERFORM pg_advisory_xact_lock({FEED_LOCK_CLASS}, hashtext(current_schema()));
        RETURN NULL;
    END $$ LANGUAGE plpgsql""",
    """CREATE OR REPLACE FUNCTION techmatch_posting_change() RETURNS trigger AS $$
    DECLARE
        change_id bigint;
    BEGIN
        INSERT INTO posting_changes (posting_id, op)
        VALUES (CASE WHEN TG_OP = 'DELETE' THEN OLD.id ELSE NEW.id END, lower(TG_OP))
        RETURNING id INTO change_id;
        PERFORM pg_notify('techmatch_changes', current_schema() || '/' || change_id);
        RETURN NULL;
    END $$ LANGUAGE plpgsql""",
    """CREATE TRIGGER postings_feed_lock
        BEFORE INSERT OR UPDATE OR DELETE ON postings
        FOR EACH STATEMENT EXECUTE FUNCTION techmatch_feed_lock()""",
    """CREATE TRIGGER postings_change
        AFTER INSERT OR UPDATE OR DELETE ON postings
        FOR EACH ROW EXECUTE FUNCTION techmatch_posting_change()""",
]

_SQLITE_TRIGGERS = [
    f"""CREATE TRIGGER postings_change_{op}
    AFTER {op.upper()} ON postings
    BEGIN
        INSERT INTO posting_changes (posting_id, op) VALUES ({row}.id, '{op}');
    END"""
    for op, row in (("insert", "NEW"), ("update", "NEW"), ("delete", "OLD"))
]


def upgrade() -> None:
    op.create_table(
        "posting_changes",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("posting_id", BigId, nullable=False),
        sa.Column("op", sa.String(8), nullable=False),
        sa.Column(
            "changed_at",
            sa.DateTime(timezone=True),
            nullable=False,
            server_default=sa.func.current_timestamp(),
        ),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_posting_changes_changed_at", "posting_changes", ["changed_at"])
    postgres = op.get_bind().dialect.name == "postgresql"
    for statement in _PG_STATEMENTS if postgres else _SQLITE_TRIGGERS:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS postings_change ON postings")
        op.execute("DROP TRIGGER IF EXISTS postings_feed_lock ON postings")
        op.execute("DROP FUNCTION IF EXISTS techmatch_posting_change()")
        op.execute("DROP FUNCTION IF EXISTS techmatch_feed_lock()")
    else:
        for op_name in ("insert", "update", "delete"):
            op.execute(f"DROP TRIGGER IF EXISTS postings_change_{op_name}")
    op.drop_index("ix_posting_changes_changed_at", table_name="posting_changes")
    op.drop_table("posting_changes")
