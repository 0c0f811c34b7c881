"""A restart reads the saved index and only the changed rows: unchanged rows are matched
by their fingerprint (no normalising, no comparison of postings), changed ones are found
however they were changed (even by SQL behind the service's back)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

import service.matching as matching
from service.db.engine import Database
from service.db.models import Base
from service.matching import Matcher
from tests.service.conftest import BACKENDS, database_url_for
from tests.service.test_read_write import add_rows


@pytest.mark.parametrize("backend", BACKENDS)
def test_restart_recomputes_only_the_rows_changed_while_down(
    tmp_path: Path,
    hashing_model: Any,
    monkeypatch: pytest.MonkeyPatch,
    backend: str,
    request: pytest.FixtureRequest,
) -> None:
    """Also: the fingerprints a write computes (of loaded rows) are those the start-up
    reconcile computes (of plain columns, the keywords as JSON text), on both databases."""
    database = Database(database_url_for(backend, tmp_path, request))
    Base.metadata.create_all(database.engine)
    add_rows(database, 1, 40)
    first = Matcher(database, "hashing", tmp_path / "index", model=hashing_model, save_delay=-1)
    first.start()
    assert first.rebuilt
    first.close()
    with database.session(write=True) as session:  # behind the service's back
        session.execute(text("UPDATE postings SET title = 'Changed while down' WHERE id = 7"))
        session.execute(text("UPDATE postings SET status = 'draft' WHERE id = 8"))
        session.execute(text("DELETE FROM postings WHERE id = 9"))
        keywords = '\'["đổi", "sensor"]\'' + ("::jsonb" if backend == "postgres" else "")
        session.execute(text(f"UPDATE postings SET keywords = {keywords} WHERE id = 6"))
        session.commit()
    converted: list[int] = []
    real = matching.to_posting

    def counting(row: Any, today: Any = None) -> Any:
        converted.append(row.id)
        return real(row, today)

    monkeypatch.setattr(matching, "to_posting", counting)
    second = Matcher(database, "hashing", tmp_path / "index", model=hashing_model, save_delay=-1)
    second.start()
    assert not second.rebuilt
    assert sorted(converted) == [6, 7, 8]  # the 36 unchanged rows were never converted
    assert second.reconciled == {"upserted": 3, "deleted": 1}
    changed = second.indexed(6)
    assert changed is not None and changed.keywords == ("đổi", "sensor")
    indexed = second.indexed(7)
    assert indexed is not None and indexed.title == "Changed while down"
    assert 9 not in second.indexed_ids()
    assert 8 not in {m.offer_id for m in second.matches(1, limit=50)}
    second.close()
    third = Matcher(database, "hashing", tmp_path / "index", model=hashing_model, save_delay=-1)
    converted.clear()
    third.start()
    assert converted == [] and third.reconciled == {"upserted": 0, "deleted": 0}
    third.close()
