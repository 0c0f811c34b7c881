"""The change feed (migration 0008, ``service/changes/``) on SQLite and PostgreSQL: every
posting write leaves a change in its own transaction, in commit order; followers apply
other processes' writes and skip their own; one writer lock; LISTEN wakes followers."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from service.auth.roles import Principal, Role
from service.changes import feed
from service.changes.follower import Follower
from service.changes.wakeup import Wakeup
from service.changes.writer_lock import WriterLock
from service.db.engine import Database
from service.db.migrate import upgrade
from service.matching import Matcher
from service.postings import PostingService
from service.schemas.postings import PostingCreate
from tests.service.conftest import posting

ADMIN = Principal(role=Role.admin, organization="Fair")


@pytest.fixture
def database(backend_url: str) -> Iterator[Database]:
    db = Database(backend_url)
    upgrade(db)
    yield db
    db.dispose()


def _create(service: PostingService, kind: str = "need", **fields: Any) -> int:
    return service.create(ADMIN, kind, PostingCreate(**posting(**fields))).id


def _insert_sql(db: Database, title: str) -> None:
    """A posting written by plain SQL, as a hand-made fix or another tool would."""
    with db.session(write=True) as session:
        session.execute(
            text(
                "INSERT INTO postings (kind, title, description, language, keywords,"
                " transfer_modes, status, owner_org, search_text, content_hash, created_at,"
                " updated_at) VALUES ('offer', :t, 'desc', 'en', '[]', '[]', 'published',"
                " 'Inst', '', 'x', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
            ),
            {"t": title},
        )
        session.commit()


def test_every_write_path_leaves_one_change_in_order(
    database: Database, hashing_model: Any, tmp_path: Path
) -> None:
    service = PostingService(database, _matcher_started(database, hashing_model, tmp_path), 0)
    start = feed.latest_id(database)
    need = _create(service)
    service.update(ADMIN, "need", need, _update(title="Changed title for the feed"))
    _insert_sql(database, "Offer written by SQL")
    service.delete(ADMIN, "need", need)
    changes = feed.read_after(database, start)
    assert [c.op for c in changes] == ["insert", "update", "insert", "delete"]
    assert [c.posting_id for c in changes][:2] == [need, need] and changes[3].posting_id == need
    assert [c.id for c in changes] == sorted(c.id for c in changes)
    assert feed.count_after(database, start) == 4
    assert feed.count_after(database, changes[1].id) == 2
    assert feed.latest_id(database) == changes[-1].id


def test_a_rolled_back_write_leaves_no_change(database: Database) -> None:
    start = feed.latest_id(database)
    with database.session(write=True) as session:
        session.execute(text("UPDATE postings SET title = title"))  # touches nothing here
        session.execute(
            text(
                "INSERT INTO postings (kind, title, description, language, keywords,"
                " transfer_modes, status, owner_org, search_text, content_hash, created_at,"
                " updated_at) VALUES ('need', 'x', 'y', 'en', '[]', '[]', 'draft', 'O', '',"
                " 'h', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
            )
        )
        assert feed.count_after(database, start) == 0  # not visible before the commit
        session.rollback()
    assert feed.read_after(database, start) == []


def test_prune_drops_only_old_changes(database: Database) -> None:
    _insert_sql(database, "old one")
    _insert_sql(database, "new one")
    changes = feed.read_after(database, 0)
    old, new = changes[-2], changes[-1]
    with database.session(write=True) as session:
        session.execute(
            text("UPDATE posting_changes SET changed_at = :t WHERE id <= :i"),
            {"t": "2000-01-01 00:00:00", "i": old.id},
        )
        session.commit()
    assert feed.prune(database, timedelta(hours=1), below=old.id) == 0  # below: kept
    assert feed.prune(database, timedelta(hours=1)) >= 1
    assert feed.oldest_id(database) == new.id
    assert feed.prune(database, timedelta(hours=1)) == 0


def test_follower_applies_other_writes_and_skips_its_own(
    database: Database, hashing_model: Any, tmp_path: Path
) -> None:
    a = _matcher_started(database, hashing_model, tmp_path / "a")
    b = Matcher(database, "hashing", tmp_path / "b", model=hashing_model, save_delay=-1)
    follow_a = Follower(database, a, WriterLock(database.url, tmp_path / "a"))
    follow_b = Follower(database, b, WriterLock(database.url, tmp_path / "b"))
    follow_a.begin()
    follow_b.begin()
    b.start()
    service_a = PostingService(database, a, 0)
    need = _create(service_a, title="Solar dryer for coffee beans")
    assert need in a.indexed_ids() and need not in b.indexed_ids()
    embedded = a.info().embedded_count
    assert follow_b.catch_up() == 1
    assert b.indexed(need) == a.indexed(need)
    assert follow_a.catch_up() == 0  # its own write: already indexed, not applied twice
    assert follow_a.status()["already_indexed"] == 1 and follow_a.status()["behind"] == 0
    assert a.info().embedded_count == embedded
    _insert_sql(database, "Offer from another tool")
    service_a.delete(ADMIN, "need", need)
    assert follow_b.catch_up() == 2
    assert need not in b.indexed_ids() and len(b.indexed_ids()) == len(a.indexed_ids()) + 1
    assert follow_b.status()["behind"] == 0
    assert follow_b.status()["applied_change_id"] == feed.latest_id(database)


def test_only_one_writer_lock(database: Database, tmp_path: Path) -> None:
    first = WriterLock(database.url, tmp_path / "index")
    second = WriterLock(database.url, tmp_path / "index")
    try:
        assert first.try_acquire() and first.check()
        assert not second.try_acquire() and not second.held
        first.release()
        assert second.try_acquire()
        assert not first.try_acquire()
    finally:
        first.release()
        second.release()


def test_wakeup_listens_on_postgres_and_polls_on_sqlite(database: Database) -> None:
    wakeup = Wakeup(database.url)
    try:
        assert not wakeup.wait(0.05)  # nothing written yet
        if database.backend == "sqlite":
            assert wakeup.mode == "poll"
            return
        assert wakeup.mode == "listen"
        writer = threading.Timer(0.2, _insert_sql, (database, "wake me"))
        writer.start()
        started = time.monotonic()
        assert wakeup.wait(5.0)
        assert time.monotonic() - started < 2.0
        writer.join()
    finally:
        wakeup.close()


@pytest.mark.postgres
def test_postgres_change_ids_follow_commit_order(
    request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    """A write waits for an open posting write: an id never shows up below one read."""
    from tests.service.conftest import database_url_for

    database = Database(database_url_for("postgres", tmp_path, request))
    upgrade(database)
    try:
        start = feed.latest_id(database)
        first = database.session(write=True)
        first.execute(text("UPDATE postings SET title = title"))  # takes the feed lock
        second_done = threading.Event()
        second = threading.Thread(
            target=lambda: (_insert_sql(database, "second"), second_done.set())
        )
        second.start()
        assert not second_done.wait(0.5)  # queued behind the open transaction
        first.execute(
            text(
                "INSERT INTO postings (kind, title, description, language, keywords,"
                " transfer_modes, status, owner_org, search_text, content_hash, created_at,"
                " updated_at) VALUES ('need', 'first', 'y', 'en', '[]', '[]', 'draft', 'O',"
                " '', 'h', now(), now())"
            )
        )
        first.commit()
        first.close()
        assert second_done.wait(10)
        second.join()
        titles = []
        with database.session() as session:
            for change in feed.read_after(database, start):
                titles.append(
                    session.scalar(
                        text("SELECT title FROM postings WHERE id = :i"), {"i": change.posting_id}
                    )
                )
        assert titles == ["first", "second"]
    finally:
        database.dispose()


def _matcher_started(db: Database, model: Any, directory: Path) -> Matcher:
    matcher = Matcher(db, "hashing", directory, model=model, save_delay=-1)
    matcher.start()
    return matcher


def _update(**fields: Any) -> Any:
    from service.schemas.postings import PostingUpdate

    return PostingUpdate(**fields)


def test_a_request_does_not_wait_long_for_a_busy_follower(
    database: Database, hashing_model: Any, tmp_path: Path
) -> None:
    matcher = _matcher_started(database, hashing_model, tmp_path)
    follower = Follower(database, matcher, WriterLock(database.url, tmp_path))
    follower.begin()
    _insert_sql(database, "written while the follower is busy")
    result: list[int] = []
    with follower._apply_lock:  # the follower thread applying a long batch
        asking = threading.Thread(target=lambda: result.append(follower.catch_up(wait=0.2)))
        started = time.monotonic()
        asking.start()
        asking.join(timeout=10)
        assert result == [0] and time.monotonic() - started < 5
    assert follower.catch_up(wait=0.2) == 1
