"""The dashboard in real headless Chromium: a moderator signs in, opens ``/dashboard``
from the navigation, sees the five charts (nothing blocked by the page's CSP, nothing
loaded from outside), opens a data table, switches session and language; on a laptop
and on a phone. Screenshots go to ``test-artifacts/``."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient

from service.main import create_app
from tests.service.servers import ThreadServer
from tests.web.conftest import make_keys, seed, web_settings
from tests.web.test_dashboard import play_day

CHROMIUM = Path(os.environ.get("TECHMATCH_CHROMIUM", "/usr/bin/chromium"))
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CHROME_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]

pytestmark = pytest.mark.browser

if not CHROMIUM.exists() and not os.environ.get("TECHMATCH_REQUIRE_BROWSER"):
    pytest.skip(f"headless Chromium not found at {CHROMIUM}", allow_module_level=True)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory, web_model: Any) -> Iterator[dict[str, Any]]:
    """uvicorn over a seeded app with one played session day."""
    app = create_app(web_settings(tmp_path_factory.mktemp("dash-browser")), model=web_model)
    with TestClient(app):
        seed(app.state.postings, needs=25, offers=30)
        keys = make_keys(app.state.database)
        day = play_day(app)
        with ThreadServer(app) as server:
            yield {"base": server.base, "keys": keys, "day": day}


@pytest.fixture
def page(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """A tab that fails the test on console errors or requests leaving 127.0.0.1."""
    from playwright.sync_api import Route, sync_playwright

    outside: list[str] = []
    errors: list[str] = []

    def only_local(route: Route) -> None:
        if urlsplit(route.request.url).hostname == "127.0.0.1":
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path_factory.mktemp("chromium-dash")),
            executable_path=str(CHROMIUM),
            headless=True,
            args=CHROME_ARGS,
            viewport={"width": 1280, "height": 800},
        )
        try:
            context.route("**/*", only_local)
            tab = context.new_page()
            tab.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            tab.on("pageerror", lambda e: errors.append(str(e)))
            yield tab
        finally:
            context.close()
    assert errors == [], errors  # a CSP violation is reported here
    assert outside == []


def test_moderator_reads_the_dashboard(page: Any, site: dict[str, Any]) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.goto(f"{site['base']}/?lang=vi")
    page.fill("#api_key", site["keys"]["moderator"])
    page.press("#api_key", "Enter")
    page.wait_for_load_state()
    page.click("nav a[href='/dashboard']")
    page.wait_for_load_state()
    assert page.inner_text("h1") == "Bảng điều khiển của ban tổ chức"
    for chart in ("sectors", "scores", "review", "funnel", "fairness"):
        svg = page.locator(f"svg#chart-{chart}")
        assert svg.is_visible(), chart
        box = svg.bounding_box()
        assert box and box["width"] > 300 and box["height"] > 60, chart
    # the bars really are drawn with their colours (not blocked by the CSP)
    fill = page.eval_on_selector("#chart-sectors rect.segment", "el => getComputedStyle(el).fill")
    assert fill.startswith("rgb(") and fill != "rgb(0, 0, 0)"
    held = page.locator("#chart-funnel g.stage[data-value]").nth(3).get_attribute("data-value")
    assert held == "2"
    page.screenshot(path=str(ARTIFACTS / "dashboard-vi.png"), full_page=True)

    # a data table opens under its chart
    funnel = page.locator("#funnel details")
    assert not funnel.locator("table").is_visible()
    funnel.locator("summary").click()
    assert funnel.locator("td[data-stage='scheduled']").inner_text() == "4"

    page.click("a[lang=en]")
    page.wait_for_load_state()
    assert page.inner_text("h1") == "Organisers' dashboard"
    assert page.locator("#chart-review > title").text_content() == "Review progress"
    page.screenshot(path=str(ARTIFACTS / "dashboard-en.png"), full_page=True)

    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390  # no sideways scrolling on a phone
    box = page.locator("svg#chart-funnel").bounding_box()
    assert box and box["width"] <= 390
    page.screenshot(path=str(ARTIFACTS / "dashboard-phone-en.png"), full_page=True)
    page.goto(f"{site['base']}/dashboard?lang=vi")
    page.screenshot(path=str(ARTIFACTS / "dashboard-phone-vi.png"), full_page=True)
