"""The ranking page ``/ranking`` through TestClient: who may open it, too few decisions
(the numbers in the page's language), a world where learning helps (switched on, its
figures and weights shown, the matches follow), a reset, and the CSRF check.

The world is the one of ``tests/service/test_ranking_api.py``: 12 needs, each with two
offers that repeat its words and two that share one word; on odd topics the moderator
accepts the far ones (which reach the need's TRL), so a learned ranking beats the fusion.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from service.main import create_app
from tests.service.conftest import Api
from tests.service.test_ranking_api import (
    build_world,
    same_trl,
    text_against_half,
    top_two,
    trl_signal,
)
from tests.web.conftest import Web, make_keys, web_settings


@pytest.fixture
def site(tmp_path: Path, web_model: Any) -> Iterator[tuple[Web, Api]]:
    """A fresh, empty app: its pages (signed in with a cookie) and its API (keys)."""
    app = create_app(web_settings(tmp_path), model=web_model)
    with TestClient(app) as client:
        keys = make_keys(app.state.database)
        yield Web(client, keys), Api(client, keys, "sqlite")


def form_post(web: Web, path: str, lang: str = "vi") -> Any:
    """POST the page's form at ``path`` (with the CSRF token of ``/ranking``)."""
    token = web.csrf(f"/ranking?lang={lang}")
    return web.client.post(
        f"{path}?lang={lang}", data={"csrf_token": token}, follow_redirects=False
    )


def in_use(html: str) -> str:
    found = re.search(r'id="rank-in-use" data-active="(\w+)"', html)
    assert found, html
    return found.group(1)


def test_only_staff_open_the_ranking_page(site: tuple[Web, Api]) -> None:
    web, _ = site
    web.client.cookies.clear()
    anonymous = web.client.get("/ranking", follow_redirects=False)
    assert anonymous.status_code == 303 and "next=%2Franking" in anonymous.headers["location"]
    web.sign_in("company")
    assert web.client.get("/ranking").status_code == 403
    assert form_post(web, "/ranking/learn").status_code == 403
    web.sign_in("moderator")
    page = web.client.get("/ranking?lang=en")
    assert page.status_code == 200
    assert in_use(page.text) == "builtin" and "No attempt or reset yet." in page.text
    assert 'href="/ranking"' in page.text  # in the navigation


def test_too_few_decisions_says_the_numbers_and_stores_nothing(site: tuple[Web, Api]) -> None:
    web, api = site
    build_world(api, text_against_half, trl_signal, topics=7)  # 28 decisions < 30
    web.sign_in("moderator")
    page = web.client.get("/ranking?lang=vi")
    assert "28 quyết định dùng được (14 chấp nhận, 14 từ chối) trên 7 nhu cầu" in page.text
    refused = form_post(web, "/ranking/learn", "vi")
    assert refused.status_code == 409
    error = re.search(r'id="rank-error">([^<]+)<', refused.text)
    assert error and "28 quyết định" in error.group(1) and "30" in error.group(1)
    english = form_post(web, "/ranking/learn", "en")
    assert english.status_code == 409 and "too few decisions" in english.text
    assert api.get("/ranking", "moderator").json()["history"] == []


def test_learning_switches_on_shows_why_and_resets(site: tuple[Web, Api]) -> None:
    web, api = site
    world = build_world(api, text_against_half, trl_signal)
    wrong = [n for i, n in enumerate(world["needs"]) if i % 2 == 1]
    web.sign_in("moderator")
    learned = form_post(web, "/ranking/learn", "vi")
    assert learned.status_code == 303
    location = learned.headers["location"]
    version = api.get("/ranking", "moderator").json()["version"]
    assert location == f"/ranking?attempt={version}"
    page = web.client.get(location + "&lang=vi").text
    assert "Đã bật cách xếp hạng học được" in page  # the flash
    assert in_use(page) == "learned"
    assert f"Học từ 48 quyết định trên 12 nhu cầu (phiên bản {version}" in page
    assert 'data-switched="true"' in page and "đã bật" in page  # the Vietnamese reason
    figures = api.get("/ranking", "moderator").json()["history"][0]["figures"]
    assert f"{figures['learned']['ndcg_at_10']:.3f}" in page
    assert "<code>trl</code>" in page  # the weights
    for need in wrong:  # the pages' learning is the service's: the matches follow it
        assert all(world["accepted"][(need, o)] for o in top_two(api, need))
    english = web.client.get(location + "&lang=en").text
    assert "better on held-out decisions by the documented margin" in english
    reset = form_post(web, "/ranking/reset", "en")
    assert reset.status_code == 303 and reset.headers["location"] == "/ranking"
    after = web.client.get("/ranking?lang=en").text
    assert "Back to the built-in combination." in after
    assert in_use(after) == "builtin" and "since" in after
    status = api.get("/ranking", "moderator").json()
    assert status["active"] == "builtin"
    assert [r["action"] for r in status["history"]] == ["reset", "learn"]


def test_not_switched_says_why_in_the_pages_language(site: tuple[Web, Api]) -> None:
    """The moderator accepts exactly what the built-in fusion ranks first: nothing to
    gain, so the attempt is stored, not switched on, and the page says why."""
    web, api = site
    build_world(api, lambda _i, _j, close: close, same_trl)
    web.sign_in("moderator")
    attempt = form_post(web, "/ranking/learn", "vi")
    assert attempt.status_code == 303
    page = web.client.get(attempt.headers["location"] + "&lang=vi").text
    stored = api.get("/ranking", "moderator").json()
    assert stored["active"] == "builtin" and stored["history"][0]["activated"] is False
    version = stored["history"][0]["version"]
    assert f"Chưa bật cách học được (lần thử {version}):" in page  # the flash
    assert 'data-switched="false"' in page and in_use(page) == "builtin"
    code = stored["history"][0]["figures"]["reason_code"]
    vietnamese = {"gain_too_small": "thấp hơn mức cần", "gain_not_reliable": "chưa chắc chắn"}
    assert code in vietnamese and vietnamese[code] in page, code
    english = web.client.get(attempt.headers["location"] + "&lang=en").text
    assert stored["history"][0]["reason"] in english


def test_forms_need_the_csrf_token(site: tuple[Web, Api]) -> None:
    web, api = site
    web.sign_in("moderator")
    for path in ("/ranking/learn", "/ranking/reset"):
        assert web.client.post(path, data={}, follow_redirects=False).status_code == 403
    assert api.get("/ranking", "moderator").json()["history"] == []
