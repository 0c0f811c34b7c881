"""Index saves are spaced by their own duration: a save holds the lock shared, so a write
waits for it; at 100,000 postings a save takes seconds and, 2 s after every write, made
nearly every write of a steady stream wait for one."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

import service.matching as matching
from service.db.engine import Database
from service.db.models import Base
from service.matching import Matcher
from tests.service.test_read_write import add_rows


def test_the_next_save_waits_for_ten_times_the_last_one(
    tmp_path: Path, hashing_model: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    database = Database(f"sqlite:///{tmp_path}/spacing.db")
    Base.metadata.create_all(database.engine)
    add_rows(database, 1, 20)
    matcher = Matcher(database, "hashing", tmp_path / "index", model=hashing_model, save_delay=0)
    matcher.start()  # rebuilt: saved once
    engine = matcher._engine
    assert engine is not None
    real_save = engine.save

    def slow_save(*args: Any, **kwargs: Any) -> Path:
        time.sleep(0.2)
        return real_save(*args, **kwargs)

    monkeypatch.setattr(engine, "save", slow_save)
    matcher._save_now()  # a save of 0.2 s
    assert matcher.last_save_seconds >= 0.2
    add_rows(database, 21, 1)
    matcher.sync([21])
    timer = matcher._timer
    assert timer is not None
    assert timer.interval >= matching.SAVE_SPACING * 0.2 - 0.1  # not save_delay (0)
    matcher.close()  # saves the pending write at once
    assert not matcher.status()["index"]["unsaved_changes"]
    assert matcher.status()["index"]["last_save_seconds"] >= 0.2
