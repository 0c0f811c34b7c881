"""The booth-list import page in real headless Chromium (issue 12): an XLSX with one bad
row → the progress bar completes, the bad row's error is in the table, the CSV report
downloads; and the same page without JavaScript, refreshing itself until done."""

# ruff: noqa: F811 - the fixtures of test_browser.py are imported, then used as arguments
from __future__ import annotations

import csv
import io
import re
from pathlib import Path
from typing import Any

from playwright.sync_api import Error as PlaywrightError

from tests.service.import_files import xlsx_rows
from tests.web.test_browser import (  # noqa: F401 - fixtures and the browser mark
    ARTIFACTS,
    Site,
    browser_context,
    page,
    pytestmark,
    sign_in,
    site,
)

ROWS = 400
BAD_ROW = 123  # data row 123 is spreadsheet row 124


def _upload(page: Any, site: Site, tmp_path: Path, name: str, rows: int) -> None:
    booth = tmp_path / name
    booth.write_bytes(xlsx_rows(rows, name.split(".")[0], bad_rows=(BAD_ROW,)))
    page.goto(f"{site.base}/import")
    page.select_option("#import-kind", "offer")
    page.set_input_files("#import-file", str(booth))
    page.click("#import-submit")
    page.wait_for_url(re.compile(r"/imports/\d+$"))


def test_moderator_imports_an_xlsx_and_downloads_the_report(
    page: Any, site: Site, tmp_path: Path
) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    sign_in(page, site, "moderator")
    page.click("a[href='/import']")
    page.wait_for_url(re.compile(r"/import$"))
    assert page.inner_text("h1") == "Nhập danh sách gian hàng"
    _upload(page, site, tmp_path, "gian-hang-techfest.xlsx", ROWS)
    seen: list[int] = []
    page.wait_for_selector("#import-progress")
    # the script follows the job until it is done, then the page shows the report
    for _ in range(600):
        if page.locator("#import-errors").count():
            break
        try:
            value = page.evaluate("(document.getElementById('import-progress') || {}).value")
        except PlaywrightError:  # the page reloads itself when the job is done
            page.wait_for_load_state()
            continue
        if isinstance(value, int | float):
            seen.append(int(value))
        page.wait_for_timeout(200)
    page.wait_for_selector("#import-errors")
    bar = page.locator("#import-progress")
    assert bar.get_attribute("value") == bar.get_attribute("max") == str(ROWS)
    assert seen == sorted(seen)  # the bar only moves forward
    assert page.inner_text("#import-state") == "Đã xong"
    assert page.inner_text("#count-created") == str(ROWS - 1)
    bad = page.locator(f'#import-errors tr[data-row="{BAD_ROW + 1}"]')
    assert bad.count() == 1
    assert "Mô tả" in bad.inner_text() and "Bắt buộc, không được để trống." in bad.inner_text()
    assert page.locator("#import-errors tbody tr").count() == 1
    page.screenshot(path=str(ARTIFACTS / "import-report.png"), full_page=True)
    with page.expect_download() as download_info:
        page.click("#download-report")
    download = download_info.value
    assert re.fullmatch(r"import-\d+-errors\.csv", download.suggested_filename)
    content = Path(download.path()).read_bytes().decode("utf-8-sig")
    lines = list(csv.reader(io.StringIO(content)))
    assert lines[0] == ["dòng", "trường", "lỗi", "mã lỗi"]
    assert lines[1] == [
        str(BAD_ROW + 1),
        "description",
        "Bắt buộc, không được để trống.",
        "missing",
    ]
    assert not page.dialogs  # type: ignore[attr-defined]


def test_the_job_page_works_without_javascript(
    page: Any, browser_context: Any, site: Site, tmp_path: Path
) -> None:
    cdp = browser_context.new_cdp_session(page)
    cdp.send("Emulation.setScriptExecutionDisabled", {"value": True})
    sign_in(page, site, "moderator")
    _upload(page, site, tmp_path, "no-js.xlsx", ROWS)
    first = page.inner_text("#import-state")
    page.wait_for_selector("#import-errors", timeout=240_000)  # reached by meta refresh only
    assert first in ("Đang chờ", "Đang nhập", "Đã xong")
    assert page.inner_text("#import-state") == "Đã xong"
    assert page.locator(f'#import-errors tr[data-row="{BAD_ROW + 1}"]').count() == 1
