"""``TECHMATCH_ENGINE__ANN=pgvector``: the URL setting, its default, its error on SQLite,
and the service running on the pgvector store (a real pgvector server from the
``pgserver`` wheel; skipped as ``tests/indexer/test_pgvector.py`` skips without it)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError

from indexer.pgvector_store import PgVectorIndex
from service.core.config import EngineSettings, HiddenUrl, Settings
from service.main import create_app
from service.matching import engine_config
from tests.indexer.test_pgvector import pgvector_url  # noqa: F401  # the server fixture
from tests.service.conftest import Api, add_keys, make_settings


def test_pgvector_on_sqlite_without_a_url_is_refused_in_both_languages(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TECHMATCH_ENGINE__ANN", "pgvector")
    monkeypatch.delenv("TECHMATCH_DATABASE_URL", raising=False)
    with pytest.raises(ValidationError) as raised:
        Settings()
    message = str(raised.value)
    assert "TECHMATCH_ENGINE__PGVECTOR_URL" in message
    assert "needs PostgreSQL with the pgvector extension" in message
    assert "cần PostgreSQL có tiện ích pgvector" in message


def test_pgvector_url_defaults_to_the_postgresql_database(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TECHMATCH_ENGINE__ANN", "pgvector")
    monkeypatch.setenv("TECHMATCH_DATABASE_URL", "postgresql+psycopg://app:pw@db/techmatch")
    engine = Settings().engine
    assert isinstance(engine.pgvector_url, HiddenUrl)
    assert engine.pgvector_url.get_secret_value() == "postgresql+psycopg://app:pw@db/techmatch"
    assert json.dumps(engine.pgvector_url) == '"postgresql+psycopg://app:***@db/techmatch"'
    assert "pw" not in repr(engine)
    monkeypatch.setenv("TECHMATCH_ENGINE__PGVECTOR_URL", "postgresql://vectors:s3cret@replica/v")
    engine = Settings().engine
    assert isinstance(engine.pgvector_url, HiddenUrl)
    assert engine.pgvector_url.get_secret_value() == "postgresql://vectors:s3cret@replica/v"
    config = engine_config(engine)
    assert config.ann == "pgvector" and "s3cret" not in repr(config)


def test_the_service_matches_through_pgvector(
    tmp_path: Path,
    hashing_model: Any,
    pgvector_url: str,  # noqa: F811
) -> None:
    engine = EngineSettings(ann="pgvector", pgvector_url=pgvector_url)
    settings = make_settings(tmp_path, None, engine=engine)
    with TestClient(create_app(settings, model=hashing_model)) as client:
        api = Api(client, add_keys(client), "sqlite")
        need = api.create("need")
        offer = api.create(
            "offer", title="Dissolved oxygen and pH sensors for shrimp ponds", description="x"
        )
        other = api.create("offer", title="Container yard scheduling", sector="ports_logistics")
        matched = api.get(f"/needs/{need['id']}/matches", "company").json()["items"]
        assert offer["id"] in [m["offer"]["id"] for m in matched]
        stores = client.app.state.matcher._engine.retriever.ann  # type: ignore[attr-defined]
        assert isinstance(stores["offer"], PgVectorIndex)
        assert len(stores["offer"]) == 2
        assert api.delete(f"/offers/{other['id']}", "institute").status_code == 204
        assert len(stores["offer"]) == 1
        health = client.get("/health").json()["engine"]
        assert health["ann"] == "pgvector"
        assert health["pgvector_url"] == pgvector_url.replace(":@", ":***@")  # no password
        stores["offer"]._conn.execute("DROP TABLE posting_vectors")
