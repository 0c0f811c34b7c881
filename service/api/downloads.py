"""File answers of the exports (CSV, XLSX, iCalendar): the content with its type and a
file name."""

from __future__ import annotations

from typing import Any

from fastapi.responses import Response

from service.csv_export import XLSX

CSV = "text/csv; charset=utf-8"
ICS = "text/calendar; charset=utf-8"
#: The OpenAPI ``content`` of an export that is JSON, CSV or XLSX.
TABLE_CONTENT: dict[str, dict[str, Any]] = {"application/json": {}, "text/csv": {}, XLSX: {}}


def download(text: str | bytes, filename: str, media_type: str = CSV) -> Response:
    """``text`` as an attachment named ``filename`` (CSV unless ``media_type`` says)."""
    return Response(
        text,
        media_type=media_type,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
