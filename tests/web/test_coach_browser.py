"""The posting coach in real headless Chromium, in Vietnamese and English: hints next to
the fields on "check" (script, no page load) and after save (posting page, edit form).
Screenshots at laptop (1366×768) and phone (390×844) sizes go to ``docs/screenshots/``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.web import test_browser as base
from tests.web.test_browser import Site, sign_in

# the browser fixtures of test_browser.py: a seeded server, a Chromium profile, a tab
site = base.site
browser_context = base.browser_context
page = base.page

pytestmark = pytest.mark.browser

SHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
LAPTOP = {"width": 1366, "height": 768}
PHONE = {"width": 390, "height": 844}


def _hints(tab: Any, field: str) -> list[str]:
    return [t.strip() for t in tab.locator(f"#hints-{field} li.hint").all_inner_texts()]


def test_need_form_shows_vietnamese_hints_on_check_and_after_save(page: Any, site: Site) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.set_viewport_size(LAPTOP)
    sign_in(page, site, "company")
    page.goto(f"{site.base}/postings/new?kind=need")
    page.fill("#title", "Cần máy sấy nông sản")
    page.fill("#description", "Hợp tác xã cần máy sấy cho vải thiều và nhãn.")
    page.fill("#keywords", "máy sấy, nông sản")
    page.click("#check-hints")
    page.wait_for_selector("#hints-description li.hint")
    assert page.url.endswith("/postings/new?kind=need")  # no page load: the script asked
    assert any("ngân sách" in h for h in _hints(page, "description"))
    assert any("Mô tả còn ngắn" in h for h in _hints(page, "description"))
    assert any("địa điểm" in h for h in _hints(page, "province"))
    assert "gợi ý" in page.inner_text("#coach-summary")
    page.locator("#title").scroll_into_view_if_needed()
    page.screenshot(path=str(SHOTS / "coach-form-vi-laptop.png"), full_page=True)

    page.fill("#province", "Bắc Giang")
    page.click("#check-hints")
    page.wait_for_selector("#hints-province li", state="detached")
    assert _hints(page, "province") == []  # the hint goes once the field is filled

    page.click("form.posting-form button[type=submit]:not(#check-hints)")
    page.wait_for_selector("aside.coach")
    assert "gợi ý" in page.inner_text("#coach-h")
    page.click("aside.coach a")
    page.wait_for_selector("#hints-description li.hint")  # server-rendered, after save
    assert any("ngân sách" in h for h in _hints(page, "description"))
    page.set_viewport_size(PHONE)
    page.screenshot(path=str(SHOTS / "coach-form-vi-phone.png"), full_page=True)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], "the form must not scroll sideways on a phone"


def test_offer_form_shows_english_hints_for_missing_fields(page: Any, site: Site) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.set_viewport_size(LAPTOP)
    sign_in(page, site, "institute")
    page.goto(f"{site.base}/postings/new?kind=offer&lang=en")
    page.fill("#title", "Heat pump dryer for fruit and seaweed")
    page.fill(
        "#description",
        "Our institute has built a closed-loop heat pump dryer that dries lychee, longan and "
        "seaweed at 45 to 55 degrees, keeping colour and vitamin C while using 40 percent less "
        "electricity than a resistive dryer. A 500 kg batch dries in 18 hours; the controller "
        "logs humidity and temperature for every batch.",
    )
    page.click("#check-hints")
    page.wait_for_selector("#hints-trl li.hint")
    assert _hints(page, "trl")[0].startswith("No technology readiness level")
    assert _hints(page, "ip_status")[0].startswith("No IP status")
    assert _hints(page, "transfer_modes")[0].startswith("No transfer mode")
    assert "hints to make this posting easier to match" in page.inner_text("#coach-summary")
    page.screenshot(path=str(SHOTS / "coach-form-en-laptop.png"), full_page=True)

    page.select_option("#trl", "7")
    page.select_option("#ip_status", "know_how")
    page.check("#mode-licence")
    page.click("#check-hints")
    page.wait_for_selector("#hints-trl li", state="detached")
    assert _hints(page, "ip_status") == [] and _hints(page, "transfer_modes") == []
    page.set_viewport_size(PHONE)
    page.select_option("#trl", "")
    page.click("#check-hints")
    page.wait_for_selector("#hints-trl li.hint")
    page.locator("#trl").scroll_into_view_if_needed()
    page.screenshot(path=str(SHOTS / "coach-form-en-phone.png"))
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
