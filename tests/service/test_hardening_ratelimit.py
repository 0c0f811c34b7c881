"""Issue 13, rate limits: failed authentications per client address and per key prefix
are limited (429 with Retry-After) for API keys and the web sign-in; successful requests
never count."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from service.auth.ratelimit import AuthFailureLimiter
from service.core.config import Settings
from service.main import create_app
from tests.service.conftest import ADMIN_KEY, make_settings

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture
def app(tmp_path: Path, hashing_model: Any) -> Iterator[Any]:
    settings = make_settings(
        tmp_path,
        None,
        auth_failures_per_address="6/minute",
        auth_failures_per_key_prefix="3/minute",
    )
    application = create_app(settings, model=hashing_model)
    with TestClient(application):
        yield application


def client(app: Any, address: str) -> TestClient:
    return TestClient(app, client=(address, 40000))


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def test_per_key_prefix(app: Any) -> None:
    statuses = []
    for n in range(5):  # same first 10 characters, from different addresses
        r = client(app, f"10.0.0.{n}").get("/api/v1/needs", headers=bearer(f"tm_AAAAAAA{n}zzzz"))
        statuses.append(r.status_code)
    assert statuses == [401, 401, 401, 429, 429]
    r = client(app, "10.0.0.9").get("/api/v1/needs", headers=bearer("tm_AAAAAAAxyz"))
    assert r.status_code == 429
    assert 1 <= int(r.headers["Retry-After"]) <= 60
    assert r.json()["detail"][0]["type"] == "too_many_requests"
    other = client(app, "10.0.0.9").get("/api/v1/needs", headers=bearer("tm_BBBBBBBxyz"))
    assert other.status_code == 401


def test_per_client_address(app: Any) -> None:
    c = client(app, "192.0.2.7")
    statuses = [
        c.get("/api/v1/needs", headers=bearer(f"tm_{n:07d}-bad")).status_code for n in range(8)
    ]
    assert statuses == [401] * 6 + [429] * 2
    # blocked before the key is checked, even a good one; other addresses are not
    assert c.get("/api/v1/needs", headers=bearer(ADMIN_KEY)).status_code == 429
    assert (
        client(app, "192.0.2.8").get("/api/v1/needs", headers=bearer(ADMIN_KEY)).status_code == 200
    )


def test_successes_never_count(app: Any) -> None:
    c = client(app, "198.51.100.1")
    for _ in range(30):
        assert c.get("/api/v1/needs", headers=bearer(ADMIN_KEY)).status_code == 200
    assert c.get("/api/v1/needs").status_code == 401  # no key at all is not a failed key
    assert c.get("/api/v1/needs", headers=bearer(ADMIN_KEY)).status_code == 200


def sign_in(c: TestClient, key: str) -> Any:
    c.cookies.clear()
    found = CSRF.search(c.get("/?lang=vi").text)
    assert found
    return c.post(
        "/signin?lang=vi",
        data={"csrf_token": found.group(1), "api_key": key},
        follow_redirects=False,
    )


def test_web_sign_in_is_limited_too(app: Any) -> None:
    c = client(app, "203.0.113.5")
    statuses = [sign_in(c, f"{n:03d}-wrong-key").status_code for n in range(6)]
    assert statuses == [401] * 6
    r = sign_in(c, "xyz-wrong-key")
    assert r.status_code == 429 and int(r.headers["Retry-After"]) >= 1
    assert "Nhập sai quá nhiều lần" in r.text
    # API keys from the same address share the address's count
    assert c.get("/api/v1/needs", headers=bearer("tm_Qwerty12345")).status_code == 429
    assert sign_in(client(app, "203.0.113.6"), ADMIN_KEY).status_code == 303


def test_default_limits_are_generous_and_valid() -> None:
    settings = Settings()
    limiter = AuthFailureLimiter(
        settings.auth_failures_per_address, settings.auth_failures_per_key_prefix
    )
    assert limiter.per_address is not None and limiter.per_address.amount >= 100
    assert limiter.per_prefix is not None and limiter.per_prefix.amount >= 30
    off = AuthFailureLimiter("off", "")
    for _ in range(500):
        off.failed("x", "tm_key")
    off.check("x", "tm_key")
