"""Settings, migrations and storage details, on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import inspect, select, text

from service.auth.keys import authenticate, create_key, hash_key
from service.auth.roles import Role
from service.core.config import Settings
from service.db.engine import Database
from service.db.migrate import upgrade
from service.db.models import ApiKeyRow


def test_settings_from_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("TECHMATCH_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("TECHMATCH_MODEL", "hashing")
    monkeypatch.setenv("TECHMATCH_ADMIN_KEY", "secret")
    settings = Settings()
    assert settings.data_dir == tmp_path
    assert settings.sqlalchemy_url == f"sqlite:///{tmp_path.resolve() / 'techmatch.db'}"
    assert settings.index_dir == tmp_path / "index"
    assert settings.model_cache_dir == tmp_path / "models"
    assert settings.admin_key is not None and settings.admin_key.get_secret_value() == "secret"
    assert "secret" not in repr(settings)
    monkeypatch.setenv("TECHMATCH_DATABASE_URL", "postgresql+psycopg://u@h/db")
    monkeypatch.setenv("TECHMATCH_MODEL_CACHE", str(tmp_path / "cache"))
    settings = Settings()
    assert settings.sqlalchemy_url == "postgresql+psycopg://u@h/db"
    assert settings.model_cache_dir == tmp_path / "cache"


def test_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("DATA_DIR", "DATABASE_URL", "MODEL", "ADMIN_KEY", "MODEL_CACHE"):
        monkeypatch.delenv(f"TECHMATCH_{name}", raising=False)
    settings = Settings()
    assert settings.data_dir == Path("./techmatch-data")
    assert settings.model == "multilingual-e5-small"
    assert settings.admin_key is None and settings.database_url is None


def test_migrations_create_the_schema_and_are_idempotent(backend_url: str) -> None:
    database = Database(backend_url)
    try:
        upgrade(database)
        upgrade(database)  # a second start changes nothing
        tables = set(inspect(database.engine).get_table_names())
        assert {"postings", "api_keys", "alembic_version"} <= tables
        assert {"pair_reviews", "pair_review_log", "pair_interest"} <= tables
        assert {"sessions", "session_participants", "session_meetings"} <= tables
        assert "web_sessions" in tables
        assert {"session_publications", "session_emails"} <= tables
        with database.session() as session:
            assert session.scalar(text("SELECT version_num FROM alembic_version")) == "0009"
    finally:
        database.dispose()


def test_sqlite_runs_in_wal_mode(tmp_path: Path) -> None:
    database = Database(f"sqlite:///{tmp_path / 'x.db'}")
    try:
        with database.session() as session:
            assert session.scalar(text("PRAGMA journal_mode")) == "wal"
            assert session.scalar(text("PRAGMA busy_timeout")) == 30000
    finally:
        database.dispose()


def test_keys_are_hashed_and_revocable(backend_url: str) -> None:
    database = Database(backend_url)
    try:
        upgrade(database)
        with database.session(write=True) as session:
            new = create_key(session, Role.company, "Org A", "test")
        with database.session() as session:
            row = session.scalar(select(ApiKeyRow))
            assert row is not None
            assert row.key_hash == hash_key(new.secret) and new.secret not in row.key_hash
            assert new.secret.startswith(row.prefix)
            principal = authenticate(session, new.secret, None)
            assert principal is not None and principal.organization == "Org A"
            assert authenticate(session, new.secret + "x", None) is None
            assert authenticate(session, "admin-secret", "admin-secret") is not None
            assert authenticate(session, "", "") is None
    finally:
        database.dispose()


def test_alembic_ini_points_at_the_migrations() -> None:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    root = Path(__file__).resolve().parents[2]
    script = ScriptDirectory.from_config(Config(str(root / "alembic.ini")))
    assert script.get_current_head() == "0009"
