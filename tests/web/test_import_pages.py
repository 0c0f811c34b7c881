"""The booth-list import pages through TestClient: upload, job page (with and without
JavaScript), per-row errors in the page's language, the CSV report, access and CSRF."""

from __future__ import annotations

import csv
import io
import time
from typing import Any

from tests.service.import_files import cp1258, xlsx_rows
from tests.web.conftest import CSRF, INSTITUTE, Web


def _upload(web: Web, name: str, data: bytes, kind: str = "offer", lang: str = "vi") -> Any:
    page = web.client.get(f"/import?lang={lang}")
    assert page.status_code == 200
    token = CSRF.search(page.text)
    assert token
    return web.client.post(
        "/import",
        data={"csrf_token": token.group(1), "kind": kind},
        files={"file": (name, data)},
        follow_redirects=False,
    )


def _wait(web: Web, path: str) -> dict[str, Any]:
    deadline = time.time() + 120
    while time.time() < deadline:
        status = web.client.get(f"{path}/status").json()
        if status["state"] in ("done", "failed"):
            return dict(status)
        time.sleep(0.1)
    raise AssertionError("the import did not finish")


def test_form_is_linked_from_the_navigation_and_checks_csrf(web: Web) -> None:
    web.sign_in("moderator")
    review = web.client.get("/review?lang=vi")
    assert '<a href="/import">Nhập danh sách</a>' in review.text
    form = web.client.get("/import")
    assert 'enctype="multipart/form-data"' in form.text and 'name="kind"' in form.text
    refused = web.client.post(
        "/import", data={"kind": "offer"}, files={"file": ("a.csv", b"title,description\n")}
    )
    assert refused.status_code == 403


def test_upload_shows_progress_then_the_row_errors(web: Web) -> None:
    web.sign_in("moderator")
    data = xlsx_rows(30, "web", bad_rows=(7,))
    response = _upload(web, "gian-hang.xlsx", data)
    assert response.status_code == 303, response.text
    path = response.headers["location"]
    assert path.startswith("/imports/")
    running = web.client.get(path)
    assert running.status_code == 200 and "<progress" in running.text
    status = _wait(web, path)
    assert status["state"] == "done" and status["rows_done"] == status["rows_total"] == 30
    assert (status["created"], status["failed"]) == (29, 1)
    page = web.client.get(path).text
    assert 'http-equiv="refresh"' not in page  # done: no more refreshing
    assert 'max="30" value="30"' in page
    assert '<tr data-row="8"><td class="num">8</td><td>Mô tả</td>' in page
    assert "Bắt buộc, không được để trống." in page
    report = web.client.get(f"{path}/errors.csv")
    assert report.status_code == 200 and "attachment" in report.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(report.content.decode("utf-8-sig"))))
    assert rows == [
        ["dòng", "trường", "lỗi", "mã lỗi"],
        ["8", "description", "Bắt buộc, không được để trống.", "missing"],
    ]


def test_job_page_refreshes_itself_without_javascript(web: Web) -> None:
    web.sign_in("institute")
    from sqlalchemy import update

    from service.db.models import ImportJobRow

    response = _upload(web, "a.csv", b"title,description\nA web,B\n", lang="en")
    path = response.headers["location"]
    _wait(web, path)
    job_id = int(path.rsplit("/", 1)[1])
    database = web.app.state.database
    with database.session(write=True) as session:  # seen while it runs
        session.execute(
            update(ImportJobRow).where(ImportJobRow.id == job_id).values(state="running")
        )
        session.commit()
    try:
        page = web.client.get(path).text
        assert '<noscript><meta http-equiv="refresh" content="2"></noscript>' in page
        assert "Running" in page
    finally:
        with database.session(write=True) as session:
            session.execute(
                update(ImportJobRow).where(ImportJobRow.id == job_id).values(state="done")
            )
            session.commit()


def test_company_imports_needs_for_itself_only(web: Web) -> None:
    web.sign_in("company")
    form = web.client.get("/import").text
    assert '<input type="hidden" name="kind" value="need">' in form
    assert _upload(web, "a.csv", b"title,description\nA,B\n", kind="offer").status_code == 403
    data = "Tên công nghệ;Mô tả;Đơn vị\nMáy bơm;Bơm nước;Công ty khác\nMáy sấy;Sấy;\n"
    response = _upload(web, "ds.csv", cp1258(data), kind="need")
    path = response.headers["location"]
    assert _wait(web, path)["failed"] == 1
    page = web.client.get(path).text
    assert "cp1258" in page and "chỉ đăng tin cho chính tổ chức mình" in page
    # another organization's job is not found; staff see it
    web.sign_in("company_b")
    assert web.client.get(path).status_code == 404
    assert web.client.get(f"{path}/errors.csv").status_code == 404
    web.sign_in("moderator")
    assert web.client.get(path).status_code == 200


def test_unreadable_files_show_the_form_again_with_the_reason(web: Web) -> None:
    web.sign_in("institute")
    wrong = _upload(web, "a.pdf", b"%PDF")
    assert wrong.status_code == 422 and "Chỉ nhận tệp" in wrong.text
    broken = _upload(web, "a.xlsx", b"PK\x03\x04 nope", lang="en")
    assert broken.status_code == 422 and "not a readable XLSX file" in broken.text
    assert 'role="alert"' in broken.text and INSTITUTE in broken.text


def test_signed_out_visitors_are_sent_to_sign_in(web: Web) -> None:
    web.client.cookies.clear()
    for path in ("/import", "/imports/1", "/imports/1/status", "/imports/1/errors.csv"):
        response = web.client.get(path, follow_redirects=False)
        assert response.status_code == 303 and response.headers["location"].startswith("/?next=")
