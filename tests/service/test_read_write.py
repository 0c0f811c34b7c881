"""Reads never wait for writes: the read–write lock, a slow sync beside match requests, a
long ``pairs`` beside match requests, and the caches that concurrent reads share."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from sqlalchemy import select

from service.db.engine import Database
from service.db.models import Base, PostingRow
from service.matching import Filters, Matcher, content_hash
from service.rwlock import ReadWriteLock

WORDS = [
    "cảm",
    "biến",
    "tôm",
    "ao",
    "nuôi",
    "oxy",
    "container",
    "cảng",
    "phần",
    "mềm",
    "năng",
    "lượng",
    "mặt",
    "trời",
    "pin",
    "lúa",
]


class SlowModel:
    """The hashing embedder, made to take ``delay`` seconds per call while ``slow`` is set
    (a big import's embedding, without waiting minutes for a real one)."""

    def __init__(self, inner: Any, delay: float) -> None:
        self.inner, self.delay = inner, delay
        self.name, self.dimension = inner.name, inner.dimension
        self.slow = threading.Event()
        self.encoding = threading.Event()

    def encode(self, texts: Sequence[str], batch_size: int = 32) -> np.ndarray:
        if self.slow.is_set():
            self.encoding.set()
            time.sleep(self.delay)
        return np.asarray(self.inner.encode(texts, batch_size=batch_size))


def add_rows(database: Database, first: int, count: int) -> list[int]:
    ids = list(range(first, first + count))
    with database.session(write=True) as session:
        for n in ids:
            words = [WORDS[(n * 7 + k) % len(WORDS)] for k in range(6)]
            row = PostingRow(
                id=n, kind="need" if n % 2 else "offer", title=f"{' '.join(words[:3])} {n}",
                description=" ".join(words) + ".", language="vi", sector="aquaculture_fisheries",
                keywords=[], trl=5, status="published", owner_org="t", search_text="",
                content_hash="",
            )  # fmt: skip
            row.content_hash = content_hash(row)
            session.add(row)
        session.commit()
    return ids


def retitle(database: Database, posting_id: int, title: str) -> None:
    with database.session(write=True) as session:
        row = session.scalars(select(PostingRow).where(PostingRow.id == posting_id)).one()
        row.title = title
        row.content_hash = content_hash(row)
        session.commit()


@pytest.fixture
def matcher(tmp_path: Path, hashing_model: Any) -> Any:
    database = Database(f"sqlite:///{tmp_path}/rw.db")
    Base.metadata.create_all(database.engine)
    add_rows(database, 1, 60)
    model = SlowModel(hashing_model, delay=1.5)
    matcher = Matcher(database, model.name, tmp_path / "index", model=model, save_delay=-1)
    matcher.start()
    yield matcher, model
    matcher.close()


def timed_matches(matcher: Matcher, stop: threading.Event, out: list[float]) -> None:
    while not stop.is_set():
        started = time.perf_counter()
        assert matcher.matches(1, limit=5)
        out.append(time.perf_counter() - started)


# ------------------------------------------------------------------------------ the lock


def test_readers_share_the_lock_and_a_writer_holds_it_alone() -> None:
    lock = ReadWriteLock()
    inside = threading.Barrier(3, timeout=2)

    def reader() -> None:
        with lock.read():
            inside.wait()  # both readers are inside at once, or this times out

    threads = [threading.Thread(target=reader) for _ in range(2)]
    for t in threads:
        t.start()
    inside.wait()
    for t in threads:
        t.join()
    order: list[str] = []
    with lock.read():
        writer = threading.Thread(target=_write_once, args=(lock, order))
        writer.start()
        time.sleep(0.1)
        assert order == [] and lock.state()["writers_waiting"] == 1  # waits for the reader
    writer.join(2)
    assert order == ["written"]


def _write_once(lock: ReadWriteLock, order: list[str]) -> None:
    with lock.write():
        order.append("written")


def test_a_waiting_writer_goes_before_new_short_readers_but_not_behind_a_long_read() -> None:
    lock = ReadWriteLock()
    order: list[str] = []

    def short_read() -> None:
        with lock.read():
            order.append("read")

    # Without a long read: a new short reader waits for the waiting writer.
    with lock.read():
        writer = threading.Thread(target=_write_once, args=(lock, order))
        writer.start()
        time.sleep(0.1)
        reader = threading.Thread(target=short_read)
        reader.start()
        time.sleep(0.1)
        assert order == []
    writer.join(2)
    reader.join(2)
    assert order == ["written", "read"]

    # A long read holds the lock, a writer waits for it: short reads still go ahead.
    order.clear()
    with lock.read(long=True):
        writer = threading.Thread(target=_write_once, args=(lock, order))
        writer.start()
        time.sleep(0.1)
        reader = threading.Thread(target=short_read)
        reader.start()
        reader.join(1)
        assert order == ["read"] and lock.state()["writers_waiting"] == 1
    writer.join(2)
    assert order == ["read", "written"]


# ---------------------------------------------------------------------------- the matcher


def test_matches_answer_while_a_slow_sync_embeds(matcher: Any) -> None:
    matcher, model = matcher
    ids = add_rows(matcher.database, 1000, 40)
    model.slow.set()
    writer = threading.Thread(target=matcher.sync, args=(ids,))
    writer.start()
    assert model.encoding.wait(2)
    stop, latencies = threading.Event(), []
    reader = threading.Thread(target=timed_matches, args=(matcher, stop, latencies))
    reader.start()
    writer.join(10)
    stop.set()
    reader.join(5)
    model.slow.clear()
    assert not writer.is_alive()
    assert len(latencies) >= 5  # match requests kept coming during the 1.5 s of embedding
    assert max(latencies) < 0.5, max(latencies)
    assert set(ids) <= matcher.indexed_ids()  # and the write landed


def test_a_sync_racing_a_newer_sync_leaves_the_newer_text(matcher: Any) -> None:
    matcher, model = matcher
    retitle(matcher.database, 2, "Older title, embedded slowly")
    model.slow.set()
    slow = threading.Thread(target=matcher.sync, args=([2],))
    slow.start()  # reads the posting, then embeds for 1.5 s outside the lock
    assert model.encoding.wait(2)
    retitle(matcher.database, 2, "Newer title written during the slow sync")
    model.slow.clear()
    matcher.sync([2])  # the newer version, indexed first
    slow.join(10)
    indexed = matcher.indexed(2)
    assert indexed is not None and indexed.title == "Newer title written during the slow sync"
    assert matcher.content_hashes()[2] == indexed.content_hash()


def test_matches_answer_while_a_long_pairs_holds_the_read_lock(matcher: Any) -> None:
    matcher, _ = matcher
    lock = matcher._lock
    release = threading.Event()

    def long_read() -> None:  # stands for a /pairs over a big pool
        with lock.read(long=True):
            release.wait(5)

    holder = threading.Thread(target=long_read)
    holder.start()
    time.sleep(0.05)
    writer = threading.Thread(target=matcher.sync, args=(add_rows(matcher.database, 2000, 2),))
    writer.start()  # waits for the long read
    time.sleep(0.1)
    assert lock.state()["writers_waiting"] == 1
    started = time.perf_counter()
    assert matcher.matches(1, limit=5)
    assert time.perf_counter() - started < 0.5
    release.set()
    holder.join(5)
    writer.join(5)
    assert {2000, 2001} <= matcher.indexed_ids()


def test_concurrent_reads_with_many_filters_agree_with_serial_ones(matcher: Any) -> None:
    matcher, _ = matcher
    engine = matcher._engine
    filters = [Filters(ids=frozenset(range(2, 2 + 2 * k, 2))) for k in range(1, 90)]
    expected = [[m.offer_id for m in engine.match(1, 5, filters=f)] for f in filters]
    engine.clear_caches()
    errors: list[BaseException] = []
    results: dict[int, list[int]] = {}

    def read(start: int) -> None:
        try:
            for n in range(start, len(filters)) if start % 2 else range(len(filters)):
                got = [m.offer_id for m in engine.match(1, 5, filters=filters[n])]
                if start == 0:
                    results[n] = got
                assert got == expected[n]
        except BaseException as exc:  # collected: assertions in threads do not fail a test
            errors.append(exc)

    threads = [threading.Thread(target=read, args=(s,)) for s in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors[:3]
    assert [results[n] for n in range(len(filters))] == expected
