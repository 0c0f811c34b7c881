"""An agenda as JSON, as CSV and as a printable bilingual HTML page (Jinja2, every value
autoescaped). The iCalendar file is :mod:`service.sessions.ics`."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape

from service.csv_export import Column, header, write_csv
from service.sessions.agenda import Agenda, AgendaItem
from service.sessions.times import location

TEMPLATES = Path(__file__).parent / "templates"

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


#: A row of the agenda CSV: the agenda (for the session's id and name) and one meeting.
AgendaLine = tuple[Agenda, AgendaItem]

#: The agenda export (README: *Agendas*); slot and table 0-based.
AGENDA_CSV: tuple[Column[AgendaLine], ...] = (
    Column("session_id", lambda line: line[0].session.id),
    Column("session_name", lambda line: line[0].session.name),
    Column("pair_id", lambda line: line[1].pair_id),
    Column("slot", lambda line: line[1].slot),
    Column("table", lambda line: line[1].table),
    Column("location", lambda line: location(line[1].table)),
    Column("start", lambda line: line[1].start),
    Column("end", lambda line: line[1].end),
    Column("need_id", lambda line: line[1].need_id),
    Column("need_title", lambda line: line[1].need_title),
    Column("need_organization", lambda line: line[1].need_organization),
    Column("offer_id", lambda line: line[1].offer_id),
    Column("offer_title", lambda line: line[1].offer_title),
    Column("offer_organization", lambda line: line[1].offer_organization),
    Column("source", lambda line: line[1].source),
)

#: Columns of the agenda CSV, in order.
AGENDA_COLUMNS = header(AGENDA_CSV)


def to_csv(agenda: Agenda) -> str:
    """The agenda as CSV text (columns :data:`AGENDA_COLUMNS`)."""
    return write_csv(AGENDA_CSV, [(agenda, item) for item in agenda.items])


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
