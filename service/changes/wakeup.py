"""The follower's wake-up: LISTEN ``techmatch_changes`` on PostgreSQL (the trigger of
migration 0008 sends a NOTIFY per change), plain polling on SQLite or when the
listening connection is lost. Either way the follower also reads the feed every poll
interval, so a lost notification costs at most that interval, never a change.

A :class:`Wakeup` is used by one thread only (the follower's).
"""

from __future__ import annotations

import logging
import time
from typing import Any

from service.changes.pg import connect
from service.db.engine import is_sqlite

log = logging.getLogger(__name__)

CHANNEL = "techmatch_changes"
RECONNECT_SECONDS = 5.0


class Wakeup:
    """``wait(timeout)`` blocks until a change is announced (True) or ``timeout`` passes
    (False); ``mode`` is ``"listen"`` while a LISTEN connection is up, else ``"poll"``."""

    def __init__(self, database_url: str) -> None:
        self.database_url = database_url
        self.listen = not is_sqlite(database_url)
        self._conn: Any = None
        self._schema = ""
        self._next_try = 0.0

    @property
    def mode(self) -> str:
        """``listen`` or ``poll``."""
        return "listen" if self._conn is not None else "poll"

    def open(self) -> None:
        """Start listening (PostgreSQL); on failure stay in poll mode and retry later."""
        if not self.listen or self._conn is not None or time.monotonic() < self._next_try:
            return
        try:
            conn = connect(self.database_url)
            self._schema = str(conn.execute("SELECT current_schema()").fetchone()[0])
            conn.execute(f"LISTEN {CHANNEL}")
            self._conn = conn
        except Exception as exc:  # no LISTEN: polling still finds every change
            log.warning("change feed: LISTEN failed (%s); polling instead", exc)
            self._next_try = time.monotonic() + RECONNECT_SECONDS

    def wait(self, timeout: float) -> bool:
        """Wait at most ``timeout`` seconds for a change of this schema."""
        self.open()
        if self._conn is None:
            time.sleep(timeout)
            return False
        deadline = time.monotonic() + timeout
        try:
            while (left := deadline - time.monotonic()) > 0:
                for note in self._conn.notifies(timeout=left, stop_after=1):
                    if str(note.payload).startswith(f"{self._schema}/"):
                        return True
            return False
        except Exception as exc:  # the connection broke: poll until it is back
            log.warning("change feed: LISTEN connection lost (%s); polling", exc)
            self.close()
            self._next_try = time.monotonic() + RECONNECT_SECONDS
            return False

    def close(self) -> None:
        """Stop listening."""
        conn, self._conn = self._conn, None
        if conn is not None:
            try:
                conn.close()
            except Exception:  # closing a broken connection
                log.debug("closing the LISTEN connection failed", exc_info=True)
