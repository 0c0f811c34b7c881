"""The one CSV writer of every export (reviews, agendas, outcomes).

An export is a list of :class:`Column` — a header and how to read its cell from a row —
so the header and the cells cannot drift apart. Cells are written by the standard
``csv`` module (excel dialect: ``,``, minimal quoting, CRLF rows, no BOM): ``None`` as an
empty cell, booleans as ``true`` / ``false``, dates and times in ISO 8601.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Generic, TypeVar

Row = TypeVar("Row")


@dataclass(frozen=True)
class Column(Generic[Row]):
    """One CSV column: its header and the cell value of a row."""

    name: str
    value: Callable[[Row], object]


def cell(value: object) -> object:
    """The CSV form of a value: ``""`` for ``None``, ``true``/``false``, ISO dates."""
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
