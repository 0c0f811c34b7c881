"""Fixtures for the web pages: an app on SQLite with the hashing model, seeded postings,
and a moderator key and a company key."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from service.auth.keys import create_key
from service.auth.roles import Principal, Role
from service.core.config import Settings
from service.db.engine import Database
from service.main import create_app
from service.postings import PostingService
from service.seed import read_demo

ORGANISERS = "Ban tổ chức Techfest"
COMPANY = "Công ty Thủy sản Đồ Sơn"
INSTITUTE = "Viện Nghiên cứu Hải sản"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def web_settings(directory: Path, **overrides: Any) -> Settings:
    """SQLite in ``directory``, the hashing model, quick index saves."""
    values: dict[str, Any] = {
        "data_dir": directory,
        "model": "hashing",
        "index_save_delay": 0.2,
    }
    values.update(overrides)
    return Settings(**values)


def seed(postings: PostingService, needs: int = 25, offers: int = 30) -> None:
    """Store the first demo needs and offers (owned by their demo organizations)."""
    staff = Principal(role=Role.admin, organization=ORGANISERS)
    for kind, count in (("need", needs), ("offer", offers)):
        for data in read_demo(kind)[:count]:
            postings.create(staff, kind, data)


def make_keys(database: Database) -> dict[str, str]:
    """who → a fresh API key."""
    owners = {
        "moderator": (Role.moderator, ORGANISERS),
        "company": (Role.company, COMPANY),
        "company_b": (Role.company, "Công ty khác"),
        "institute": (Role.institute, INSTITUTE),
    }
    keys = {}
    with database.session(write=True) as session:
        for who, (role, org) in owners.items():
            keys[who] = create_key(session, role, org, name=who).secret
    return keys


@pytest.fixture(scope="session")
def web_model() -> Any:
    """The fast test embedder."""
    from models import load_model

    return load_model("hashing", None)


class Web:
    """A TestClient with the seeded app's keys and sign-in helpers."""

    def __init__(self, client: TestClient, keys: dict[str, str]) -> None:
        self.client = client
        self.keys = keys

    @property
    def app(self) -> Any:
        return self.client.app

    def csrf(self, path: str = "/") -> str:
        """The CSRF token on the page at ``path``."""
        found = CSRF.search(self.client.get(path).text)
        assert found, f"no CSRF token on {path}"
        return found.group(1)

    def sign_in(self, who: str) -> Any:
        """Sign in with ``who``'s key; the response of the sign-in POST."""
        self.client.cookies.clear()
        token = self.csrf("/")
        return self.client.post(
            "/signin",
            data={"csrf_token": token, "api_key": self.keys[who]},
            follow_redirects=False,
        )


@pytest.fixture(scope="module")
def web(tmp_path_factory: pytest.TempPathFactory, web_model: Any) -> Iterator[Web]:
    """A seeded app (one per module)."""
    app = create_app(web_settings(tmp_path_factory.mktemp("web")), model=web_model)
    with TestClient(app) as client:
        seed(app.state.postings, needs=12, offers=15)
        yield Web(client, make_keys(app.state.database))
