"""The iCalendar file (written with the ``icalendar`` package) against exact expected text
(RFC 5545): TEXT escaping (backslash first, so nothing is escaped twice), UTC times, folding
at 75 octets, CRLF; and parsed back by ``icalendar`` into the same values."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone

import icalendar
import pytest

from service.schemas.sessions import SessionOut
from service.sessions.agenda import Agenda, AgendaItem
from service.sessions.ics import to_ics

HANOI = timezone(timedelta(hours=7))
START = datetime(2026, 12, 5, 8, 30, tzinfo=HANOI)
STAMP = datetime(2026, 12, 1, 2, 3, 4, tzinfo=UTC)


def _summary_line(text: str) -> str:
    return next(line for line in text.split("\r\n") if line.startswith("SUMMARY:"))


@pytest.mark.parametrize(
    ("raw", "escaped"),
    [
        ("plain text", "plain text"),
        ("a;b,c", "a\\;b\\,c"),
        ("C:\\dir", "C:\\\\dir"),
        ("back\\;slash\\,", "back\\\\\\;slash\\\\\\,"),
        ("one\ntwo\nthree", "one\\ntwo\\nthree"),
        ("\\n is not a line break", "\\\\n is not a line break"),
        ("Hội trường; bàn 1", "Hội trường\\; bàn 1"),
    ],
)
def test_text_values_are_escaped_once_and_parse_back(raw: str, escaped: str) -> None:
    base = _agenda(None)
    item = replace(base.items[0], need_organization=raw, offer_organization="X")
    text = to_ics(replace(base, items=[item]), now=STAMP)
    assert _summary_line(text) == f"SUMMARY:{escaped} ↔ X"
    event = icalendar.Calendar.from_ical(text).walk("VEVENT")[0]
    assert str(event["SUMMARY"]) == f"{raw} ↔ X"


def _agenda(posting_id: int | None) -> Agenda:
    session = SessionOut(
        id=7,
        name="Techfest; Hải Phòng, 2026",
        venue="Hội trường A\\B",
        start=START,
        end=START + timedelta(minutes=60),
        slot_minutes=20,
        slots=3,
        tables=2,
        max_meetings_per_participant=2,
        fairness_k=1,
        participants=2,
        meetings=1,
        scheduled_at=None,
        created_by_org="Fair",
        created_at=START,
        updated_at=START,
    )
    item = AgendaItem(
        pair_id="12-34",
        slot=1,
        table=0,
        start=START + timedelta(minutes=20),
        end=START + timedelta(minutes=40),
        need_id=12,
        need_title="Giám sát oxy hòa tan; cảnh báo",
        need_organization="Công ty Thủy sản Đồ Sơn",
        offer_id=34,
        offer_title="Cảm biến DO, pH",
        offer_organization="Viện Nghiên cứu Hải sản",
        source="accepted",
    )
    return Agenda(session, posting_id, None, [item])


def test_a_participant_calendar_exactly() -> None:
    text = to_ics(_agenda(12), now=STAMP)
    assert text == (
        "BEGIN:VCALENDAR\r\n"
        "VERSION:2.0\r\n"
        "PRODID:-//techmatch//sessions//EN\r\n"
        "CALSCALE:GREGORIAN\r\n"
        "METHOD:PUBLISH\r\n"
        "X-WR-CALNAME:Techfest\\; Hải Phòng\\, 2026\r\n"
        "BEGIN:VEVENT\r\n"
        "SUMMARY:Viện Nghiên cứu Hải sản: Cảm biến DO\\, pH\r\n"
        "DTSTART:20261205T015000Z\r\n"
        "DTEND:20261205T021000Z\r\n"
        "DTSTAMP:20261201T020304Z\r\n"
        "UID:techmatch-session-7-12-34@techmatch\r\n"
        "DESCRIPTION:Need #12: Giám sát oxy hòa tan\\; cảnh báo (Công ty Th\r\n"
        " ủy sản Đồ Sơn)\\nOffer #34: Cảm biến DO\\, pH (Viện Nghiên c\r\n"
        " ứu Hải sản)\\nTechfest\\; Hải Phòng\\, 2026\r\n"
        "LOCATION:Table 1\\, Hội trường A\\\\B\r\n"
        "END:VEVENT\r\n"
        "END:VCALENDAR\r\n"
    )
    assert all(len(line.encode()) <= 75 for line in text.split("\r\n"))
    event = icalendar.Calendar.from_ical(text).walk("VEVENT")[0]
    assert event.decoded("DTSTART") == START + timedelta(minutes=20)
    assert str(event["LOCATION"]) == "Table 1, Hội trường A\\B"
    assert str(event["DESCRIPTION"]).splitlines()[0] == (
        "Need #12: Giám sát oxy hòa tan; cảnh báo (Công ty Thủy sản Đồ Sơn)"
    )


def test_the_whole_session_names_both_sides() -> None:
    text = to_ics(_agenda(None), now=STAMP).replace("\r\n ", "")
    assert "SUMMARY:Công ty Thủy sản Đồ Sơn ↔ Viện Nghiên cứu Hải sản\r\n" in text
    offer_side = to_ics(_agenda(34), now=STAMP).replace("\r\n ", "")
    assert "SUMMARY:Công ty Thủy sản Đồ Sơn: Giám sát oxy hòa tan\\; cảnh báo\r\n" in offer_side
