"""End-to-end tests in real headless Chromium (Playwright for Python, system browser).

A uvicorn server on 127.0.0.1 (random port, hashing model, SQLite in a temporary folder)
is seeded with 25 needs and 30 offers. Screenshots go to ``test-artifacts/``.
Skipped only when /usr/bin/chromium is missing and TECHMATCH_REQUIRE_BROWSER is unset.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from service.main import create_app
from service.reviews import ReviewService
from tests.service.servers import ThreadServer
from tests.web.conftest import make_keys, seed, web_settings

CHROMIUM = Path(os.environ.get("TECHMATCH_CHROMIUM", "/usr/bin/chromium"))
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CHROME_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

pytestmark = pytest.mark.browser

if not CHROMIUM.exists() and not os.environ.get("TECHMATCH_REQUIRE_BROWSER"):
    pytest.skip(
        f"headless Chromium not found at {CHROMIUM} (apt-get install chromium; "
        "set TECHMATCH_REQUIRE_BROWSER=1 to make this a failure)",
        allow_module_level=True,
    )


class Site:
    """The running server and its keys."""

    def __init__(self, base: str, keys: dict[str, str], app: Any) -> None:
        self.base = base
        self.keys = keys
        self.app = app


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory, web_model: Any) -> Iterator[Site]:
    """uvicorn on a free port over a seeded app."""
    app = create_app(web_settings(tmp_path_factory.mktemp("browser")), model=web_model)
    with TestClient(app):
        seed(app.state.postings, needs=25, offers=30)
        keys = make_keys(app.state.database)
        with ThreadServer(app) as server:
            yield Site(server.base, keys, app)


@pytest.fixture(scope="module")
def browser_context(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """A fresh headless Chromium profile."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path_factory.mktemp("chromium-profile")),
            executable_path=str(CHROMIUM),
            headless=True,
            args=CHROME_ARGS,
            viewport={"width": 1280, "height": 900},
            locale="vi-VN",
        )
        try:
            yield context
        finally:
            context.close()


@pytest.fixture
def page(browser_context: Any) -> Iterator[Any]:
    """A new tab with no cookies; dialogs are recorded (and dismissed)."""
    browser_context.clear_cookies()
    tab = browser_context.new_page()
    tab.dialogs = []  # type: ignore[attr-defined]

    def on_dialog(dialog: Any) -> None:
        tab.dialogs.append(dialog.message)  # type: ignore[attr-defined]
        dialog.dismiss()

    tab.on("dialog", on_dialog)
    errors: list[str] = []
    tab.on(
        "console", lambda message: errors.append(message.text) if message.type == "error" else None
    )
    tab.on("pageerror", lambda error: errors.append(str(error)))
    yield tab
    tab.close()
    # a form shown with its errors (422), or refused with the numbers (409: too few
    # decisions to learn a ranking) is a page, not an error of the page
    unexpected = [e for e in errors if "status of 422" not in e and "status of 409" not in e]
    assert unexpected == [], f"errors in the browser console: {unexpected}"


def sign_in(page: Any, site: Site, who: str) -> None:
    page.goto(f"{site.base}/")
    page.fill("#api_key", site.keys[who])
    page.press("#api_key", "Enter")
    page.wait_for_load_state()


def counts(page: Any) -> dict[str, int]:
    return {
        name: int(page.inner_text(f'[data-count="{name}"]'))
        for name in ("unreviewed", "accepted", "rejected", "maybe")
    }


def test_moderator_filters_accepts_and_rejects_by_keyboard(page: Any, site: Site) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    sign_in(page, site, "moderator")
    assert page.url.endswith("/review")
    before = counts(page)
    assert before["unreviewed"] > 5

    page.select_option("#f-sector", "aquaculture_fisheries")
    page.click("form.filters button[type=submit]")
    page.wait_for_load_state()
    assert "sector=aquaculture_fisheries" in page.url
    first = page.get_attribute("li.pair.current", "data-pair")
    assert first
    page.screenshot(path=str(ARTIFACTS / "moderator-queue.png"))

    # accept the current pair with the keyboard (decided in place, then reload the queue)
    page.locator("body").press("a")
    page.wait_for_selector(f'li.pair[data-pair="{first}"][data-status="accepted"]')
    page.reload()
    assert "sector=aquaculture_fisheries" in page.url
    after_accept = counts(page)
    assert after_accept["accepted"] == before["accepted"] + 1
    assert after_accept["unreviewed"] == before["unreviewed"] - 1
    assert page.locator(f'li.pair[data-pair="{first}"]').count() == 0

    # move down with j, r focuses the reason, Enter rejects with it
    page.locator("body").press("j")
    second = page.get_attribute("li.pair.current", "data-pair")
    assert second and second != first
    page.keyboard.press("r")
    focused = page.evaluate("document.activeElement.classList.contains('reason')")
    assert focused
    page.locator("li.pair.current select.reason").select_option("sector_mismatch")
    page.keyboard.press("Enter")
    page.wait_for_selector(f'li.pair[data-pair="{second}"][data-status="rejected"]')
    page.reload()
    page.wait_for_selector('[data-count="rejected"]')
    after_reject = counts(page)
    assert after_reject["rejected"] == before["rejected"] + 1
    assert page.locator(f'li.pair[data-pair="{second}"]').count() == 0

    need_id, offer_id = (int(x) for x in second.split("-"))
    reviews = ReviewService(site.app.state.database)
    decided, _ = reviews.states([(need_id, offer_id)])
    assert decided[(need_id, offer_id)].decision == "rejected"
    assert decided[(need_id, offer_id)].reason == "sector_mismatch"

    page.screenshot(path=str(ARTIFACTS / "moderator-queue-after.png"))
    page.set_viewport_size({"width": 390, "height": 844})
    page.screenshot(path=str(ARTIFACTS / "moderator-queue-phone.png"))
    assert not page.dialogs  # type: ignore[attr-defined]


