"""Booth-list files for the import tests: CSV text, XLSX workbooks, zip bombs."""

from __future__ import annotations

import io
import struct
import unicodedata
import zipfile
from typing import Any

from openpyxl import Workbook


def csv_rows(
    n: int,
    tag: str,
    bad_every: int = 0,
    header: str = "title,description,trl",
    english: bool = False,
) -> str:
    """``n`` rows of need/offer CSV (Vietnamese, or English: quicker to index); every
    ``bad_every``-th row has TRL 12."""
    lines = [header]
    title, text = ("Cold dryer", "Dries fruit") if english else ("Máy sấy lạnh", "Sấy trái cây")
    for i in range(1, n + 1):
        trl = 12 if bad_every and i % bad_every == 0 else (i % 9) + 1
        lines.append(f"{title} {tag} {i},{text} {tag} {i},{trl}")
    return "\n".join(lines) + "\n"


def xlsx(rows: list[list[Any]]) -> bytes:
    """A workbook whose first sheet holds ``rows`` (the first one is the header)."""
    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def xlsx_rows(n: int, tag: str, bad_rows: tuple[int, ...] = ()) -> bytes:
    """An XLSX booth list of ``n`` offers; the data rows numbered in ``bad_rows`` (1-based)
    have no description."""
    rows: list[list[Any]] = [["Tên công nghệ", "Mô tả", "Lĩnh vực", "TRL"]]
    for i in range(1, n + 1):
        description = None if i in bad_rows else f"Mô tả công nghệ {tag} số {i}"
        rows.append([f"Công nghệ {tag} {i}", description, "Năng lượng", (i % 9) + 1])
    return xlsx(rows)


def zip_bomb(uncompressed: int) -> bytes:
    """A valid-looking XLSX whose sheet unpacks to ``uncompressed`` bytes of spaces."""
    base = xlsx([["title", "description"], ["T", "D"]])
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(base)) as src,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst,
    ):
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                data = data.replace(b"<sheetData>", b"<sheetData>" + b" " * uncompressed, 1)
            dst.writestr(info.filename, data)
    return out.getvalue()


def lying_zip(uncompressed: int) -> bytes:
    """A zip bomb whose central directory declares the sheet as 1,000 bytes."""
    data = bytearray(zip_bomb(uncompressed))
    name = b"xl/worksheets/sheet1.xml"
    at = data.find(b"PK\x01\x02")
    while at != -1:
        name_length = struct.unpack_from("<H", data, at + 28)[0]
        if bytes(data[at + 46 : at + 46 + name_length]) == name:
            struct.pack_into("<I", data, at + 24, 1000)
        at = data.find(b"PK\x01\x02", at + 4)
    return bytes(data)


def cp1258(text: str) -> bytes:
    """``text`` encoded the way Windows-1258 stores Vietnamese (tones as combining marks)."""
    out = bytearray()
    for ch in text:
        try:
            out += ch.encode("cp1258")
            continue
        except UnicodeEncodeError:
            pass
        base, *marks = unicodedata.normalize("NFD", ch)
        for i, mark in enumerate(marks):
            rest = "".join(marks[:i] + marks[i + 1 :])
            try:
                out += unicodedata.normalize("NFC", base + mark).encode("cp1258")
                out += rest.encode("cp1258")
                break
            except UnicodeEncodeError:
                continue
        else:
            out += unicodedata.normalize("NFD", ch).encode("cp1258")
    return bytes(out)
