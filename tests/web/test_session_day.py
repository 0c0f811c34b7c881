"""The organiser's whole day in real headless Chromium (issue 12), from an empty database
and with no API call outside the browser: the admin signs in → creates keys for two
companies and two institutes (welcome sheets) → imports the booth lists as XLSX (one bad
row: its error is shown) → creates a session → registers the four postings, one with an
unavailable slot → accepts the two pairs in /review → schedules → sees the grid →
publishes → a real SMTP server on 127.0.0.1 (aiosmtpd) receives one e-mail per
participant whose ICS ``icalendar`` parses into that participant's meetings → a company
signs in, sees its meeting time, downloads its ICS → records an outcome → the dashboard
shows the funnel.

The screenshot of the grid (laptop, Vietnamese) goes to ``test-artifacts/``, and with
``TECHMATCH_UPDATE_SCREENSHOTS=1`` also to ``docs/screenshots/session-grid.png`` (README).
"""

# ruff: noqa: F811 - the fixtures of test_browser.py are imported, then used as arguments
from __future__ import annotations

import os
import re
import time
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import icalendar
import pytest
from fastapi.testclient import TestClient

from service.main import create_app
from service.seed import read_demo
from tests.service.import_files import xlsx
from tests.service.servers import ThreadServer, free_port
from tests.service.smtp_server import SmtpServer
from tests.web.conftest import web_settings
from tests.web.test_browser import (  # noqa: F401 - fixtures and the browser mark
    ARTIFACTS,
    browser_context,
    page,
    pytestmark,
)

ADMIN_KEY = "tm_admin-key-for-the-whole-day"
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
HANOI = timezone(timedelta(hours=7))
START = datetime(2026, 12, 5, 8, 30, tzinfo=HANOI)
#: organization → (role, demo posting it brings, contact e-mail)
BOOTHS = {
    "Công ty CP Logistics Cảng Xanh": ("company", ("need", 0), "cangxanh@example.vn"),
    "HTX Thủy sản Bàng La": ("company", ("need", 6), "bangla@example.vn"),
    "Viện Phần mềm Cảng biển": ("institute", ("offer", 2), "vpmcb@example.vn"),
    "Viện Công nghệ Nuôi trồng": ("institute", ("offer", 12), "vcnnt@example.vn"),
}
#: the two pairs to accept (need's organization, offer's organization)
PAIRS = [
    ("Công ty CP Logistics Cảng Xanh", "Viện Phần mềm Cảng biển"),
    ("HTX Thủy sản Bàng La", "Viện Công nghệ Nuôi trồng"),
]
BUSY = "Công ty CP Logistics Cảng Xanh"  # cannot attend slot 0


class Day:
    """The running server and the SMTP server it sends to."""

    def __init__(self, base: str, smtp: SmtpServer) -> None:
        self.base = base
        self.smtp = smtp


@pytest.fixture(scope="module")
def day(tmp_path_factory: pytest.TempPathFactory, web_model: Any) -> Iterator[Day]:
    """An empty app (no postings, no keys but the admin key) and aiosmtpd on 127.0.0.1."""
    port = free_port()
    with SmtpServer(port) as smtp:
        settings = web_settings(
            tmp_path_factory.mktemp("day"),
            admin_key=ADMIN_KEY,
            smtp_url=f"smtp://127.0.0.1:{port}",
            smtp_retry_seconds=0.5,
        )
        app = create_app(settings, model=web_model)
        with TestClient(app), ThreadServer(app) as server:
            yield Day(server.base, smtp)


def _booth_list(kind: str, bad_row: bool) -> bytes:
    header = ["Tên công nghệ", "Mô tả", "Lĩnh vực", "Từ khóa", "Đơn vị", "Email"]
    rows: list[list[Any]] = [header]
    for org, (_, (posting_kind, index), email) in BOOTHS.items():
        if posting_kind != kind:
            continue
        demo = read_demo(kind)[index]
        keywords = ", ".join(demo.keywords)
        rows.append([demo.title, demo.description, demo.sector, keywords, org, email])
    if bad_row:
        rows.append(["Công nghệ không có mô tả", None, "other", "", "Viện Phần mềm Cảng biển", ""])
    return xlsx(rows)


def _sign_in(page: Any, day: Day, key: str) -> None:
    page.context.clear_cookies()
    page.goto(f"{day.base}/?lang=vi")
    page.fill("#api_key", key)
    page.press("#api_key", "Enter")
    page.wait_for_load_state()


def _create_keys(page: Any, role: str, orgs: list[str]) -> dict[str, str]:
    page.click("a[href='/keys']")
    page.select_option("#key-role", role)
    page.fill("#key-orgs", "\n".join(orgs))
    page.click("#keys-create")
    page.wait_for_selector(".welcome-sheet")
    sheets = page.locator(".welcome-sheet")
    assert sheets.count() == len(orgs)
    keys = {}
    for i in range(sheets.count()):
        sheet = sheets.nth(i)
        org = sheet.get_attribute("data-organization")
        keys[org] = sheet.locator(".sheet-key").inner_text()
        assert sheet.locator(".sheet-address").inner_text().startswith("http://127.0.0.1:")
    page.screenshot(path=str(ARTIFACTS / f"welcome-sheets-{role}.png"), full_page=True)
    return keys


