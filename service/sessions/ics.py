"""An agenda as an iCalendar file (RFC 5545, written here: no extra dependency)."""

from __future__ import annotations

from datetime import UTC, datetime

from service.sessions.agenda import Agenda, AgendaItem
from service.sessions.times import location


def ics_text(value: str) -> str:
    """Escape a TEXT value (RFC 5545 §3.3.11): backslash first, then ``;`` ``,`` and line
    breaks (as ``\\n``)."""
    return (
        value.replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\\n")
        .replace("\n", "\\n")
        .replace("\r", "\\n")
    )


def ics_fold(line: str) -> str:
    """Fold a content line into lines of at most 75 octets (RFC 5545 §3.1), never inside a
    UTF-8 character; continuation lines start with one space."""
    out: list[str] = []
    current = ""
    size = 0
    limit = 75
    for char in line:
        width = len(char.encode("utf-8"))
        if size + width > limit:
            out.append(current)
            current, size, limit = " ", 1, 75
        current += char
        size += width
    out.append(current)
    return "\r\n".join(out)


def ics_time(value: datetime) -> str:
    """A UTC DATE-TIME: ``YYYYMMDDTHHMMSSZ``."""
    return value.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def _summary(item: AgendaItem, posting_id: int | None) -> str:
    if posting_id == item.need_id:
        return f"{item.offer_organization}: {item.offer_title}"
    if posting_id == item.offer_id:
        return f"{item.need_organization}: {item.need_title}"
    return f"{item.need_organization} ↔ {item.offer_organization}"


def to_ics(agenda: Agenda, now: datetime | None = None) -> str:
    """The agenda as an iCalendar file: one VEVENT per meeting, times in UTC, CRLF line
    endings, lines folded at 75 octets (``now``: the DTSTAMP, default the current time)."""
    stamp = ics_time(now or datetime.now(UTC))
    session = agenda.session
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//techmatch//sessions//EN",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        f"X-WR-CALNAME:{ics_text(session.name)}",
    ]
    for item in agenda.items:
        place = location(item.table)
        if session.venue:
            place = f"{place}, {session.venue}"
        description = (
            f"Need #{item.need_id}: {item.need_title} ({item.need_organization})\n"
            f"Offer #{item.offer_id}: {item.offer_title} ({item.offer_organization})\n"
            f"{session.name}"
        )
        lines += [
            "BEGIN:VEVENT",
            f"UID:techmatch-session-{session.id}-{item.pair_id}@techmatch",
            f"DTSTAMP:{stamp}",
            f"DTSTART:{ics_time(item.start)}",
            f"DTEND:{ics_time(item.end)}",
            f"SUMMARY:{ics_text(_summary(item, agenda.posting_id))}",
            f"LOCATION:{ics_text(place)}",
            f"DESCRIPTION:{ics_text(description)}",
            "END:VEVENT",
        ]
    lines.append("END:VCALENDAR")
    return "".join(ics_fold(line) + "\r\n" for line in lines)
