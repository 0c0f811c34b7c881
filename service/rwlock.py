"""A read–write lock for the match index: many readers at once, one writer alone.

Readers share the lock; a writer holds it alone. A waiting writer is served before new
readers (so that a steady stream of match requests cannot starve the writes of an
import), except while a *long* reader (``/pairs`` over the whole pool) holds the lock:
then new readers go ahead, because the waiting writer is itself waiting for that long
read, and making short reads queue behind it would make them wait for the whole
``/pairs``. A reader therefore waits at most for one write and for the short reads
that were running when the write came, never for a long read.

Not re-entrant: a thread holding the lock must not take it again.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager


class ReadWriteLock:
    """Shared reads, exclusive writes (see the module docstring)."""

    def __init__(self) -> None:
        self._cond = threading.Condition(threading.Lock())
        self._readers = 0
        self._long_readers = 0
        self._writer = False
        self._writers_waiting = 0

    @contextmanager
    def read(self, long: bool = False) -> Iterator[None]:
        """Hold the lock shared; ``long`` marks a read that may take seconds (``/pairs``)."""
        with self._cond:
            while self._writer or (self._writers_waiting and not self._long_readers):
                self._cond.wait()
            self._readers += 1
            self._long_readers += long
        try:
            yield
        finally:
            with self._cond:
                self._readers -= 1
                self._long_readers -= long
                if not self._readers or not self._long_readers:
                    self._cond.notify_all()

    @contextmanager
    def write(self) -> Iterator[None]:
        """Hold the lock alone (waits for every reader and writer to leave)."""
        with self._cond:
            self._writers_waiting += 1
            try:
                while self._writer or self._readers:
                    self._cond.wait()
            finally:
                self._writers_waiting -= 1
            self._writer = True
        try:
            yield
        finally:
            with self._cond:
                self._writer = False
                self._cond.notify_all()

    def state(self) -> dict[str, int | bool]:
        """Readers, long readers, writer and waiting writers now (tests, ``/health``)."""
        with self._cond:
            return {
                "readers": self._readers,
                "long_readers": self._long_readers,
                "writer": self._writer,
                "writers_waiting": self._writers_waiting,
            }
