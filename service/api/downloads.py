"""File answers of the exports (CSV, iCalendar): the text with its type and a file name."""

from __future__ import annotations

from fastapi.responses import Response

CSV = "text/csv; charset=utf-8"
ICS = "text/calendar; charset=utf-8"


def download(text: str, filename: str, media_type: str = CSV) -> Response:
    """``text`` as an attachment named ``filename`` (CSV unless ``media_type`` says)."""
    return Response(
        text,
        media_type=media_type,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
