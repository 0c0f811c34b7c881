"""When and where a session's slots and tables are (slots and tables are 0-based)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from service.db.models import SessionRow
from service.errors import Invalid


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


#: Sessions start and end inside this window (UTC); outside it the times are nonsense
#: and some cannot even be shown in their own offset.
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
LATEST = datetime(2200, 1, 1, tzinfo=UTC)


def check_window(start: datetime, slot_minutes: int, slots: int) -> None:
    """422 unless ``start`` (aware) and the end of the last slot lie in the sane window."""
    try:
        ok = start >= EARLIEST and start + timedelta(minutes=slot_minutes * slots) <= LATEST
    except OverflowError:
        ok = False
    if not ok:
        raise Invalid(
            f"the session must start and end between {EARLIEST.date()} and {LATEST.date()} (UTC)",
            ("body", "start"),
            msg_vi=f"Phiên phải bắt đầu và kết thúc trong khoảng {EARLIEST.date()} đến "
            f"{LATEST.date()} (UTC).",
        )


def row_in_window(row: SessionRow) -> bool:
    """Whether a stored session's times can be computed (rows stored before the check)."""
    try:
        check_window(row.start, row.slot_minutes, row.slots)
        slot_end(row, row.slots - 1)
    except (Invalid, OverflowError, ValueError):
        return False
    return True
