"""A plain psycopg connection to the service's PostgreSQL database, outside SQLAlchemy's
pool: LISTEN and session-level advisory locks need one connection kept for themselves."""

from __future__ import annotations

from typing import Any

from sqlalchemy.engine import make_url


def conninfo(sqlalchemy_url: str) -> str:
    """The libpq URI of a ``postgresql+psycopg://`` URL (query options such as the
    ``search_path`` kept, so the connection sees the same schema)."""
    url = make_url(sqlalchemy_url).set(drivername="postgresql")
    return url.render_as_string(hide_password=False)


def connect(sqlalchemy_url: str) -> Any:
    """An autocommit psycopg connection (a 5 s connect timeout)."""
    import psycopg

    return psycopg.connect(conninfo(sqlalchemy_url), autocommit=True, connect_timeout=5)
