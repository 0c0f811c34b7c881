"""No import input can make a 500 (issue 13, item 7): the readers and the row validation
under hypothesis, and a list of nasty files through the API (SQLite and PostgreSQL)."""

from __future__ import annotations

import io
import json
import zipfile

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from service.importing import ImportFileError, ImportLimits, ImportTooLarge, read_file
from service.importing.rows import ImportReport, prepare_row
from tests.service.conftest import Api, unique
from tests.service.import_files import xlsx, zip_bomb
from tests.service.test_imports import upload

LIMITS = ImportLimits(max_rows=200, max_xlsx_bytes=2_000_000)
FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def read_and_validate(data: bytes, fmt: str) -> None:
    """What an import does before storing: only the two file errors may escape."""
    try:
        parsed = read_file(data, fmt, LIMITS)
    except (ImportFileError, ImportTooLarge):
        return
    report = ImportReport(kind="need")
    for raw in parsed.rows:
        for lang in ("vi", "en"):
            row = prepare_row(raw, fmt != "jsonl", lang)
            assert (row.data is None) != (row.error is None)
            if row.error is not None:
                report.errors.append(row.error)
    json.dumps(report.to_dict(), ensure_ascii=False).encode("utf-8")  # the answer encodes


CSV_PIECES = st.sampled_from(
    [
        "title",
        "description",
        "trl",
        "sector",
        "Tên công nghệ",
        "Mô tả",
        "keywords",
        "contact_email",
        "external_id",
        "organization",
        ",",
        ";",
        "\t",
        "\n",
        "\r\n",
        '"',
        '""',
        "\x00",
        "\ufeff",
        "\ud800",
        "=cmd|' /C calc'!A0",
        "9" * 5000,
        "x" * 300,
        "energy",
        "Năng lượng",
        "12",
        "5",
        "-1",
        "a@b",
        "2026-13-45",
        "sep=;",
        " ",
        "²",
    ]
)
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=20,
)
FIELDS = st.sampled_from(
    [
        "title",
        "description",
        "trl",
        "sector",
        "keywords",
        "contact",
        "organization",
        "transfer_modes",
        "expires_on",
        "status",
        "language",
        "external_id",
        "x",
    ]
)


@FUZZ
@given(st.lists(CSV_PIECES, max_size=60), st.sampled_from(["utf-8", "utf-16", "cp1258"]))
def test_csv_text_never_escapes(pieces: list[str], encoding: str) -> None:
    text = "".join(pieces)
    data = (
        text.encode(encoding, errors="ignore")
        if encoding != "utf-8"
        else text.encode("utf-8", "surrogatepass")
    )
    read_and_validate(data, "csv")


@FUZZ
@given(st.binary(max_size=3000))
def test_any_bytes_as_csv_jsonl_or_xlsx(data: bytes) -> None:
    for fmt in ("csv", "jsonl", "xlsx"):
        read_and_validate(data, fmt)


@FUZZ
@given(st.lists(st.dictionaries(FIELDS, JSON_VALUES, max_size=6), max_size=8))
def test_jsonl_objects_never_escape(objects: list[dict]) -> None:
    lines = [json.dumps(o) for o in objects]
    read_and_validate("\n".join(lines).encode(), "jsonl")


_BASE_XLSX = xlsx([["title", "description", "trl"], ["Máy sấy", "Sấy lạnh", 5], ["A", None, 12]])


@FUZZ
@given(st.lists(st.tuples(st.integers(0, len(_BASE_XLSX) - 1), st.integers(0, 255)), max_size=8))
def test_damaged_xlsx_never_escapes(flips: list[tuple[int, int]]) -> None:
    data = bytearray(_BASE_XLSX)
    for at, value in flips:
        data[at] = value
    read_and_validate(bytes(data), "xlsx")


def _zip(files: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return out.getvalue()


ENTITY_BOMB = (  # "billion laughs" in the sheet itself: defusedxml refuses the entities
    b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol0 "lol">'
    + b"".join(
        f'<!ENTITY lol{i} "{("&lol" + str(i - 1) + ";") * 10}">'.encode() for i in range(1, 10)
    )
    + b']><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    + b'<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>&lol9;</t></is></c></row>'
    + b"</sheetData></worksheet>"
)


def _with_part(name: str, content: bytes) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(_BASE_XLSX)) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            dst.writestr(info.filename, content if info.filename == name else src.read(info))
        if name not in src.namelist():
            dst.writestr(name, content)
    return out.getvalue()


def _huge_dimension() -> bytes:
    """The base workbook with its sheet declaring every cell of Excel's grid."""
    with zipfile.ZipFile(io.BytesIO(_BASE_XLSX)) as src:
        sheet = src.read("xl/worksheets/sheet1.xml")
    start = sheet.index(b'<dimension ref="')
    end = sheet.index(b'"', start + len(b'<dimension ref="'))
    sheet = sheet[:start] + b'<dimension ref="A1:XFD1048576' + sheet[end:]
    return _with_part("xl/worksheets/sheet1.xml", sheet)


