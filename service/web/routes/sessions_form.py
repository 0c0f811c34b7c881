"""The session form: date, time and time zone typed by the organiser ↔ ``start`` with its
UTC offset, and the other fields ↔ :class:`SessionCreate` / :class:`SessionUpdate`."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone, tzinfo
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from starlette.datastructures import FormData

from service.schemas.sessions import SessionOut

DEFAULT_ZONE = "Asia/Ho_Chi_Minh"
#: Time zones offered in the form (any IANA name or "UTC+07:00" is accepted).
ZONES = (
    "Asia/Ho_Chi_Minh",
    "Asia/Bangkok",
    "Asia/Singapore",
    "Asia/Shanghai",
    "Asia/Seoul",
    "Asia/Tokyo",
    "Australia/Sydney",
    "Europe/Berlin",
    "Europe/London",
    "UTC",
)
NUMBERS = ("slot_minutes", "slots", "tables", "max_meetings_per_participant", "fairness_k")
DEFAULTS: dict[str, str] = {
    "name": "",
    "venue": "",
    "date": "",
    "time": "08:30",
    "tz": DEFAULT_ZONE,
    "slot_minutes": "20",
    "slots": "9",
    "tables": "30",
    "max_meetings_per_participant": "6",
    "fairness_k": "1",
}


def zone(name: str) -> tzinfo:
    """The time zone ``name``: an IANA name or ``UTC±HH:MM`` (``ValueError`` otherwise)."""
    if name.startswith("UTC") and len(name) == 9 and name[3] in "+-":
        hours, minutes = int(name[4:6]), int(name[7:9])
        sign = 1 if name[3] == "+" else -1
        return timezone(sign * timedelta(hours=hours, minutes=minutes))
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(name) from exc


def offset_name(offset: timedelta) -> str:
    """``UTC+07:00`` for an offset of 7 hours."""
    minutes = int(offset.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    minutes = abs(minutes)
    return f"UTC{sign}{minutes // 60:02d}:{minutes % 60:02d}"


def form_values(form: FormData) -> dict[str, str]:
    """The strings the organiser typed."""
    return {name: str(form.get(name) or "").strip() for name in DEFAULTS}


def start_of(values: dict[str, str]) -> tuple[datetime | None, str | None]:
    """The start (aware) of the form's date, time and zone, or the field in error."""
    try:
        day = date.fromisoformat(values["date"])
        clock = time.fromisoformat(values["time"])
    except ValueError:
        return None, "date"
    try:
        tz = zone(values["tz"] or DEFAULT_ZONE)
    except ValueError:
        return None, "tz"
    return datetime.combine(day, clock, tzinfo=tz), None


def payload(values: dict[str, str], start: datetime) -> dict[str, Any]:
    """The :class:`SessionCreate` data of the form."""
    data: dict[str, Any] = {"name": values["name"], "venue": values["venue"] or None}
    data["start"] = start
    for name in NUMBERS:
        text = values[name]
        data[name] = int(text) if text.lstrip("-").isdigit() else text
    return data


def session_values(session: SessionOut) -> dict[str, str]:
    """The form's values for an existing session (its zone: the first offered zone with
    the same offset on that day, else the fixed offset)."""
    start = session.start
    offset = start.utcoffset() or timedelta(0)
    naive = start.replace(tzinfo=None)
    name = next(
        (z for z in ZONES if ZoneInfo(z).utcoffset(naive) == offset),
        offset_name(offset),
    )
    values = {
        "name": session.name,
        "venue": session.venue or "",
        "date": start.date().isoformat(),
        "time": start.strftime("%H:%M"),
        "tz": name,
    }
    for field in NUMBERS:
        values[field] = str(getattr(session, field))
    return values


def zone_choices(current: str) -> list[str]:
    """The zones of the select, with ``current`` among them."""
    return list(ZONES) if current in ZONES or not current else [*ZONES, current]
