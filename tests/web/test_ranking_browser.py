"""The ranking page in real headless Chromium: a moderator opens it from the navigation,
asks to learn with no decisions (refused with the numbers), then — once the moderators'
decisions favour offers the built-in fusion ranks lower — learns (switched on, figures and
weights shown), reads it in English and on a phone, and goes back to the built-in ranking.
Screenshots go to ``test-artifacts/``."""

# ruff: noqa: F811 - the fixtures of test_browser.py are imported, then used as arguments

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from service.main import create_app
from tests.service.conftest import Api
from tests.service.servers import ThreadServer
from tests.service.test_ranking_api import build_world, text_against_half, trl_signal
from tests.web.conftest import make_keys, web_settings
from tests.web.test_browser import (  # noqa: F401 - fixtures and the browser mark
    ARTIFACTS,
    Site,
    browser_context,
    page,
    pytestmark,
    sign_in,
)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory, web_model: Any) -> Iterator[Site]:
    """uvicorn over an empty app; ``site.api`` posts and decides through its API."""
    app = create_app(web_settings(tmp_path_factory.mktemp("ranking-browser")), model=web_model)
    with TestClient(app) as client:
        keys = make_keys(app.state.database)
        with ThreadServer(app) as server:
            served = Site(server.base, keys, app)
            served.api = Api(client, keys, "sqlite")  # type: ignore[attr-defined]
            yield served


def test_moderator_learns_the_ranking_in_the_browser(page: Any, site: Site) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.goto(f"{site.base}/?lang=vi")
    sign_in(page, site, "moderator")
    page.click("nav a[href='/ranking']")
    page.wait_for_load_state()
    assert page.inner_text("h1") == "Cách xếp hạng các cặp"
    assert page.get_attribute("#rank-in-use", "data-active") == "builtin"
    page.click("#rank-learn")
    page.wait_for_load_state()
    error = page.inner_text("#rank-error")
    assert "0 quyết định" in error and "30" in error and "10 nhu cầu" in error

    world = build_world(site.api, text_against_half, trl_signal)  # type: ignore[attr-defined]
    assert len(world["accepted"]) == 48
    page.goto(f"{site.base}/ranking?lang=vi")
    assert "48 quyết định dùng được (24 chấp nhận, 24 từ chối) trên 12 nhu cầu" in page.inner_text(
        "#rank-counts"
    )
    page.click("#rank-learn")
    page.wait_for_load_state()
    assert "Đã bật cách xếp hạng học được" in page.inner_text(".flash")
    assert page.get_attribute("#rank-in-use", "data-active") == "learned"
    assert page.get_attribute("#rank-attempt", "data-switched") == "true"
    before, learned = (
        float(page.inner_text(f"#rank-figures tbody tr:first-child td:nth-child({i})"))
        for i in (2, 3)
    )
    assert learned > before
    page.locator("#rank-active details summary").click()
    assert page.locator("#rank-active details table").is_visible()
    page.screenshot(path=str(ARTIFACTS / "ranking-vi.png"), full_page=True)

    page.click("a[lang=en]")
    page.wait_for_load_state()
    assert page.inner_text("h1") == "How pairs are ranked"
    assert "Learned from 48 decisions on 12 needs" in page.inner_text("#rank-in-use")
    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # no sideways scroll
    page.screenshot(path=str(ARTIFACTS / "ranking-phone-en.png"), full_page=True)

    page.click("#rank-reset")
    page.wait_for_load_state()
    assert "Back to the built-in combination." in page.inner_text(".flash")
    assert page.get_attribute("#rank-in-use", "data-active") == "builtin"
    rows = page.locator("#rank-history tbody tr")
    assert rows.count() == 2 and "reset" in rows.nth(0).inner_text()
    page.set_viewport_size({"width": 1280, "height": 900})
