"""Run the Alembic migrations programmatically (the service does this at start)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import text

from service.db.engine import Database

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
#: Advisory-lock class id of the migrations (the second key is the schema's hash).
MIGRATION_LOCK_CLASS = 7260


def alembic_config() -> Config:
    """An Alembic config pointing at the bundled migrations, independent of any ini file."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


def upgrade(database: Database, revision: str = "head") -> None:
    """Bring the database schema up to ``revision`` (default: the newest).

    On PostgreSQL a transaction-level advisory lock makes processes that start together
    (``serve --workers N``) migrate one after the other (SQLite's write lock does that)."""
    config = alembic_config()
    with database.write_session() as session:
        connection = session.connection()
        if connection.dialect.name == "postgresql":
            connection.execute(
                text("SELECT pg_advisory_xact_lock(:c, hashtext(current_schema()))"),
                {"c": MIGRATION_LOCK_CLASS},
            )
        config.attributes["connection"] = connection
        command.upgrade(config, revision)
        session.commit()
