"""An import's row errors as a CSV file for Excel (UTF-8 with BOM, one line per error).

Cells that Excel would run as a formula (starting with ``=``, ``+``, ``-``, ``@``, tab or
carriage return) are prefixed with ``'`` (OWASP's advice on CSV injection).
"""

from __future__ import annotations

import csv
import io
from typing import Any

from service.csv_export import neutralise

_HEADERS = {
    "vi": ("dòng", "trường", "lỗi", "mã lỗi"),
    "en": ("row", "field", "message", "type"),
}


def csv_cell(value: object) -> str:
    """``value`` as a CSV cell that no spreadsheet evaluates."""
    return neutralise("" if value is None else str(value))


def errors_csv(report: dict[str, Any], lang: str) -> bytes:
    """The CSV bytes of ``report["errors"]`` (headers in ``lang``)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(_HEADERS["vi" if lang == "vi" else "en"])
    for item in report.get("errors", []):
        for error in item.get("errors", []):
            field = ".".join(str(p) for p in error.get("loc", []))
            writer.writerow(
                [
                    csv_cell(item.get("row")),
                    csv_cell(field),
                    csv_cell(error.get("msg")),
                    csv_cell(error.get("type")),
                ]
            )
    return "\ufeff".encode() + buffer.getvalue().encode("utf-8")
