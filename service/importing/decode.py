"""Bytes of a text import (CSV, JSONL) → text, whatever Excel or Notepad saved.

Handled: UTF-8 with or without BOM (Excel's "CSV UTF-8" has one), UTF-16 with a BOM
(Excel's "Unicode Text") or without one, and the single-byte code pages of Windows:
Windows-1258 (plain "CSV" from Excel on a Vietnamese Windows; tones as combining marks,
composed here to NFC) when the text then holds letters only Vietnamese has, else
Windows-1252. Anything else — or a file that is UTF-8 except for some lines — is refused,
naming the first line that is not UTF-8.

charset-normalizer was tried for the code-page choice and left out: on short Vietnamese
rows saved as Windows-1258 it answered Windows-1250/1252 (wrong letters, silently), and it
took Big5 for CP949; a clear error naming the line is better than a wrong guess.
"""

from __future__ import annotations

import codecs
import unicodedata
from dataclasses import dataclass

from service.importing.errors import ImportFileError

#: Letters only Vietnamese text has (Windows-1252 cannot produce them).
_VIETNAMESE = frozenset([chr(c) for c in range(0x1EA0, 0x1EFA)] + list("ăĂđĐơƠưƯĩĨũŨ"))
#: Tone marks Windows-1258 writes as separate characters.
_TONES = frozenset("\u0300\u0301\u0303\u0309\u0323")
_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_LABELS = {"utf-8": "UTF-8", "utf-8-sig": "UTF-8", "utf-16": "UTF-16"}
_LABELS.update({"utf-16-le": "UTF-16", "utf-16-be": "UTF-16"})


@dataclass(frozen=True)
class Decoded:
    """The text of a file and the encoding it was read with (a Python codec name)."""

    text: str
    encoding: str


def decode_text(data: bytes) -> Decoded:
    """The text of ``data``; raises :class:`ImportFileError` naming the first bad line."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return Decoded(_strict(data, encoding), encoding)
    if _looks_utf16(data[:4096]):
        encoding = _utf16_order(data)
        return Decoded(_strict(data, encoding), encoding)
    try:
        return Decoded(data.decode("utf-8"), "utf-8")
    except UnicodeDecodeError as exc:
        if _has_utf8_lines(data):
            line = _line_of(data, "utf-8", exc.start)
            raise ImportFileError(
                f"the file mixes encodings: it is mostly UTF-8 but line {line} is not "
                f"(byte 0x{data[exc.start]:02x}); save it again as 'CSV UTF-8'",
                ("body", "file"),
                msg_vi=f"Tệp lẫn nhiều bảng mã: phần lớn là UTF-8 nhưng dòng {line} thì không "
                f"(byte 0x{data[exc.start]:02x}); hãy lưu lại tệp dạng “CSV UTF-8”.",
            ) from exc
        first_error = exc
    found = _single_byte(data)
    if found is not None:
        return found
    line = _line_of(data, "utf-8", first_error.start)
    raise ImportFileError(
        f"cannot tell the file's encoding: line {line} is not UTF-8 "
        f"(byte 0x{data[first_error.start]:02x}) nor a Windows code page; "
        "save it as 'CSV UTF-8'",
        ("body", "file"),
        msg_vi=f"Không nhận ra bảng mã của tệp: dòng {line} không phải UTF-8 "
        f"(byte 0x{data[first_error.start]:02x}) hay bảng mã Windows; hãy lưu tệp dạng "
        "“CSV UTF-8”.",
    ) from first_error


def encoding_label(encoding: str) -> str:
    """A reader-friendly name: ``UTF-8``, ``UTF-16``, ``Windows-1258``, …"""
    if encoding in _LABELS:
        return _LABELS[encoding]
    if encoding.startswith("cp") and encoding[2:].isdigit():
        return f"Windows-{encoding[2:]}"
    return encoding


def _strict(data: bytes, encoding: str) -> str:
    if encoding == "utf-8-sig":  # its errors count positions after the BOM
        data, encoding = data[len(codecs.BOM_UTF8) :], "utf-8"
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        label = encoding_label(encoding)
        line = _line_of(data, encoding, exc.start)
        raise ImportFileError(
            f"the file starts as {label} text but line {line} is not valid {label}; "
            "save it again as 'CSV UTF-8'",
            ("body", "file"),
            msg_vi=f"Tệp có dạng {label} nhưng dòng {line} không hợp lệ; hãy lưu lại tệp dạng "
            "“CSV UTF-8”.",
        ) from exc


def _looks_utf16(sample: bytes) -> bool:
    """Text of Latin letters in UTF-16 has a NUL in about every other byte."""
    return len(sample) >= 2 and sample.count(0) * 5 >= len(sample)


def _utf16_order(data: bytes) -> str:
    """``utf-16-le`` or ``utf-16-be`` for BOM-less UTF-16: Latin letters and digits put
    their NUL byte second (little-endian) or first (big-endian)."""
    sample = data[:4096]
    return "utf-16-le" if sample[1::2].count(0) >= sample[0::2].count(0) else "utf-16-be"


def _has_utf8_lines(data: bytes) -> bool:
    """Does some non-ASCII line of ``data`` decode as UTF-8 (so the file is meant as UTF-8)?"""
    for line in data.split(b"\n"):
        if line.isascii():
            continue
        try:
            line.decode("utf-8")
        except UnicodeDecodeError:
            continue
        return True
    return False


def _vietnamese_score(text: str) -> int:
    letters = sum(1 for c in text if c in _VIETNAMESE)
    stray_tones = sum(1 for c in text if c in _TONES)
    return letters - 5 * stray_tones


def _single_byte(data: bytes) -> Decoded | None:
    """Windows-1258 when it gives Vietnamese text, else Windows-1252 (``None``: neither
    code page can read ``data``)."""
    texts: dict[str, str] = {}
    for encoding in ("cp1258", "cp1252"):
        try:
            texts[encoding] = unicodedata.normalize("NFC", data.decode(encoding))
        except UnicodeDecodeError:
            continue
    if "cp1258" in texts and _vietnamese_score(texts["cp1258"]) > 0:
        return Decoded(texts["cp1258"], "cp1258")
    if "cp1252" in texts:
        return Decoded(texts["cp1252"], "cp1252")
    if "cp1258" in texts:
        return Decoded(texts["cp1258"], "cp1258")
    return None


def _line_of(data: bytes, encoding: str, position: int) -> int:
    """The 1-based line holding byte ``position`` of ``data``."""
    head = data[:position]
    if encoding.startswith("utf-16"):
        return head.decode(encoding, errors="replace").count("\n") + 1
    return head.count(b"\n") + 1
