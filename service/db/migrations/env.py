"""Alembic environment: migrates the connection handed over by service.db.migrate,
or the database named by the techmatch settings when Alembic is run by hand."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from service.db.models import Base

config = context.config
target_metadata = Base.metadata


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    """Run migrations on a live connection."""
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    from service.core.config import get_settings
    from service.db.engine import Database

    database = Database(get_settings().sqlalchemy_url)
    try:
        with database.engine.connect() as conn:
            _run(conn)
            conn.commit()
    finally:
        database.dispose()


if context.is_offline_mode():
    raise SystemExit("techmatch migrations run online only")
run_migrations_online()
