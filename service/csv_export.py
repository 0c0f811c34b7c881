"""The one CSV (and XLSX) writer of every export (reviews, agendas, outcomes, import
error reports).

An export is a list of :class:`Column` — a header and how to read its cell from a row —
so the header and the cells cannot drift apart. Cells are written by the standard
``csv`` module (excel dialect: ``,``, minimal quoting, CRLF rows, no BOM): ``None`` as an
empty cell, booleans as ``true`` / ``false``, dates and times in ISO 8601.

Text a spreadsheet would run as a formula (starting with ``=``, ``+``, ``-``, ``@``, tab or
carriage return) gets a leading ``'`` in CSV (OWASP's advice on CSV injection); in XLSX
every text cell is stored as a string, which Excel never evaluates.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Generic, TypeVar

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

Row = TypeVar("Row")

#: First characters that make a spreadsheet read a cell as a formula.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def neutralise(text: str) -> str:
    """``text`` with a leading ``'`` when a spreadsheet would evaluate it as a formula."""
    return "'" + text if text.startswith(FORMULA_START) else text


@dataclass(frozen=True)
class Column(Generic[Row]):
    """One CSV column: its header and the cell value of a row."""

    name: str
    value: Callable[[Row], object]


def cell(value: object) -> object:
    """The CSV form of a value: ``""`` for ``None``, ``true``/``false``, ISO dates, text
    that could run as a formula prefixed with ``'``."""
    if isinstance(value, str):
        return neutralise(value)
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, date):  # datetime too
        return value.isoformat()
    return value


def header(columns: Sequence[Column[Row]]) -> tuple[str, ...]:
    """The header row of ``columns``."""
    return tuple(column.name for column in columns)


def write_csv(columns: Sequence[Column[Row]], rows: Iterable[Row]) -> str:
    """CSV text: the header row, then one line per row with each column's cell."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header(columns))
    for row in rows:
        writer.writerow([cell(column.value(row)) for column in columns])
    return buffer.getvalue()


def write_xlsx(columns: Sequence[Column[Row]], rows: Iterable[Row], title: str) -> bytes:
    """An XLSX workbook of one sheet named ``title``: the header row, then one line per
    row. Numbers stay numbers; everything else is stored as text (never a formula)."""
    book = Workbook(write_only=False)
    sheet = book.active
    assert sheet is not None
    sheet.title = title[:31]
    sheet.append(list(header(columns)))
    for row in rows:
        values = [_xlsx_value(column.value(row)) for column in columns]
        sheet.append(values)
    for line in sheet.iter_rows():
        for item in line:
            if isinstance(item.value, str):
                item.data_type = "s"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _xlsx_value(value: object) -> object:
    if isinstance(value, bool) or value is None or isinstance(value, date):
        value = cell(value)
    if isinstance(value, int | float):
        return value
    return ILLEGAL_CHARACTERS_RE.sub("", str(value))
