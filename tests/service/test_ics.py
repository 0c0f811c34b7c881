"""The iCalendar writer against exact expected text (RFC 5545): TEXT escaping (backslash
first, so nothing is escaped twice), UTC times, folding at 75 octets, CRLF."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from service.schemas.sessions import SessionOut
from service.sessions.agenda import Agenda, AgendaItem
from service.sessions.ics import ics_fold, ics_text, ics_time, to_ics

HANOI = timezone(timedelta(hours=7))
START = datetime(2026, 12, 5, 8, 30, tzinfo=HANOI)


@pytest.mark.parametrize(
    ("raw", "escaped"),
    [
        ("plain text", "plain text"),
        ("a;b,c", "a\\;b\\,c"),
        ("C:\\dir", "C:\\\\dir"),
        ("back\\;slash\\,", "back\\\\\\;slash\\\\\\,"),
        ("one\ntwo\r\nthree\rfour", "one\\ntwo\\nthree\\nfour"),
        ("\\n is not a line break", "\\\\n is not a line break"),
        ("Hội trường; bàn 1", "Hội trường\\; bàn 1"),
    ],
)
def test_ics_text_escapes_each_character_once(raw: str, escaped: str) -> None:
    assert ics_text(raw) == escaped


def test_ics_time_is_utc() -> None:
    assert ics_time(START) == "20261205T013000Z"


def test_short_lines_are_not_folded() -> None:
    assert ics_fold("SUMMARY:" + "x" * 67) == "SUMMARY:" + "x" * 67  # exactly 75 octets
    assert ics_fold("SUMMARY:" + "x" * 68) == "SUMMARY:" + "x" * 67 + "\r\n x"


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
    text = to_ics(_agenda(12), now=datetime(2026, 12, 1, 2, 3, 4, tzinfo=UTC))
    assert text == (
        "BEGIN:VCALENDAR\r\n"
        "VERSION:2.0\r\n"
        "PRODID:-//techmatch//sessions//EN\r\n"
        "CALSCALE:GREGORIAN\r\n"
        "METHOD:PUBLISH\r\n"
        "X-WR-CALNAME:Techfest\\; Hải Phòng\\, 2026\r\n"
        "BEGIN:VEVENT\r\n"
        "UID:techmatch-session-7-12-34@techmatch\r\n"
        "DTSTAMP:20261201T020304Z\r\n"
        "DTSTART:20261205T015000Z\r\n"
        "DTEND:20261205T021000Z\r\n"
        "SUMMARY:Viện Nghiên cứu Hải sản: Cảm biến DO\\, pH\r\n"
        "LOCATION:Table 1\\, Hội trường A\\\\B\r\n"
        "DESCRIPTION:Need #12: Giám sát oxy hòa tan\\; cảnh báo (Công ty Thủ\r\n"
        " y sản Đồ Sơn)\\nOffer #34: Cảm biến DO\\, pH (Viện Nghiên cứu\r\n"
        "  Hải sản)\\nTechfest\\; Hải Phòng\\, 2026\r\n"
        "END:VEVENT\r\n"
        "END:VCALENDAR\r\n"
    )
    assert all(len(line.encode()) <= 75 for line in text.split("\r\n"))


def test_the_whole_session_names_both_sides() -> None:
    text = to_ics(_agenda(None), now=datetime(2026, 12, 1, tzinfo=UTC)).replace("\r\n ", "")
    assert "SUMMARY:Công ty Thủy sản Đồ Sơn ↔ Viện Nghiên cứu Hải sản\r\n" in text
    offer_side = to_ics(_agenda(34), now=datetime(2026, 12, 1, tzinfo=UTC)).replace("\r\n ", "")
    assert "SUMMARY:Công ty Thủy sản Đồ Sơn: Giám sát oxy hòa tan\\; cảnh báo\r\n" in offer_side
