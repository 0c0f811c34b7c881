"""The moderators' queue at volume, in real headless Chromium: a pool of 300+ pairs
(hashing model), paging, in-place decisions by keyboard, counts that go down one per
decision, a second moderator's stale decision, warning badges, Vietnamese labels, and a
rejected pair gone from the API's matches and from the posting page. With
``TECHMATCH_UPDATE_SCREENSHOTS=1`` the Vietnamese laptop view also replaces README's
``docs/moderator-queue.png``."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from service.auth.roles import Principal, Role
from service.main import create_app
from service.ranked_pairs import QueueFilters, RankedPair, RankedPairs
from service.reviews import ReviewService
from service.schemas.reviews import ReviewIn
from service.web.routes.review import REVIEW_PAGE
from tests.service.servers import ThreadServer
from tests.web.conftest import make_keys, web_settings
from tests.web.review_pool import seed_pool
from tests.web.test_browser import (  # noqa: F401 (fixtures)
    ARTIFACTS,
    Site,
    browser_context,
    counts,
    sign_in,
)

pytestmark = pytest.mark.browser

#: The queue's picture in README (written with ``TECHMATCH_UPDATE_SCREENSHOTS=1``).
README_SCREENSHOT = Path(__file__).resolve().parents[2] / "docs" / "moderator-queue.png"

#: Needs and offers of the pool (3 offers per need at most: 300+ pairs).
POOL_NEEDS = 140
POOL_OFFERS = 140


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory, web_model: Any) -> Iterator[Site]:
    """uvicorn on a free port over an app holding the synthetic pool."""
    app = create_app(web_settings(tmp_path_factory.mktemp("queue")), model=web_model)
    with TestClient(app):
        seed_pool(app.state.postings, POOL_NEEDS, POOL_OFFERS)
        keys = make_keys(app.state.database)
        with ThreadServer(app) as server:
            yield Site(server.base, keys, app)


@pytest.fixture
def page(request: pytest.FixtureRequest) -> Iterator[Any]:
    """A new tab with no cookies; no error may reach its console but the 409 of a
    refused stale decision (the card shows it)."""
    context = request.getfixturevalue("browser_context")
    context.clear_cookies()
    tab = context.new_page()
    errors: list[str] = []
    tab.on(
        "console", lambda message: errors.append(message.text) if message.type == "error" else None
    )
    tab.on("pageerror", lambda error: errors.append(str(error)))
    yield tab
    tab.close()
    unexpected = [e for e in errors if "status of 409" not in e]
    assert unexpected == [], f"errors in the browser console: {unexpected}"


def ranked(site: Site) -> RankedPairs:
    app = site.app
    return RankedPairs(app.state.postings, app.state.matcher, ReviewService(app.state.database))


def unreviewed_pairs(site: Site) -> list[RankedPair]:
    """The default view's pairs (unreviewed, best first), all pages."""
    return ranked(site).queue(QueueFilters(), limit=10_000).pairs


def page_of(site: Site, pair_id: str) -> int:
    ids = [p.match.pair_id for p in unreviewed_pairs(site)]
    return ids.index(pair_id) // REVIEW_PAGE + 1


def mark_window(tab: Any) -> None:
    """A marker that only survives as long as no page load happens."""
    tab.evaluate("window.__noReload = 'still here'")


def assert_no_reload(tab: Any) -> None:
    assert tab.evaluate("window.__noReload") == "still here"


def focused_pair(tab: Any) -> str | None:
    result: str | None = tab.evaluate("document.activeElement.dataset.pair || null")
    return result


def test_the_pool_is_large_enough(site: Site) -> None:
    queue = ranked(site).queue(QueueFilters())
    assert queue.pool >= 300 and queue.total >= 300


