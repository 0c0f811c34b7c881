"""One schedule run per session at a time: a second, concurrent ``POST /schedule`` of the
same session is refused with 409 instead of racing the first one's writes.

PostgreSQL: a session-level advisory lock (``pg_try_advisory_lock``) held on its own
connection for the whole run, so it also holds across worker processes. SQLite (one
process, writes already serialised): a non-blocking in-process lock per session id.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import text

from service.db.engine import Database
from service.errors import Conflict

#: First key of the advisory lock pair, so other advisory locks cannot collide with ours.
LOCK_SPACE = 0x7E5E

_local_locks: dict[tuple[str, int], threading.Lock] = {}
_guard = threading.Lock()


class ScheduleRunning(Conflict):
    """Another schedule of the same session is running (409)."""

    error_type = "schedule_running"


def _busy(session_id: int) -> ScheduleRunning:
    return ScheduleRunning(
        f"session {session_id} is being scheduled right now; try again when that run ends",
        ("path", "session_id"),
        msg_vi=f"Phiên {session_id} đang được xếp lịch; hãy thử lại khi lần xếp đó xong.",
    )


@contextmanager
def schedule_lock(database: Database, session_id: int) -> Iterator[None]:
    """Hold the session's schedule lock for the ``with`` block (409 when already held)."""
    if database.backend == "postgresql":
        with database.engine.connect() as conn:
            key = {"space": LOCK_SPACE, "id": session_id % 2**31}
            got = conn.execute(text("SELECT pg_try_advisory_lock(:space, :id)"), key).scalar()
            conn.commit()
            if not got:
                raise _busy(session_id)
            try:
                yield
            finally:
                conn.execute(text("SELECT pg_advisory_unlock(:space, :id)"), key)
                conn.commit()
        return
    with _guard:
        lock = _local_locks.setdefault((database.url, session_id), threading.Lock())
    if not lock.acquire(blocking=False):
        raise _busy(session_id)
    try:
        yield
    finally:
        lock.release()
