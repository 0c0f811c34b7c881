"""Reading booth lists: CSV, XLSX or JSONL bytes → numbered rows, within the limits.

Rows are numbered as a spreadsheet shows them (header = row 1) or, for JSONL, by line.
:func:`read_file` reads the whole file before anything is stored, so a file that cannot
be read (or is over a limit) stores nothing; a row that cannot be read becomes a row
problem and the others go on. No input makes a reader raise anything but
:class:`ImportFileError` or :class:`ImportTooLarge`.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import re
import zipfile
from collections.abc import Generator, Iterator
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from service.importing.decode import decode_text
from service.importing.errors import ImportFileError, TooManyRows, XlsxTooLarge
from service.importing.limits import MAX_COLUMNS, MAX_XLSX_MEMBERS, ImportLimits

FORMATS = ("csv", "xlsx", "jsonl")
_SEP_LINE = re.compile(r"^sep=(.)\s*$")


class Problem(NamedTuple):
    """Why a row could not be read: a key of :data:`messages.PROBLEMS` and its values."""

    key: str
    values: dict[str, Any]


#: One row: (row number, {column: value}, None) or (row number, None, problem).
Raw = tuple[int, dict[Any, Any] | None, Problem | None]


@dataclass
class ParsedFile:
    """Every row of a file, read and counted; ``encoding`` for text formats."""

    format: str
    rows: list[Raw] = field(default_factory=list)
    encoding: str | None = None


def guess_format(filename: str | None) -> str | None:
    """``csv``, ``xlsx`` or ``jsonl`` from a file name's extension (``None`` if unknown)."""
    name = (filename or "").lower()
    for ext, fmt in (
        (".csv", "csv"),
        (".tsv", "csv"),
        (".xlsx", "xlsx"),
        (".jsonl", "jsonl"),
        (".ndjson", "jsonl"),
    ):
        if name.endswith(ext):
            return fmt
    return None


def read_file(data: bytes, fmt: str, limits: ImportLimits | None = None) -> ParsedFile:
    """All rows of ``data`` (blank rows skipped); raises :class:`TooManyRows` as soon as
    the file passes ``limits.max_rows`` data rows."""
    limits = limits or ImportLimits()
    parsed = ParsedFile(format=fmt)
    rows = read_rows(data, fmt, limits, parsed)
    try:
        for raw in rows:
            parsed.rows.append(raw)
            if len(parsed.rows) > limits.max_rows:
                raise TooManyRows(limits.max_rows)
    finally:
        rows.close()
    return parsed


def read_rows(
    data: bytes, fmt: str, limits: ImportLimits | None = None, parsed: ParsedFile | None = None
) -> Generator[Raw, None, None]:
    """The rows of a file one by one (``parsed.encoding`` is set for text formats)."""
    limits = limits or ImportLimits()
    if fmt == "csv":
        decoded = decode_text(data)
        if parsed is not None:
            parsed.encoding = decoded.encoding
        return _read_csv(decoded.text)
    if fmt == "xlsx":
        check_xlsx(data, limits.max_xlsx_bytes)
        return _read_xlsx(data)
    if fmt == "jsonl":
        text_encoding = _jsonl_encoding(data)
        if parsed is not None:
            parsed.encoding = text_encoding
        return _read_jsonl(data, text_encoding)
    raise ImportFileError(
        f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}",
        ("query", "format"),
        msg_vi=f"Định dạng {fmt!r} không được hỗ trợ; hãy dùng {', '.join(FORMATS)}.",
    )


# -- CSV -------------------------------------------------------------------------


