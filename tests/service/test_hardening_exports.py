"""Issue 13, exports: cells a spreadsheet would run as a formula are neutralised with a
leading ``'`` in every CSV export (reviews, agenda, outcomes, import error reports), and the
XLSX exports of reviews and outcomes store them as plain text, never as formulas."""

from __future__ import annotations

import csv
import io
from typing import Any

import openpyxl
import pytest

from service.csv_export import FORMULA_START, Column, cell, neutralise, write_xlsx
from service.importing.report_csv import errors_csv
from tests.service.conftest import Api, unique
from tests.service.test_sessions import make_session, register

OFFER_TITLE = '@SUM(1+1)*cmd|" /C calc"!A0'
NOTE = '=HYPERLINK("http://evil.example","x")'
NEED_ORG = "+Org A"


def evil_session(api: Api) -> dict[str, Any]:
    """A scheduled session whose offer title, need organization and notes are formulas."""
    sid = make_session(api)["id"]
    tag = unique("x")
    need = api.post(
        "/needs",
        "moderator",
        json={
            "title": f"-Oxygen sensor for shrimp ponds {tag}",
            "description": "Dissolved oxygen sensor with phone alerts.",
            "sector": "other",
            "language": "en",
            "organization": NEED_ORG,
        },
    )
    offer = api.post(
        "/offers",
        "moderator",
        json={
            "title": f"{OFFER_TITLE} {tag}",
            "description": "Oxygen sensor for shrimp ponds with alerts.",
            "sector": "other",
            "language": "en",
            "organization": "Inst A",
        },
    )
    assert need.status_code == 201 and offer.status_code == 201, (need.text, offer.text)
    need_id, offer_id = need.json()["id"], offer.json()["id"]
    for pid in (need_id, offer_id):
        assert register(api, sid, pid).status_code == 201
    r = api.post(
        f"/pairs/{need_id}-{offer_id}/review",
        "moderator",
        json={"decision": "accepted", "note": NOTE},
    )
    assert r.status_code == 200, r.text
    r = api.post(f"/sessions/{sid}/schedule", "moderator", json={"time_limit_s": 5})
    assert r.status_code == 200 and r.json()["meetings"], r.text
    pair = r.json()["meetings"][0]["pair_id"]
    r = api.post(
        f"/sessions/{sid}/meetings/{pair}/outcome",
        "moderator",
        json={"outcome": "held", "note": NOTE},
    )
    assert r.status_code == 200, r.text
    return {"sid": sid, "need": need_id, "offer": offer_id, "tag": tag}


def assert_safe_csv(text: str) -> list[list[str]]:
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    for row in rows:
        for value in row:
            assert not value.startswith(FORMULA_START), value
    return rows


def all_cells(rows: list[list[str]]) -> set[str]:
    return {value for row in rows for value in row}


def test_every_csv_export_neutralises_formulas(api: Api) -> None:
    made = evil_session(api)
    sid, tag = made["sid"], made["tag"]
    reviews = api.get("/reviews", "moderator", params={"format": "csv", "need_id": made["need"]})
    agenda = api.get(f"/sessions/{sid}/agenda", "moderator", params={"format": "csv"})
    outcomes = api.get("/outcomes", "moderator", params={"format": "csv", "session_id": sid})
    for response in (reviews, agenda, outcomes):
        assert response.status_code == 200, response.text
    cells = all_cells(assert_safe_csv(reviews.text))
    assert f"'{OFFER_TITLE} {tag}" in cells and f"'{NOTE}" in cells
    cells = all_cells(assert_safe_csv(agenda.text))
    assert f"'{OFFER_TITLE} {tag}" in cells and f"'{NEED_ORG}" in cells
    cells = all_cells(assert_safe_csv(outcomes.text))
    assert f"'{NOTE}" in cells and f"'-Oxygen sensor for shrimp ponds {tag}" in cells
    audit = api.get(
        "/reviews/audit", "moderator", params={"format": "csv", "need_id": made["need"]}
    )
    assert audit.status_code == 200 and audit.headers["content-type"].startswith("text/csv")
    rows = assert_safe_csv(audit.text)
    assert rows[0][-1] == "after_note" and rows[1][-1] == f"'{NOTE}" and len(rows) == 2


@pytest.mark.parametrize("path", ["/reviews", "/outcomes", "/reviews/audit"])
def test_xlsx_exports_hold_text_not_formulas(api: Api, path: str) -> None:
    made = evil_session(api)
    params = (
        {"format": "xlsx", "need_id": made["need"]}
        if path != "/outcomes"
        else {
            "format": "xlsx",
            "session_id": made["sid"],
        }
    )
    r = api.get(path, "moderator", params=params)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    assert r.headers["content-disposition"].endswith('.xlsx"')
    sheet = openpyxl.load_workbook(io.BytesIO(r.content)).active
    assert sheet is not None
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    types = {c.data_type for row in sheet.iter_rows() for c in row}
    assert "f" not in types
    csv_text = api.get(path, "moderator", params={**params, "format": "csv"}).text
    csv_rows = list(csv.reader(io.StringIO(csv_text)))
    assert values[0] == csv_rows[0] and len(values) == len(csv_rows) == 2
    flat = {v for row in values for v in row}
    assert NOTE in flat
    assert api.get(path, "company", params=params).status_code == 403


def test_helper_cells() -> None:
    for start in FORMULA_START:
        assert neutralise(f"{start}1+1") == f"'{start}1+1"
        assert cell(f"{start}x") == f"'{start}x"
    assert neutralise("a=b") == "a=b" and cell(-5) == -5 and cell("") == ""
    book = write_xlsx([Column("v", lambda row: row)], ["=1+1", "-2", 3, None, "ok\x01"], "t")
    sheet = openpyxl.load_workbook(io.BytesIO(book)).active
    assert sheet is not None
    assert [c.value for c in sheet["A"]] == ["v", "=1+1", "-2", 3, None, "ok"]
    assert sheet["A2"].data_type == "s"


def test_import_error_report_neutralises() -> None:
    report = {"errors": [{"row": 2, "errors": [{"loc": ["title"], "msg": "=cmd()", "type": "@x"}]}]}
    rows = assert_safe_csv(errors_csv(report, "en").decode("utf-8"))
    assert rows[1] == ["2", "title", "'=cmd()", "'@x"]
