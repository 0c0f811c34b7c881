"""Issue 13, exposure: another organization's unavailable slots are hidden, anonymous
``/health`` shows no absolute path, the SQLite file and folder are private, and the
printable agenda sends the pages' security headers."""

from __future__ import annotations

import base64
import hashlib
import re
import stat
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from service.api.headers import SECURITY_HEADERS, headers_for_html
from service.main import create_app
from service.web.pages import SECURITY_HEADERS as PAGE_HEADERS
from tests.service.conftest import Api, make_settings
from tests.service.test_sessions import make_posting, make_session, register


def test_other_organizations_unavailable_slots_are_hidden(api: Api) -> None:
    sid = make_session(api)["id"]
    need_a = make_posting(api, "need", 0, "Org A")
    need_b = make_posting(api, "need", 1, "Org B")
    assert register(api, sid, need_a, "company", slots=[0]).status_code == 201
    assert register(api, sid, need_b, "company_b", slots=[1, 2]).status_code == 201

    def slots(who: str) -> dict[int, Any]:
        r = api.get(f"/sessions/{sid}/participants", who)
        assert r.status_code == 200, r.text
        return {p["posting_id"]: p["unavailable_slots"] for p in r.json()["items"]}

    assert slots("company") == {need_a: [0], need_b: None}
    assert slots("company_b") == {need_a: None, need_b: [1, 2]}
    assert slots("institute") == {need_a: None, need_b: None}
    assert slots("moderator") == {need_a: [0], need_b: [1, 2]}
    assert slots("admin") == {need_a: [0], need_b: [1, 2]}


def test_health_hides_paths_unless_staff(api: Api) -> None:
    for headers in ({}, api.headers("company"), {"Authorization": "Bearer tm_nonsense"}):
        r = api.client.get("/health", headers=headers)
        assert r.status_code == 200
        assert "directory" not in r.json()["index"]
        assert str(api.app.state.settings.data_dir.resolve()) not in r.text
    staff = api.client.get("/health", headers=api.headers("moderator")).json()
    assert staff["index"]["directory"]


def test_the_sqlite_file_and_folder_are_private(tmp_path: Path, hashing_model: Any) -> None:
    data_dir = tmp_path / "new" / "data"
    app = create_app(make_settings(data_dir, None), model=hashing_model)
    with TestClient(app) as client:
        assert client.get("/health").status_code == 200
    assert stat.S_IMODE(data_dir.stat().st_mode) == 0o700
    assert stat.S_IMODE((data_dir / "techmatch.db").stat().st_mode) == 0o600
    for extra in ("techmatch.db-wal", "techmatch.db-shm"):
        if (data_dir / extra).exists():
            assert stat.S_IMODE((data_dir / extra).stat().st_mode) & 0o077 == 0


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_agenda_page_sends_the_security_headers(api: Api, lang: str) -> None:
    sid = make_session(api)["id"]
    r = api.client.get(
        f"/sessions/{sid}/agenda.html", params={"lang": lang}, headers=api.headers("moderator")
    )
    assert r.status_code == 200, r.text
    assert SECURITY_HEADERS is PAGE_HEADERS
    for name, value in SECURITY_HEADERS.items():
        if name != "Content-Security-Policy":
            assert r.headers[name] == value
    csp = r.headers["Content-Security-Policy"]
    style = re.search(r"<style>(.*?)</style>", r.text, re.S)
    assert style is not None
    digest = base64.b64encode(hashlib.sha256(style.group(1).encode()).digest()).decode()
    # the pages' policy, with only this page's own inline style allowed by its hash
    assert csp == SECURITY_HEADERS["Content-Security-Policy"].replace(
        "style-src 'self'", f"style-src 'self' 'sha256-{digest}'"
    )
    assert "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
    assert "<script" not in r.text


def test_page_headers_without_inline_style() -> None:
    assert headers_for_html("<p>x</p>") == SECURITY_HEADERS