def test_page_to_the_fourth_page_and_accept_by_keyboard_in_place(page: Any, site: Site) -> None:
    sign_in(page, site, "moderator")
    total = ranked(site).queue(QueueFilters()).total
    for _ in range(3):
        page.locator("nav.pager[data-where=top] a.next").click()
        page.wait_for_load_state()
    assert "page=4" in page.url
    position = page.locator("nav.pager[data-where=top] .position").inner_text()
    assert position.startswith(f"Cặp 151–200 / {total:,}".replace(",", ".")), position
    assert "Trang 4 /" in position
    assert page.locator("nav.pager[data-where=top] a.prev").count() == 1
    cards = page.locator("li.pair")
    first, second = cards.nth(0).get_attribute("data-pair"), cards.nth(1).get_attribute("data-pair")
    before = counts(page)
    progress = int(page.get_attribute("#progress", "value") or 0)
    mark_window(page)
    page.locator("body").press("a")
    page.wait_for_selector(f'li.pair[data-pair="{first}"][data-status="accepted"]')
    assert_no_reload(page)
    assert "page=4" in page.url
    assert focused_pair(page) == second
    assert page.locator(f'li.pair[data-pair="{first}"] .card-notice').inner_text() == (
        "Đã ghi quyết định."
    )
    badge = page.locator(f'li.pair[data-pair="{first}"] .badge.decision')
    assert badge.is_visible() and "Đã chấp nhận" in badge.inner_text()
    after = counts(page)
    assert after["unreviewed"] == before["unreviewed"] - 1
    assert after["accepted"] == before["accepted"] + 1
    assert int(page.get_attribute("#progress", "value") or 0) == progress + 1
    need_id, offer_id = (int(x) for x in (first or "").split("-"))
    decided, _ = ReviewService(site.app.state.database).states([(need_id, offer_id)])
    assert decided[(need_id, offer_id)].decision == "accepted"


def test_twenty_decisions_in_a_row_take_twenty_off_the_unreviewed_count(
    page: Any, site: Site
) -> None:
    sign_in(page, site, "moderator")
    start = counts(page)["unreviewed"]
    mark_window(page)
    keys = ["a", "m"] * 10
    for n, key in enumerate(keys):
        current = focused_pair(page) or page.get_attribute("li.pair.current", "data-pair")
        page.locator("body").press(key) if n == 0 else page.keyboard.press(key)
        status = "accepted" if key == "a" else "maybe"
        page.wait_for_selector(f'li.pair[data-pair="{current}"][data-status="{status}"]')
    assert_no_reload(page)
    assert counts(page)["unreviewed"] == start - 20
    page.reload()
    assert counts(page)["unreviewed"] == start - 20
    assert ranked(site).queue(QueueFilters()).unreviewed == start - 20


def test_a_second_moderators_stale_decision_gets_the_conflict_message(
    page: Any, site: Site
) -> None:
    sign_in(page, site, "moderator")
    pair_id = page.get_attribute("li.pair.current", "data-pair")
    assert pair_id
    # meanwhile another moderator rejects it
    other = Principal(role=Role.moderator, organization="Điều phối viên B")
    ReviewService(site.app.state.database).review(
        other, pair_id, ReviewIn.model_validate({"decision": "rejected"})
    )
    before = counts(page)
    mark_window(page)
    page.locator("body").press("a")
    notice = page.locator(f'li.pair[data-pair="{pair_id}"] .card-notice.conflict')
    notice.wait_for()
    assert_no_reload(page)
    text = notice.inner_text()
    assert "Điều phối viên B" in text and "Đã từ chối" in text and "sau khi bạn mở trang" in text
    assert page.get_attribute(f'li.pair[data-pair="{pair_id}"]', "data-status") == "rejected"
    after = counts(page)
    assert after["rejected"] == before["rejected"] + 1
    assert after["unreviewed"] == before["unreviewed"] - 1
    assert after["accepted"] == before["accepted"]
    need_id, offer_id = (int(x) for x in pair_id.split("-"))
    decided, _ = ReviewService(site.app.state.database).states([(need_id, offer_id)])
    assert decided[(need_id, offer_id)].decision == "rejected"  # not overwritten