NASTY: list[tuple[str, str, bytes]] = [
    ("deep JSONL line", "a.jsonl", b"[" * 100_000),
    ("deep JSONL object", "a.jsonl", b'{"title": ' + b"[" * 100_000 + b"}"),
    (
        "deep value within limits",
        "a.jsonl",
        b'{"title": "T", "description": ' + b"[" * 900 + b"]" * 900 + b"}",
    ),
    ("huge integer", "a.jsonl", b'{"title": "T", "description": "D", "trl": ' + b"9" * 5000 + b"}"),
    (
        "NaN and Infinity",
        "a.jsonl",
        b'{"title": "T", "description": "D", "trl": NaN}\n{"trl": Infinity}',
    ),
    ("lone surrogate key", "a.jsonl", b'{"\\ud800": "x", "title": "\\udc00", "description": "D"}'),
    (
        "lone surrogate sector",
        "a.jsonl",
        b'{"title": "T", "description": "D", "sector": "\\ud800"}',
    ),
    (
        "long sector",
        "a.jsonl",
        b'{"title": "T", "description": "D", "sector": "' + b"s" * 100_000 + b'"}',
    ),
    (
        "contact with many keys",
        "a.jsonl",
        json.dumps(
            {"title": "T", "description": "D", "contact": {f"k{i}": i for i in range(5000)}}
        ).encode(),
    ),
    ("many unknown columns", "a.jsonl", json.dumps({f"col{i}": i for i in range(5000)}).encode()),
    ("not an object", "a.jsonl", b'1\n"x"\nnull\ntrue\n[]'),
    ("JSONL bad UTF-8", "a.jsonl", b'{"title": "\xc3\x28"}'),
    ("JSONL UTF-16 broken", "a.jsonl", b"\xff\xfe{\x00\x00\xd8"),
    ("empty", "a.csv", b""),
    ("BOM only", "a.csv", b"\xef\xbb\xbf"),
    ("header only", "a.csv", b"title,description\n"),
    ("NUL bytes", "a.csv", b"title,description\nA\x00B,C\x00\n"),
    ("odd UTF-16", "a.csv", "title,description\nA,B\n".encode("utf-16-le") + b"\x00"),
    ("huge field", "a.csv", b'title,description\n"' + b"x" * 200_000 + b'",D\n'),
    ("unclosed quote", "a.csv", b'title,description\n"A,B\nC,D\n'),
    ("digits TRL", "a.csv", "title,description,trl\nA,B,²\nC,D,99999999999999999999\n".encode()),
    ("formula cells", "a.csv", b'title,description\n=HYPERLINK("http://evil.example"),@SUM(1+1)\n'),
    ("only separators", "a.csv", b";;;;\n;;;;\n"),
    (
        "header with 20000 columns",
        "a.csv",
        (",".join(f"c{i}" for i in range(20000)) + "\n1\n").encode(),
    ),
    ("not a zip", "a.xlsx", b"PK\x03\x04 not really a zip"),
    ("empty zip", "a.xlsx", _zip({})),
    ("zip without workbook", "a.xlsx", _zip({"hello.txt": b"hi"})),
    ("zip bomb", "a.xlsx", zip_bomb(80 * 1024 * 1024)),
    ("entity bomb", "a.xlsx", _with_part("xl/worksheets/sheet1.xml", ENTITY_BOMB)),
    (
        "broken sheet XML",
        "a.xlsx",
        _with_part("xl/worksheets/sheet1.xml", b"<worksheet><sheetData><row>"),
    ),
    ("sheet dimension A1:XFD1048576", "a.xlsx", _huge_dimension()),
]


@pytest.mark.parametrize(("case", "name", "data"), NASTY, ids=[n[0] for n in NASTY])
def test_nasty_files_are_never_a_500(api: Api, case: str, name: str, data: bytes) -> None:
    for who, kind in (("company", "need"), ("moderator", "offer")):
        for lang in ("vi", "en"):
            r = upload(api, kind, name, data, who=who, lang=lang)
            assert r.status_code < 500, (case, r.status_code, r.text[:500])
            assert r.status_code in (200, 202, 413, 422), (case, r.status_code, r.text[:500])
            body = r.json()
            if r.status_code == 200:
                assert body["rows"] == body["created"] + body["updated"] + body["failed"]
            else:
                assert body.get("detail") or body.get("state"), body
    # the connection stays usable afterwards
    assert api.get("/needs", "company", params={"limit": 1}).status_code == 200


def test_deep_jsonl_line_is_a_row_error_and_the_rest_is_stored(api: Api) -> None:
    tag = unique("deep")
    data = b"[" * 100_000 + b"\n" + json.dumps({"title": f"T {tag}", "description": "D"}).encode()
    report = upload(api, "need", "d.jsonl", data, who="company").json()
    assert (report["rows"], report["created"], report["failed"]) == (2, 1, 1)
    error = report["errors"][0]
    assert error["row"] == 1 and error["errors"][0]["type"] == "row_invalid"
    assert "nested too deeply" in error["errors"][0]["msg"]
