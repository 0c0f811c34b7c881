"""Run the Alembic migrations programmatically (the service does this at start)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

from service.db.engine import Database

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def alembic_config() -> Config:
    """An Alembic config pointing at the bundled migrations, independent of any ini file."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


def upgrade(database: Database, revision: str = "head") -> None:
    """Bring the database schema up to ``revision`` (default: the newest)."""
    config = alembic_config()
    with database.write_session() as session:
        connection = session.connection()
        config.attributes["connection"] = connection
        command.upgrade(config, revision)
        session.commit()
