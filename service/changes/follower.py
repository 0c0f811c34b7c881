"""The follower: one thread per worker that keeps its index in step with the change feed.

It reads every change after the last one it applied (woken by LISTEN/NOTIFY, and at
least every poll interval), and asks the matcher to sync the postings whose database
state differs from the index — so the worker's own writes, already synced inline by the
request that made them, are not applied twice. It also keeps the writer lock (taking it
over when its holder dies) and, while it holds it, prunes the feed.

Usage: :meth:`Follower.begin` before ``Matcher.start`` (so that nothing committed during
the start-up reconcile is missed), :meth:`Follower.start` after it.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Iterable
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select

from service.changes import feed
from service.changes.wakeup import Wakeup
from service.changes.writer_lock import WriterLock
from service.db.engine import Database
from service.db.models import PostingRow
from service.matching import Matcher, to_posting

log = logging.getLogger(__name__)

LOCK_CHECK_SECONDS = 2.0


class Follower:
    """Applies the change feed to one worker's matcher."""

    def __init__(
        self,
        database: Database,
        matcher: Matcher,
        lock: WriterLock,
        poll_seconds: float = 0.5,
        retention: timedelta = timedelta(hours=24),
        prune_every: float = 60.0,
    ) -> None:
        self.database = database
        self.matcher = matcher
        self.lock = lock
        self.poll_seconds = poll_seconds
        self.retention = retention
        self.prune_every = prune_every
        self.wakeup = Wakeup(database.url)
        self.applied = 0
        self.applied_changes = 0  # postings synced because of the feed
        self.skipped_changes = 0  # changes the index already held (e.g. our own writes)
        self.resyncs = 0
        self._apply_lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._last_read = time.monotonic()
        self._last_prune = 0.0
        self._last_lock_check = 0.0

    def begin(self) -> None:
        """Remember where the feed stands (call before the matcher's start-up reconcile)."""
        self.applied = feed.latest_id(self.database)
        self._last_read = time.monotonic()

    def start(self) -> None:
        """Start the follower thread."""
        self._thread = threading.Thread(target=self._run, name="change-follower", daemon=True)
        self._thread.start()

    def close(self) -> None:
        """Stop the thread (within one poll interval)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None

    # -- applying --------------------------------------------------------------

    def catch_up(self, wait: float | None = None) -> int:
        """Apply every change committed so far; returns how many postings were synced.

        Safe from any thread. A request thread (about to answer "not indexed") passes
        ``wait``: when the follower is busy longer than that (a bulk import), it gives up
        and returns 0 instead of holding the request."""
        if not self._apply_lock.acquire(timeout=-1 if wait is None else wait):
            return 0
        try:
            return self._catch_up()
        finally:
            self._apply_lock.release()

    def _catch_up(self) -> int:
        if time.monotonic() - self._last_read > self.retention.total_seconds() / 2:
            self._resync()  # we may have slept past pruned changes: compare everything
        synced = 0
        while True:
            changes = feed.read_after(self.database, self.applied)
            self._last_read = time.monotonic()
            if not changes:
                return synced
            ids = {c.posting_id for c in changes}
            done = self._apply(ids)
            synced += done
            self.skipped_changes += len(ids) - done
            self.applied = changes[-1].id
            if len(changes) < feed.BATCH:
                return synced

    def _apply(self, ids: Iterable[int]) -> int:
        """Sync those of ``ids`` the index does not hold as the database does; how many."""
        stale = self._differing(sorted(set(ids)))
        if stale:
            self.matcher.sync(stale)
        self.applied_changes += len(stale)
        return len(stale)

    def _differing(self, ids: list[int]) -> list[int]:
        """Those of ``ids`` whose database state the index does not hold."""
        today = date.today()
        found: dict[int, Any] = {}
        with self.database.session() as session:
            for start in range(0, len(ids), 500):
                chunk = ids[start : start + 500]
                for row in session.scalars(select(PostingRow).where(PostingRow.id.in_(chunk))):
                    found[row.id] = to_posting(row, today)
        return [i for i in ids if self.matcher.indexed(i) != found.get(i)]

    def _resync(self) -> None:
        with self.database.session() as session:
            in_db = set(session.scalars(select(PostingRow.id)))
        self.applied = feed.latest_id(self.database)
        self._apply(in_db | self.matcher.indexed_ids())
        self.resyncs += 1
        log.warning("change feed: full comparison with the database (follower was stalled)")

    # -- the thread ------------------------------------------------------------

    def _run(self) -> None:
        try:
            while not self._stop.is_set():
                try:
                    self._housekeeping()
                    self.catch_up()
                except Exception:  # keep following: the database may be back next time
                    log.exception("change feed: catching up failed")
                    self._stop.wait(self.poll_seconds)
                self.wakeup.wait(self.poll_seconds)
        finally:
            self.wakeup.close()

    def _housekeeping(self) -> None:
        now = time.monotonic()
        if now - self._last_lock_check >= LOCK_CHECK_SECONDS:
            self._last_lock_check = now
            writer = self.lock.check() or self.lock.try_acquire()
            if writer and now - self._last_prune >= self.prune_every:
                self._last_prune = now
                gone = feed.prune(self.database, self.retention)
                if gone:
                    log.info("change feed: pruned %d changes", gone)

    # -- health ------------------------------------------------------------------

    def status(self) -> dict[str, Any]:
        """The ``worker`` block of ``/health``."""
        applied = self.applied
        try:
            behind: int | None = feed.count_after(self.database, applied)
        except Exception:  # the health check reports the database separately
            behind = None
        return {
            "pid": os.getpid(),
            "applied_change_id": applied,
            "behind": behind,
            "wakeup": self.wakeup.mode,
            "writes_index_file": self.lock.held,
            "synced_from_feed": self.applied_changes,
            "already_indexed": self.skipped_changes,
            "full_resyncs": self.resyncs,
        }
