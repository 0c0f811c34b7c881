"""The index is derived data: at start it is loaded and reconciled with the database,
or rebuilt when missing, corrupt, stale or built with another model."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from indexer.engine import MatchEngine
from service.db.models import PostingRow
from service.main import create_app
from tests.service.conftest import Api, add_keys, database_url_for, make_settings, posting


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def setup(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[Path, str]:
    """A data directory and a database of each backend."""
    return tmp_path, database_url_for(request.param, tmp_path, request)


@pytest.fixture
def sqlite_setup(tmp_path: Path) -> tuple[Path, str]:
    """A data directory and a SQLite database (for index-file cases, where the backend
    does not matter)."""
    return tmp_path, f"sqlite:///{tmp_path / 'techmatch.db'}"


@contextmanager
def running(
    setup: tuple[Path, str], model: Any, keys: dict[str, str] | None = None
) -> Iterator[Api]:
    directory, url = setup
    app = create_app(make_settings(directory, url), model=model)
    with TestClient(app) as client:
        yield Api(client, keys if keys is not None else add_keys(client), "any")


def assert_consistent(api: Api) -> None:
    """Index ids and content hashes equal the database's."""
    with api.app.state.database.session() as session:
        rows = {r.id: r.content_hash for r in session.scalars(select(PostingRow))}
    matcher = api.app.state.matcher
    assert matcher.indexed_ids() == set(rows)
    assert matcher.content_hashes() == rows


def test_restart_loads_the_saved_index(setup: tuple[Path, str], hashing_model: Any) -> None:
    with running(setup, hashing_model) as api:
        keys = api.keys
        ids = [api.create("need")["id"], api.create("offer")["id"]]
    with running(setup, hashing_model, keys) as api:
        status = api.client.get("/health").json()["index"]
        assert status["rebuilt_at_start"] is False
        assert status["reconciled_at_start"] == {"upserted": 0, "deleted": 0}
        assert api.indexed() == set(ids)
        assert_consistent(api)
        assert api.get(f"/needs/{ids[0]}/matches", "company").status_code == 200


@pytest.mark.parametrize("damage", ["missing", "corrupt", "truncated"])
def test_damaged_index_is_rebuilt(
    sqlite_setup: tuple[Path, str], hashing_model: Any, damage: str
) -> None:
    setup = sqlite_setup
    with running(setup, hashing_model) as api:
        keys = api.keys
        for _ in range(3):
            api.create("need")
            api.create("offer")
        index_file = next((setup[0] / "index").glob("*.npz"))
    if damage == "missing":
        shutil.rmtree(index_file.parent)
    elif damage == "corrupt":
        index_file.write_bytes(b"not an index at all")
    else:
        index_file.write_bytes(index_file.read_bytes()[:200])
    with running(setup, hashing_model, keys) as api:
        assert api.client.get("/health").json()["index"]["rebuilt_at_start"] is True
        assert len(api.indexed()) == 6
        assert_consistent(api)


def test_stale_index_is_reconciled(
    setup: tuple[Path, str], hashing_model: Any, tmp_path_factory: pytest.TempPathFactory
) -> None:
    saved = tmp_path_factory.mktemp("saved")
    with running(setup, hashing_model) as api:
        keys = api.keys
        kept = api.create("need")["id"]
        changed = api.create("offer")["id"]
        deleted = api.create("offer")["id"]
    shutil.copytree(setup[0] / "index", saved / "index")
    with running(setup, hashing_model, keys) as api:
        api.patch(f"/offers/{changed}", "institute", json={"title": "A brand new title"})
        api.delete(f"/offers/{deleted}", "institute")
        added = api.create("need")["id"]
    shutil.rmtree(setup[0] / "index")
    shutil.copytree(saved / "index", setup[0] / "index")  # the index from before those writes
    with running(setup, hashing_model, keys) as api:
        status = api.client.get("/health").json()["index"]
        assert status["rebuilt_at_start"] is False
        assert status["reconciled_at_start"] == {"upserted": 2, "deleted": 1}
        assert api.indexed() == {kept, changed, added}
        assert api.app.state.matcher.indexed(changed).title == "A brand new title"
        assert_consistent(api)


def test_index_of_another_model_is_rebuilt(
    sqlite_setup: tuple[Path, str], hashing_model: Any
) -> None:
    setup = sqlite_setup
    from models.hashing import HashingModel

    with running(setup, hashing_model) as api:
        keys = api.keys
        api.create("need")
    with running(setup, HashingModel(dimension=64, name="hashing-64"), keys) as api:
        status = api.client.get("/health").json()
        assert status["index"]["rebuilt_at_start"] is True
        assert status["model"] == {
            "ok": True,
            "name": "hashing-64",
            "backend": None,
            "dimension": 64,
        }
        assert_consistent(api)


def test_index_is_saved_soon_after_writes(
    sqlite_setup: tuple[Path, str], hashing_model: Any
) -> None:
    setup = sqlite_setup
    import time

    with running(setup, hashing_model) as api:
        api.create("need")
        deadline = time.time() + 5
        while api.client.get("/health").json()["index"]["unsaved_changes"]:
            assert time.time() < deadline, "index was not saved"
            time.sleep(0.05)
        assert api.client.get("/health").json()["index"]["last_saved"]


def test_index_heals_after_a_failed_update(
    sqlite_setup: tuple[Path, str], hashing_model: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    with running(sqlite_setup, hashing_model) as api:

        def broken(self: MatchEngine, postings: Any) -> None:
            raise RuntimeError("index failure")

        monkeypatch.setattr(MatchEngine, "upsert", broken)
        client = TestClient(api.app, raise_server_exceptions=False)
        headers = api.headers("company")
        r = client.post("/api/v1/needs", json=posting(), headers=headers)
        assert r.status_code == 500
        assert r.json() == {
            "detail": [{"loc": [], "msg": "internal error", "type": "internal_error"}]
        }
        monkeypatch.undo()
        need_id = api.get("/needs", "company").json()["items"][0]["id"]  # stored in the database
        assert api.get(f"/needs/{need_id}/matches", "company").status_code == 200
        assert need_id in api.indexed()
        assert_consistent(api)
