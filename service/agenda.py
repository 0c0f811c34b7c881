"""Agenda exports of a session: CSV, JSON, iCalendar (RFC 5545, written here) and a
printable bilingual HTML page (Jinja2 with autoescape)."""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape

from service.sessions import AGENDA_COLUMNS, Agenda, AgendaItem, location

TEMPLATES = Path(__file__).parent / "templates_agenda"

_env = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=select_autoescape(["html"], default_for_string=True, default=True),
    trim_blocks=True,
    lstrip_blocks=True,
)

#: Labels of the printed agenda.
LABELS: dict[str, dict[str, str]] = {
    "vi": {
        "agenda": "Lịch gặp",
        "session": "Phiên kết nối cung–cầu công nghệ",
        "venue": "Địa điểm",
        "time": "Thời gian",
        "table": "Bàn",
        "need": "Nhu cầu",
        "offer": "Công nghệ chào bán",
        "with": "Gặp",
        "by_table": "Theo bàn",
        "by_participant": "Theo đơn vị tham gia",
        "no_meetings": "Chưa có cuộc gặp nào.",
        "printed": "In lúc",
        "slot_minutes": "phút mỗi lượt",
        "meetings": "cuộc gặp",
    },
    "en": {
        "agenda": "Meeting agenda",
        "session": "Tech-transfer session",
        "venue": "Venue",
        "time": "Time",
        "table": "Table",
        "need": "Need",
        "offer": "Offer",
        "with": "Meets",
        "by_table": "By table",
        "by_participant": "By participant",
        "no_meetings": "No meetings yet.",
        "printed": "Printed",
        "slot_minutes": "minutes per slot",
        "meetings": "meetings",
    },
}


def to_json(agenda: Agenda) -> dict[str, Any]:
    """The agenda as a JSON-ready dict."""
    return {
        "session": agenda.session.model_dump(mode="json"),
        "posting_id": agenda.posting_id,
        "meetings": [item.to_dict() for item in agenda.items],
    }


def to_csv(agenda: Agenda) -> str:
    """The agenda as CSV text (columns ``AGENDA_COLUMNS``; slot and table 0-based)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(AGENDA_COLUMNS)
    for item in agenda.items:
        writer.writerow(
            [
                agenda.session.id,
                agenda.session.name,
                item.pair_id,
                item.slot,
                item.table,
                location(item.table),
                item.start.isoformat(),
                item.end.isoformat(),
                item.need_id,
                item.need_title,
                item.need_organization,
                item.offer_id,
                item.offer_title,
                item.offer_organization,
                item.source,
            ]
        )
    return buffer.getvalue()


# -- iCalendar --------------------------------------------------------------------


def ics_text(value: str) -> str:
    """Escape a TEXT value (RFC 5545 §3.3.11)."""
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
    endings, lines folded at 75 octets."""
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


# -- HTML -------------------------------------------------------------------------


def to_html(agenda: Agenda, lang: str = "vi") -> str:
    """The printable agenda: per table and per participant (or one participant's),
    labels in ``lang`` (``vi`` or ``en``); every value is HTML-escaped."""
    by_table: dict[int, list[AgendaItem]] = defaultdict(list)
    by_participant: dict[tuple[int, str, str], list[AgendaItem]] = defaultdict(list)
    for item in agenda.items:
        by_table[item.table].append(item)
        need = (item.need_id, item.need_organization, item.need_title)
        offer = (item.offer_id, item.offer_organization, item.offer_title)
        if agenda.posting_id is None or agenda.posting_id == item.need_id:
            by_participant[need].append(item)
        if agenda.posting_id is None or agenda.posting_id == item.offer_id:
            by_participant[offer].append(item)
    template = _env.get_template("agenda.html")
    return template.render(
        lang=lang,
        t=LABELS[lang],
        session=agenda.session,
        posting_id=agenda.posting_id,
        posting_title=agenda.posting_title,
        items=agenda.items,
        tables=sorted(by_table.items()),
        participants=sorted(by_participant.items()),
        location=location,
        printed=datetime.now(agenda.session.start.tzinfo),
    )
