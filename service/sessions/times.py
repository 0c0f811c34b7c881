"""When and where a session's slots and tables are (slots and tables are 0-based)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from service.db.models import SessionRow


def location(table: int) -> str:
    """The printed name of 0-based ``table``."""
    return f"Table {table + 1}"


def session_tz(row: SessionRow) -> timezone:
    """The UTC offset the session was created with."""
    return timezone(timedelta(minutes=row.utc_offset_minutes))


def slot_start(row: SessionRow, slot: int) -> datetime:
    """Start of ``slot`` in the session's own UTC offset."""
    return (row.start + timedelta(minutes=row.slot_minutes * slot)).astimezone(session_tz(row))


def slot_end(row: SessionRow, slot: int) -> datetime:
    """End of ``slot`` in the session's own UTC offset."""
    return slot_start(row, slot) + timedelta(minutes=row.slot_minutes)
