"""Fixtures for the service tests: the real app on SQLite and on PostgreSQL.

PostgreSQL comes from ``TECHMATCH_TEST_POSTGRES_URL`` (default
``postgresql+psycopg://postgres@127.0.0.1:5432/test``); every app gets its own schema,
dropped afterwards, so parallel or repeated runs never collide. PostgreSQL tests are
skipped, with the reason, only when the server cannot be reached.
"""

from __future__ import annotations

import itertools
import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from service.auth.keys import create_key, revoke_key
from service.auth.roles import Role
from service.core.config import Settings
from service.main import create_app

PG_URL = os.environ.get(
    "TECHMATCH_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
ADMIN_KEY = "test-admin-key-0123456789"
BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]

#: who → (role, organization) of the keys every test app gets.
KEY_OWNERS: dict[str, tuple[Role, str]] = {
    "company": (Role.company, "Org A"),
    "company_b": (Role.company, "Org B"),
    "institute": (Role.institute, "Inst A"),
    "institute_b": (Role.institute, "Inst B"),
    "moderator": (Role.moderator, "Fair"),
    "admin": (Role.admin, "Fair"),
    "revoked": (Role.company, "Org A"),
}

_counter = itertools.count(1)


def unique(prefix: str = "t") -> str:
    """A short string no other test uses."""
    return f"{prefix}{next(_counter)}-{uuid.uuid4().hex[:6]}"


def posting(**overrides: Any) -> dict[str, Any]:
    """A valid create payload with a unique title."""
    data: dict[str, Any] = {
        "title": f"Water quality sensors for shrimp ponds {unique()}",
        "description": "We need dissolved oxygen and pH sensors with alerts for 40 ponds.",
        "sector": "aquaculture_fisheries",
        "keywords": ["sensor", "aquaculture"],
        "trl": 6,
    }
    data.update(overrides)
    return data


@pytest.fixture(scope="session")
def postgres_base_url() -> str:
    """The PostgreSQL URL for tests; skips when the server cannot be reached."""
    engine = create_engine(PG_URL, connect_args={"connect_timeout": 3})
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:  # any failure to connect means "no PostgreSQL here"
        reason = f"PostgreSQL not reachable at {PG_URL}: {type(exc).__name__}: {exc}"
        if os.environ.get("TECHMATCH_REQUIRE_POSTGRES") == "1":  # CI: fail, don't skip
            pytest.fail(reason)
        pytest.skip(reason)
    finally:
        engine.dispose()
    return PG_URL


class PostgresSchema:
    """A throw-away schema; ``url`` puts it first on the search path."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.name = f"tm_test_{os.getpid()}_{uuid.uuid4().hex[:10]}"
        self._engine = create_engine(base_url)
        with self._engine.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{self.name}"'))
        url = make_url(base_url).update_query_dict({"options": f"-csearch_path={self.name}"})
        self.url = url.render_as_string(hide_password=False)

    def drop(self) -> None:
        """Drop the schema and everything in it."""
        with self._engine.begin() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{self.name}" CASCADE'))
        self._engine.dispose()


@pytest.fixture(scope="session")
def hashing_model() -> Any:
    """The fast test embedder, shared by every app in the session."""
    from models import load_model

    return load_model("hashing", None)


def database_url_for(backend: str, directory: Path, request: pytest.FixtureRequest) -> str:
    """A fresh database of ``backend``, removed when ``request``'s scope ends."""
    if backend == "sqlite":
        return f"sqlite:///{directory / 'techmatch.db'}"
    schema = PostgresSchema(request.getfixturevalue("postgres_base_url"))
    request.addfinalizer(schema.drop)
    return schema.url


def make_settings(directory: Path, database_url: str | None, **overrides: Any) -> Settings:
    """Test settings: hashing model, a known admin key, quick index saves."""
    values: dict[str, Any] = {
        "data_dir": directory,
        "database_url": database_url,
        "model": "hashing",
        "admin_key": ADMIN_KEY,
        "index_save_delay": 0.2,
    }
    values.update(overrides)
    return Settings(**values)


def add_keys(client: TestClient) -> dict[str, str]:
    """Create the keys of :data:`KEY_OWNERS` in the app's database; who → key."""
    database = client.app.state.database  # type: ignore[attr-defined]
    keys = {"env_admin": ADMIN_KEY}
    with database.session(write=True) as session:
        for who, (role, org) in KEY_OWNERS.items():
            new = create_key(session, role, org, name=who)
            keys[who] = new.secret
            if who == "revoked":
                revoke_key(session, new.row.id)
    return keys


class Api:
    """A TestClient plus the test keys, with short helpers."""

    def __init__(self, client: TestClient, keys: dict[str, str], backend: str) -> None:
        self.client = client
        self.keys = keys
        self.backend = backend

    @property
    def app(self) -> Any:
        """The FastAPI app."""
        return self.client.app

    def headers(self, who: str | None) -> dict[str, str]:
        """The Authorization header of ``who`` (none for ``None``)."""
        return {"Authorization": f"Bearer {self.keys[who]}"} if who else {}

    def request(self, method: str, path: str, who: str | None = "admin", **kwargs: Any) -> Any:
        """Send a request to ``/api/v1{path}`` as ``who``."""
        headers = {**self.headers(who), **kwargs.pop("headers", {})}
        return self.client.request(method, f"/api/v1{path}", headers=headers, **kwargs)

    def get(self, path: str, who: str | None = "admin", **kwargs: Any) -> Any:
        return self.request("GET", path, who, **kwargs)

    def post(self, path: str, who: str | None = "admin", **kwargs: Any) -> Any:
        return self.request("POST", path, who, **kwargs)

    def patch(self, path: str, who: str | None = "admin", **kwargs: Any) -> Any:
        return self.request("PATCH", path, who, **kwargs)

    def delete(self, path: str, who: str | None = "admin", **kwargs: Any) -> Any:
        return self.request("DELETE", path, who, **kwargs)

    def create(self, kind: str, who: str | None = None, **fields: Any) -> dict[str, Any]:
        """Create a posting (as its natural author by default) and return it."""
        who = who or ("company" if kind == "need" else "institute")
        response = self.post(f"/{kind}s", who, json=posting(**fields))
        assert response.status_code == 201, response.text
        result: dict[str, Any] = response.json()
        return result

    def indexed(self) -> set[int]:
        """Ids in the match index."""
        ids: set[int] = self.app.state.matcher.indexed_ids()
        return ids


def _start(
    backend: str, directory: Path, request: pytest.FixtureRequest, model: Any, **overrides: Any
) -> Iterator[Api]:
    url = database_url_for(backend, directory, request)
    app = create_app(make_settings(directory, url, **overrides), model=model)
    with TestClient(app) as client:
        yield Api(client, add_keys(client), backend)


@pytest.fixture(scope="module", params=BACKENDS)
def api(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, hashing_model: Any
) -> Iterator[Api]:
    """One app per test module and backend (tests must not rely on an empty database)."""
    yield from _start(request.param, tmp_path_factory.mktemp("api"), request, hashing_model)


@pytest.fixture(params=BACKENDS)
def fresh_api(request: pytest.FixtureRequest, tmp_path: Path, hashing_model: Any) -> Iterator[Api]:
    """A new, empty app for this test only."""
    yield from _start(request.param, tmp_path, request, hashing_model)


@pytest.fixture(params=BACKENDS)
def backend_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, empty database URL of each backend (no app)."""
    return database_url_for(request.param, tmp_path, request)