def _read_csv(text: str) -> Generator[Raw, None, None]:
    lines = text.split("\n", 2)
    offset = 0
    found = _SEP_LINE.match(lines[0].strip("\r"))  # Excel's "sep=;" first line
    if found:
        delimiter = found.group(1)
        text = text.split("\n", 1)[1] if len(lines) > 1 else ""
        offset = 1
    else:
        first = lines[0]
        delimiter = max(",;\t", key=first.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = next(reader, None)
        if header is None:
            return
        header = header[:MAX_COLUMNS]
        for values in reader:
            if not any(v.strip() for v in values):
                continue
            yield reader.line_num + offset, dict(zip(header, values, strict=False)), None
    except csv.Error as exc:
        raise ImportFileError(
            f"CSV error near line {reader.line_num + offset}: {exc}",
            ("body", "file"),
            msg_vi=f"Lỗi CSV gần dòng {reader.line_num + offset}: {exc}",
        ) from exc


# -- XLSX ------------------------------------------------------------------------


def _not_xlsx(exc: BaseException) -> ImportFileError:
    return ImportFileError(
        f"not a readable XLSX file ({type(exc).__name__})",
        ("body", "file"),
        msg_vi=f"Không đọc được tệp XLSX ({type(exc).__name__}); hãy mở và lưu lại bằng Excel.",
    )


def check_xlsx(data: bytes, max_bytes: int) -> None:
    """Refuse an XLSX whose zip parts declare more than ``max_bytes`` uncompressed, before
    anything is unpacked. (Python's zipfile stops every part at its declared size, so the
    declared sizes bound what openpyxl can unpack.)"""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
    except (
        zipfile.BadZipFile,
        zipfile.LargeZipFile,
        ValueError,
        OSError,
        EOFError,
        NotImplementedError,  # a damaged header claiming a zip version Python cannot read
    ) as exc:
        raise _not_xlsx(exc) from exc
    if len(members) > MAX_XLSX_MEMBERS:
        raise XlsxTooLarge(sum(m.file_size for m in members), max_bytes)
    declared = sum(m.file_size for m in members)
    if declared > max_bytes:
        raise XlsxTooLarge(declared, max_bytes)


def _read_xlsx(data: bytes) -> Generator[Raw, None, None]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a broken file
        raise _not_xlsx(exc) from exc
    try:
        if not workbook.worksheets:
            return
        sheet = workbook.worksheets[0]
        rows = sheet.iter_rows(values_only=True, max_col=MAX_COLUMNS)
        header = next(rows, None)
        if header is None:
            return
        names = ["" if h is None else str(h) for h in header]
        for number, values in enumerate(rows, start=2):
            if not any(v not in (None, "") for v in values):
                continue
            yield number, dict(zip(names, values, strict=False)), None
    except ImportFileError:
        raise
    except Exception as exc:  # a damaged sheet fails while it is read
        raise _not_xlsx(exc) from exc
    finally:
        workbook.close()


# -- JSONL -----------------------------------------------------------------------


def _jsonl_encoding(data: bytes) -> str:
    if data.startswith(codecs.BOM_UTF16_LE) or data.startswith(codecs.BOM_UTF16_BE):
        return "utf-16"
    return "utf-8-sig" if data.startswith(codecs.BOM_UTF8) else "utf-8"


def _jsonl_lines(data: bytes, encoding: str) -> Iterator[tuple[int, str | Problem]]:
    """Numbered lines as text, or a problem for a line that is not UTF-8."""
    if encoding == "utf-16":
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise ImportFileError(
                "the file starts as UTF-16 text but is not valid UTF-16; save it as UTF-8",
                ("body", "file"),
                msg_vi="Tệp có dạng UTF-16 nhưng không hợp lệ; hãy lưu tệp dạng UTF-8.",
            ) from exc
        for number, line in enumerate(text.split("\n"), start=1):
            yield number, line
        return
    if encoding == "utf-8-sig":
        data = data[len(codecs.BOM_UTF8) :]
    for number, chunk in enumerate(data.split(b"\n"), start=1):
        try:
            yield number, chunk.decode("utf-8")
        except UnicodeDecodeError as exc:
            yield (
                number,
                Problem(
                    "line_not_utf8", {"byte": f"{chunk[exc.start]:02x}", "column": exc.start + 1}
                ),
            )


def _read_jsonl(data: bytes, encoding: str) -> Generator[Raw, None, None]:
    for number, line in _jsonl_lines(data, encoding):
        if isinstance(line, Problem):
            yield number, None, line
            continue
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except json.JSONDecodeError as exc:
            yield number, None, Problem("json_invalid", {"detail": exc.msg})
            continue
        except RecursionError:
            yield number, None, Problem("json_too_deep", {})
            continue
        except ValueError:  # e.g. an integer of more than 4300 digits
            yield number, None, Problem("json_number", {})
            continue
        if not isinstance(value, dict):
            yield number, None, Problem("json_not_object", {})
            continue
        yield number, value, None