def _import(page: Any, day: Day, tmp_path: Path, kind: str, bad_row: bool) -> None:
    path = tmp_path / f"gian-hang-{kind}.xlsx"
    path.write_bytes(_booth_list(kind, bad_row))
    page.click("a[href='/import']")
    page.select_option("#import-kind", kind)
    page.set_input_files("#import-file", str(path))
    page.click("#import-submit")
    page.wait_for_url(re.compile(r"/imports/\d+$"))
    page.wait_for_selector("#import-errors, #import-no-errors", timeout=120_000)


def _go(page: Any, target: Any) -> None:
    """Click ``target`` (a selector or a locator) and wait for the page it loads."""
    with page.expect_navigation():
        if isinstance(target, str):
            page.click(target)
        else:
            target.click()


def _grid(page: Any) -> dict[str, int]:
    """pair id → slot, as the grid shows it."""
    cells = page.eval_on_selector_all(
        "#grid td.meeting",
        "cells => cells.map(c => [c.dataset.pair, c.parentElement.dataset.slot])",
    )
    return {pair: int(slot) for pair, slot in cells}


def test_the_organisers_whole_day(page: Any, day: Day, tmp_path: Path) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    _sign_in(page, day, ADMIN_KEY)

    # keys for two companies and two institutes, each shown once on a welcome sheet
    keys = {}
    for role in ("company", "institute"):
        orgs = [org for org, (r, _, _) in BOOTHS.items() if r == role]
        keys.update(_create_keys(page, role, orgs))
    assert set(keys) == set(BOOTHS) and all(k.startswith("tm_") for k in keys.values())

    # the booth lists: offers with one bad row (its error shown), then needs
    _import(page, day, tmp_path, "offer", bad_row=True)
    bad = page.locator('#import-errors tr[data-row="4"]')
    assert bad.count() == 1 and "Bắt buộc, không được để trống." in bad.inner_text()
    assert page.inner_text("#count-created") == "2"
    _import(page, day, tmp_path, "need", bad_row=False)
    assert page.inner_text("#count-created") == "2"

    # a session: 3 slots of 20 minutes from 08:30 (Asia/Ho_Chi_Minh), 2 tables
    page.click("a[href='/sessions']")
    page.fill("#s-name", "Phiên kết nối Techfest Hải Phòng")
    page.fill("#s-venue", "Trung tâm Hội nghị")
    page.fill("#s-date", "2026-12-05")
    page.fill("#s-time", "08:30")
    assert page.input_value("#s-tz") == "Asia/Ho_Chi_Minh"
    page.fill("#s-slots", "3")
    page.fill("#s-tables", "2")
    page.fill("#s-max_meetings_per_participant", "2")
    page.click("#session-create")
    page.wait_for_url(re.compile(r"/sessions/\d+$"))
    session_url = page.url
    session_id = int(session_url.rsplit("/", 1)[1])

    # register the four postings found by the search
    for words in ("container", "tôm"):
        page.fill("#q", words)
        _go(page, "#search-postings")
        while page.locator("#search-results button.register").count():
            _go(page, page.locator("#search-results button.register").first)
            page.fill("#q", words)
            _go(page, "#search-postings")
    rows = page.locator("#participant-list tbody tr")
    assert rows.count() == 4
    ids = {}
    for i in range(4):
        row = rows.nth(i)
        ids[row.locator("td").nth(2).inner_text()] = int(row.get_attribute("data-posting"))
    assert set(ids) == set(BOOTHS)

    # one participant cannot attend slot 0: click its row on the slot page
    page.click(f'#participant-list tr[data-posting="{ids[BUSY]}"] a.set-slots')
    page.click("tr.slot-row >> nth=0")
    assert page.is_checked("#slot-0")
    _go(page, "#slots-save")
    page.wait_for_url(re.compile(rf"/sessions/{session_id}"))
    busy = page.locator(f'#participant-list tr[data-posting="{ids[BUSY]}"] td.unavailable')
    assert busy.inner_text() == "08:30"
    page.screenshot(path=str(ARTIFACTS / "session-participants.png"), full_page=True)

    # accept the two pairs in /review
    pair_ids = [f"{ids[need]}-{ids[offer]}" for need, offer in PAIRS]
    _go(page, "a[href='/review']")
    for pair in pair_ids:  # decided in place (review.js), no page load
        page.locator(f'li[data-pair="{pair}"] form.decide button.accept').click()
        page.wait_for_selector(f'li[data-pair="{pair}"][data-status="accepted"]')
    assert int(page.inner_text('[data-count="accepted"]')) == 2
    page.goto(f"{session_url}/pairs")
    for pair in pair_ids:
        assert page.get_attribute(f'tr[data-pair="{pair}"]', "data-state") == "accepted"

    # schedule: "running", then the status and the grid
    page.goto(f"{session_url}/schedule")
    page.fill("#time-limit", "10")
    page.click("#schedule-run")
    page.wait_for_selector('#run-state[data-state="done"]', timeout=90_000)
    page.wait_for_load_state("load")  # the grid comes after the state in the page
    assert page.get_attribute("#run-status", "data-status") in ("optimal", "feasible")
    assert re.fullmatch(r"\d+\.\d\d %", page.inner_text("#run-gap"))
    assert page.inner_text("#run-meetings") == "2", page.inner_text("#run-result")
    grid = _grid(page)
    assert grid, page.inner_html("#grid") if page.locator("#grid").count() else page.content()
    assert set(grid) == set(pair_ids)
    assert grid[pair_ids[0]] != 0  # its need cannot attend slot 0
    page.set_viewport_size({"width": 1280, "height": 800})
    page.screenshot(path=str(ARTIFACTS / "session-grid.png"), full_page=True)
    if os.environ.get("TECHMATCH_UPDATE_SCREENSHOTS"):
        page.screenshot(path=str(SCREENSHOTS / "session-grid.png"), full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    page.screenshot(path=str(ARTIFACTS / "session-grid-phone.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})

    # publish: one e-mail per participant, sent once, with its meetings as ICS
    assert "Bản nháp" in page.inner_text("#publish-state")
    _go(page, "#publish-button")
    assert "Đã công bố phiên bản 1." in page.inner_text(".flash")
    for _ in range(100):
        states = page.eval_on_selector_all(
            "#emails tr[data-state]", "r => r.map(x => x.dataset.state)"
        )
        if states == ["sent"] * 4:
            break
        time.sleep(0.2)
        page.reload()
    assert states == ["sent"] * 4
    messages = list(day.smtp.inbox.messages)
    emails = {email: org for org, (_, _, email) in BOOTHS.items()}
    assert sorted(m["To"] for m in messages) == sorted(emails)
    for message in messages:
        posting = ids[emails[message["To"]]]
        attachment = next(message.iter_attachments())
        events = icalendar.Calendar.from_ical(attachment.get_content()).walk("VEVENT")
        expected = {p: s for p, s in grid.items() if str(posting) in p.split("-")}
        got = {str(e["UID"]).split("-", 3)[3].split("@")[0]: e.decoded("DTSTART") for e in events}
        assert got == {p: START + timedelta(minutes=20 * s) for p, s in expected.items()}
    _go(page, "#publish-button")  # again, unchanged: nothing is sent twice
    assert "vẫn là phiên bản 1" in page.inner_text(".flash")
    time.sleep(1.0)
    assert len(day.smtp.inbox.messages) == 4

    # a company signs in, sees its meeting time, downloads its ICS, records an outcome
    company = PAIRS[0][0]
    _sign_in(page, day, keys[company])
    page.click("a[href='/my-sessions']")
    page.click(f'li[data-session="{session_id}"] a.title')
    page.wait_for_url(re.compile(rf"/my-sessions/{session_id}$"))
    meeting = page.locator(f'.my-meeting[data-pair="{pair_ids[0]}"]')
    when = START + timedelta(minutes=20 * grid[pair_ids[0]])
    assert meeting.locator(".meeting-time").inner_text().startswith(when.strftime("%d/%m/%Y %H:%M"))
    assert "vpmcb@example.vn" in meeting.locator(".contact").inner_text()
    with page.expect_download() as download_info:
        page.click("a.my-ics")
    calendar = icalendar.Calendar.from_ical(Path(download_info.value.path()).read_bytes())
    assert [e.decoded("DTSTART") for e in calendar.walk("VEVENT")] == [when]
    form = page.locator(f"#outcome-{pair_ids[0]}")
    form.locator("select[name=outcome]").select_option("follow_up")
    form.locator("select[name=follow_up]").select_option("pilot")
    _go(page, form.locator("button[type=submit]"))
    assert page.locator(f'#outcome-{pair_ids[0]} [data-outcome="follow_up"]').count() == 1
    page.screenshot(path=str(ARTIFACTS / "participant-day.png"), full_page=True)

    # the organiser's dashboard shows the session's funnel
    _sign_in(page, day, ADMIN_KEY)
    page.goto(f"{day.base}/dashboard?session={session_id}")
    funnel = {
        stage: int(page.locator(f'#funnel td[data-stage="{stage}"]').text_content() or "")
        for stage in ("suggested", "accepted", "scheduled", "held", "follow_up")
    }
    assert funnel["suggested"] >= 2
    assert (funnel["accepted"], funnel["scheduled"]) == (2, 2)
    assert (funnel["held"], funnel["follow_up"]) == (1, 1)