def test_company_posts_a_need_and_marks_interest(page: Any, site: Site) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    sign_in(page, site, "company")
    assert page.url.endswith("/postings")
    page.click("a[href='/postings/new?kind=need']")
    page.fill("#title", "Giám sát chất lượng nước ao tôm")
    page.fill(
        "#description",
        "Cần cảm biến đo oxy hòa tan, pH và nhiệt độ cho 20 ha ao nuôi tôm thẻ chân trắng, "
        "cảnh báo sớm qua điện thoại khi chất lượng nước xấu đi.",
    )
    page.select_option("#sector", "aquaculture_fisheries")
    page.select_option("#trl", "6")
    page.fill("#keywords", "cảm biến, oxy hòa tan, ao tôm")
    page.click("form.posting-form button[type=submit]")
    page.wait_for_load_state()
    assert re.search(r"/postings/\d+$", page.url)
    assert page.inner_text("h1") == "Giám sát chất lượng nước ao tôm"
    suggestions = page.locator("li.suggestion")
    assert suggestions.count() >= 1
    assert page.locator("li.suggestion mark").count() >= 1

    first = suggestions.first
    pair_id = (first.get_attribute("id") or "").removeprefix("pair-")
    first.locator("button[name=interested][value='1']").click()
    page.wait_for_load_state()
    mark = page.locator(f"li#pair-{pair_id} strong.mine")
    assert mark.inner_text() == "quan tâm"
    assert (
        page.locator(f"li#pair-{pair_id} button[value='1']").get_attribute("aria-pressed") == "true"
    )
    page.screenshot(path=str(ARTIFACTS / "posting-page.png"), full_page=True)
    assert not page.dialogs  # type: ignore[attr-defined]


def test_script_in_a_title_never_runs(page: Any, site: Site) -> None:
    sign_in(page, site, "company")
    page.goto(f"{site.base}/postings/new?kind=need")
    page.fill("#title", "<script>alert(1)</script>")
    page.fill("#description", "<img src=x onerror=alert(2)> Cần xử lý nước thải ao tôm.")
    page.click("form.posting-form button[type=submit]")
    page.wait_for_load_state()
    assert page.inner_text("h1") == "<script>alert(1)</script>"
    assert "<img src=x onerror=alert(2)>" in page.inner_text("p.text")
    page.goto(f"{site.base}/postings")
    assert "<script>alert(1)</script>" in page.inner_text("main")
    page.wait_for_timeout(300)
    assert page.dialogs == []  # type: ignore[attr-defined]
    assert page.evaluate("document.querySelectorAll('main script, main img').length") == 0


def test_moderator_bulk_actions_and_maybe(page: Any, site: Site) -> None:
    sign_in(page, site, "moderator")
    before = counts(page)
    first = page.get_attribute("li.pair.current", "data-pair")
    page.locator("body").press("m")  # maybe for the first pair, in place; focus moves on
    page.wait_for_selector(f'li.pair[data-pair="{first}"][data-status="maybe"]')
    after_maybe = counts(page)
    assert after_maybe["maybe"] == before["maybe"] + 1
    # x selects the current pair, j moves on; then accept both at once
    page.locator("body").press("x")
    page.keyboard.press("j")
    page.keyboard.press("x")
    assert page.locator("input.select:checked").count() == 2
    page.click("#bulk-form button[value=accepted]")
    page.wait_for_load_state()
    after_bulk = counts(page)
    assert after_bulk["accepted"] == after_maybe["accepted"] + 2
    assert after_bulk["unreviewed"] == after_maybe["unreviewed"] - 2
    # select all, then reject them with a reason
    page.check("#select-all")
    selected = page.locator("input.select:checked").count()
    assert selected >= 1
    page.select_option("#bulk-reason", "not_relevant")
    page.click("#bulk-form button[value=rejected]")
    page.wait_for_load_state()
    assert counts(page)["rejected"] == after_bulk["rejected"] + selected


def test_form_errors_are_shown_next_to_fields(page: Any, site: Site) -> None:
    sign_in(page, site, "company")
    page.goto(f"{site.base}/postings/new?kind=need&lang=en")
    page.fill("#description", "x" * 10)
    page.fill("#contact_email", "not-an-address")
    page.click("form.posting-form button[type=submit]")
    page.wait_for_load_state()
    assert page.locator("#err-title").inner_text() == "Required; may not be empty."
    assert page.locator("#err-contact_email").is_visible()
    assert page.get_attribute("#title", "aria-invalid") == "true"
    assert page.evaluate("document.activeElement.id") == "title"
    assert page.input_value("#description") == "x" * 10
    page.screenshot(path=str(ARTIFACTS / "posting-form-errors.png"))
