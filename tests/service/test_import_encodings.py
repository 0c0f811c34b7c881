"""Text imports in the encodings Excel and Notepad write (issue 12): UTF-8 with or without
BOM, UTF-16 with or without BOM, Windows-1258 and Windows-1252, ``;`` separators and
Excel's ``sep=`` line; otherwise a 422 naming the first line that cannot be read."""

from __future__ import annotations

import codecs

import pytest

from service.importing import ImportFileError, read_file
from service.importing.decode import decode_text
from tests.service.conftest import Api, unique
from tests.service.import_files import cp1258
from tests.service.test_imports import upload

VI_TEXT = (
    "Tên công nghệ;Mô tả;Lĩnh vực;Tỉnh\n"
    "Chế phẩm vi sinh xử lý nước thải;Giảm 80% COD cho nhà máy chế biến thủy sản.;"
    "Môi trường;Hải Phòng\n"
    "Máy sấy lạnh;Sấy trái cây giữ màu, đạt tiêu chuẩn xuất khẩu;Năng lượng;Đà Nẵng\n"
)


@pytest.mark.parametrize(
    ("data", "encoding"),
    [
        (VI_TEXT.encode("utf-8"), "utf-8"),
        (codecs.BOM_UTF8 + VI_TEXT.encode("utf-8"), "utf-8-sig"),  # Excel "CSV UTF-8"
        (VI_TEXT.encode("utf-16"), "utf-16"),  # with a BOM (Excel "Unicode Text")
        (VI_TEXT.encode("utf-16-le"), "utf-16-le"),
        (VI_TEXT.encode("utf-16-be"), "utf-16-be"),
        (cp1258(VI_TEXT), "cp1258"),  # Excel "CSV" on a Vietnamese Windows
        (cp1258("Tên;Mô tả\nĐèn LED;Tiết kiệm điện\n"), "cp1258"),  # short
    ],
    ids=["utf8", "utf8-bom", "utf16-bom", "utf16le", "utf16be", "cp1258", "cp1258-short"],
)
def test_encodings_are_detected(data: bytes, encoding: str) -> None:
    decoded = decode_text(data)
    assert decoded.encoding == encoding
    assert decoded.text.lstrip("\ufeff") in (VI_TEXT, "Tên;Mô tả\nĐèn LED;Tiết kiệm điện\n")


def test_windows_1252_and_excel_sep_line() -> None:
    parsed = read_file("sep=;\ntitre;description\nCafé crème;Très bon\n".encode("cp1252"), "csv")
    assert parsed.encoding == "cp1252"
    assert parsed.rows == [(3, {"titre": "Café crème", "description": "Très bon"}, None)]


@pytest.mark.parametrize(
    ("data", "line"),
    [
        ("title,description\nCà phê,x\n".encode() + cp1258("Trà đá,y\n"), 3),
        (b"title,description\nA,B\nC,\x81\x8d\x8f\x90\x9d\n", 3),
        (codecs.BOM_UTF8 + b"title,description\nA,B\n\xff\xfe,x\n", 3),
    ],
    ids=["mixed", "no-code-page", "bad-after-bom"],
)
def test_unreadable_text_names_the_first_bad_line(data: bytes, line: int) -> None:
    with pytest.raises(ImportFileError) as caught:
        decode_text(data)
    assert f"line {line}" in caught.value.msg
    assert f"dòng {line}" in (caught.value.msg_vi or "")


def test_vietnamese_windows_csv_over_the_api(api: Api) -> None:
    tag = unique("cp")
    text = VI_TEXT.replace("Máy sấy lạnh", f"Máy sấy lạnh {tag}")
    report = upload(api, "offer", "ds.csv", cp1258(text)).json()
    assert report["encoding"] == "cp1258" and report["created"] == 2, report
    titles = {api.get(f"/offers/{i}", "admin").json()["title"] for i in report["ids"]}
    assert f"Máy sấy lạnh {tag}" in titles
    offer = api.get(f"/offers/{report['ids'][1]}", "admin").json()
    assert offer["sector"] == "energy" and offer["province"] == "Đà Nẵng"
    bad = upload(api, "offer", "m.csv", VI_TEXT.encode() + cp1258("Trà;x;energy;Huế\n"), lang="vi")
    assert bad.status_code == 422 and "dòng 4" in bad.json()["detail"][0]["msg"]


def test_jsonl_line_that_is_not_utf8_is_a_row_error(api: Api) -> None:
    data = b'{"title": "A", "description": "B"}\n{"title": "\xff", "description": "x"}\n'
    report = upload(api, "offer", "a.jsonl", data).json()
    assert report["failed"] == 1 and report["errors"][0]["row"] == 2
    assert "not valid UTF-8" in report["errors"][0]["errors"][0]["msg"]
    utf16 = '{"title": "Cà phê", "description": "Bột"}\n'.encode("utf-16")
    assert upload(api, "offer", "b.jsonl", utf16).json()["encoding"] == "utf-16"
