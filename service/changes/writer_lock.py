"""Only one process writes the index file: the one holding the writer lock.

On PostgreSQL the lock is a session-level advisory lock on a connection kept open for
it (a crashed holder's connection closes and the lock frees itself); elsewhere (SQLite,
one server process) it is an ``flock`` on ``<index_dir>/writer.lock``, which also keeps
``techmatch import`` from overwriting a running server's index file.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
from pathlib import Path
from typing import Any

from service.changes.pg import connect
from service.db.engine import is_sqlite

log = logging.getLogger(__name__)

#: The advisory-lock class id of the index writer (the second key is the schema's hash).
WRITER_LOCK_CLASS = 7262
_TRY_LOCK = "SELECT pg_try_advisory_lock(%s, hashtext(current_schema()))"
_UNLOCK = "SELECT pg_advisory_unlock(%s, hashtext(current_schema()))"


class WriterLock:
    """``try_acquire()`` takes the lock if it is free; ``held`` says whether we hold it;
    ``check()`` notices a lost lock (a dropped connection). Used by one thread at a time
    (start-up, then the follower); ``held`` may be read from any thread."""

    def __init__(self, database_url: str, index_dir: Path) -> None:
        self.postgres = not is_sqlite(database_url)
        self.database_url = database_url
        self.path = index_dir / "writer.lock"
        self.held = False
        self._conn: Any = None
        self._fd: int | None = None

    def try_acquire(self) -> bool:
        """Take the lock when nobody holds it; True when we hold it afterwards."""
        if self.held:
            return True
        try:
            self.held = self._acquire_pg() if self.postgres else self._acquire_file()
        except Exception as exc:  # no lock: this process just does not write the file
            log.warning("index writer lock: %s", exc)
            self.release()
        return self.held

    def check(self) -> bool:
        """Whether the lock is still ours (on PostgreSQL: its connection still answers)."""
        if self.held and self.postgres:
            try:
                self._conn.execute("SELECT 1")
            except Exception as exc:  # the connection (and with it the lock) is gone
                log.warning("index writer lock lost: %s", exc)
                self.release()
        return self.held

    def release(self) -> None:
        """Give the lock up (closing its connection or file)."""
        held, self.held = self.held, False
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(Exception):
                if held:  # at once, not when the server notices the closed connection
                    conn.execute(_UNLOCK, (WRITER_LOCK_CLASS,))
                conn.close()
        fd, self._fd = self._fd, None
        if fd is not None:
            os.close(fd)  # closing the file releases the flock

    def _acquire_pg(self) -> bool:
        if self._conn is None:
            self._conn = connect(self.database_url)
        row = self._conn.execute(_TRY_LOCK, (WRITER_LOCK_CLASS,)).fetchone()
        return bool(row[0])

    def _acquire_file(self) -> bool:
        self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        self._fd = fd
        return True
