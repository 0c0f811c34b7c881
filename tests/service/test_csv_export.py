"""The one CSV writer of the exports: header, cells, quoting, line endings."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta, timezone

from service.csv_export import Column, cell, header, write_csv

COLUMNS: tuple[Column[dict[str, object]], ...] = (
    Column("id", lambda row: row["id"]),
    Column("text", lambda row: row["text"]),
    Column("flag", lambda row: row["flag"]),
    Column("at", lambda row: row["at"]),
)


def test_cells() -> None:
    assert cell(None) == "" and cell(True) == "true" and cell(False) == "false"
    assert cell(0) == 0 and cell("") == ""
    assert cell(date(2026, 12, 5)) == "2026-12-05"
    at = datetime(2026, 12, 5, 8, 30, tzinfo=timezone(timedelta(hours=7)))
    assert cell(at) == "2026-12-05T08:30:00+07:00"


def test_write_csv_exactly() -> None:
    rows = [
        {"id": 1, "text": 'a "quoted", text', "flag": True, "at": datetime(2026, 1, 2, tzinfo=UTC)},
        {"id": 2, "text": "two\nlines", "flag": None, "at": None},
    ]
    text = write_csv(COLUMNS, rows)
    assert text == (
        "id,text,flag,at\r\n"
        '1,"a ""quoted"", text",true,2026-01-02T00:00:00+00:00\r\n'
        '2,"two\nlines",,\r\n'
    )
    assert not text.startswith("\ufeff")
    assert header(COLUMNS) == ("id", "text", "flag", "at")
    back = list(csv.DictReader(io.StringIO(text)))
    assert back[0]["text"] == 'a "quoted", text' and back[1]["text"] == "two\nlines"


def test_no_rows_is_the_header_only() -> None:
    assert write_csv(COLUMNS, []) == "id,text,flag,at\r\n"
