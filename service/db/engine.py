"""Database engine and session factory for SQLite (WAL) or PostgreSQL."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

WRITE_OPTION = "techmatch_write"


def is_sqlite(url: str) -> bool:
    """True when ``url`` points at SQLite."""
    return make_url(url).get_backend_name() == "sqlite"


def private_file(path: Path) -> None:
    """Create ``path``'s missing folders (mode 0700) and the empty file itself (mode 0600),
    as for the secret key; an existing file is left as it is. SQLite gives its ``-wal`` and
    ``-shm`` files the database file's mode."""
    missing = [p for p in (path.parent, *path.parent.parents) if not p.exists()]
    for folder in reversed(missing):
        folder.mkdir(mode=0o700, exist_ok=True)
    with contextlib.suppress(FileExistsError):  # an existing file keeps its mode
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))


def make_engine(url: str) -> Engine:
    """Create an engine for ``url``.

    SQLite files get WAL journaling, a 30 s busy timeout and explicit transactions:
    a connection carrying the ``techmatch_write`` execution option starts with
    ``BEGIN IMMEDIATE``, so concurrent writers queue on the lock instead of failing.
    """
    if not is_sqlite(url):
        return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)
    database = make_url(url).database
    if database and database != ":memory:" and not database.startswith("file:"):
        private_file(Path(database))
    engine = create_engine(
        url, connect_args={"check_same_thread": False, "timeout": 30}, pool_size=10
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we emit BEGIN ourselves
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        immediate = conn.get_execution_options().get(WRITE_OPTION, False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


class Database:
    """An engine with two session factories: plain (reads) and write (takes the write lock)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = make_engine(url)
        self.backend = self.engine.dialect.name
        self.read_session = sessionmaker(self.engine, expire_on_commit=False)
        self.write_session = sessionmaker(
            self.engine.execution_options(**{WRITE_OPTION: True}), expire_on_commit=False
        )

    def session(self, write: bool = False) -> Session:
        """A new session; ``write=True`` starts its transaction with the write lock (SQLite)."""
        return self.write_session() if write else self.read_session()

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()