def test_trl_below_badge_and_vietnamese_labels(page: Any, site: Site) -> None:
    sign_in(page, site, "moderator")
    pairs = unreviewed_pairs(site)
    low = next(p for p in pairs if p.need.trl and p.offer.trl and p.offer.trl < p.need.trl)
    cross = next(p for p in pairs if p.need.language != p.offer.language)
    page.goto(f"{site.base}/review?page={page_of(site, low.match.pair_id)}&lang=vi")
    card = page.locator(f'li.pair[data-pair="{low.match.pair_id}"]')
    badge = card.locator(".badge.warning-trl_below")
    assert badge.inner_text() == (
        f"⚠ TRL {low.offer.trl} thấp hơn TRL {low.need.trl} nhu cầu chấp nhận"
    )
    labels = card.locator(".parts dt").all_inner_texts()
    assert labels[:2] == ["Độ gần nghĩa", "Từ ngữ chung"]
    assert "Bao nhiêu từ của nhu cầu" in card.locator(".parts").inner_text()
    assert "dense" not in card.locator(".why").inner_text()
    page.goto(f"{site.base}/review?page={page_of(site, cross.match.pair_id)}&lang=vi")
    cross_card = page.locator(f'li.pair[data-pair="{cross.match.pair_id}"]')
    lexical = cross_card.locator(".parts .part-row.part-lexical dd").inner_text()
    assert lexical.startswith("không dùng cho cặp khác ngôn ngữ")
    assert not re.match(r"^\d", lexical)
    ARTIFACTS.mkdir(exist_ok=True)
    page.goto(f"{site.base}/review?lang=vi")
    page.screenshot(path=str(ARTIFACTS / "review-queue-laptop-vi.png"))
    if os.environ.get("TECHMATCH_UPDATE_SCREENSHOTS"):
        page.screenshot(path=str(README_SCREENSHOT))
    page.set_viewport_size({"width": 390, "height": 844})
    page.screenshot(path=str(ARTIFACTS / "review-queue-phone-vi.png"))
    page.goto(f"{site.base}/review?lang=en")
    assert page.locator("li.pair").first.locator(".parts dt").first.inner_text() == (
        "Meaning similarity"
    )
    page.screenshot(path=str(ARTIFACTS / "review-queue-phone-en.png"))
    page.set_viewport_size({"width": 1280, "height": 900})
    page.screenshot(path=str(ARTIFACTS / "review-queue-laptop-en.png"))


def test_a_pair_rejected_by_keyboard_leaves_the_api_and_the_posting_page(
    page: Any, site: Site
) -> None:
    sign_in(page, site, "moderator")
    pair_id = page.get_attribute("li.pair.current", "data-pair")
    assert pair_id
    need_id, offer_id = (int(x) for x in pair_id.split("-"))
    headers = {"Authorization": f"Bearer {site.keys['moderator']}"}

    def matched(kind: str, posting_id: int) -> set[str]:
        url = f"{site.base}/api/v1/{kind}s/{posting_id}/matches?limit=100"
        response = httpx.get(url, headers=headers)
        assert response.status_code == 200, response.text
        return {item["pair_id"] for item in response.json()["items"]}

    assert pair_id in matched("need", need_id) and pair_id in matched("offer", offer_id)
    page.goto(f"{site.base}/postings/{need_id}")
    assert page.locator(f"li#pair-{pair_id}").count() == 1
    page.goto(f"{site.base}/review")
    assert page.get_attribute("li.pair.current", "data-pair") == pair_id
    page.keyboard.press("r")
    page.locator("li.pair.current select.reason").select_option("not_relevant")
    page.keyboard.press("Enter")
    page.wait_for_selector(f'li.pair[data-pair="{pair_id}"][data-status="rejected"]')
    assert pair_id not in matched("need", need_id)
    assert pair_id not in matched("offer", offer_id)
    page.goto(f"{site.base}/postings/{need_id}")
    assert page.locator(f"li#pair-{pair_id}").count() == 0
    page.goto(f"{site.base}/postings/{offer_id}")
    assert page.locator(f"li#pair-{pair_id}").count() == 0
