"""An agenda as an iCalendar file (RFC 5545), written with the ``icalendar`` package
(escaping, folding at 75 octets and CRLF line endings are its job)."""

from __future__ import annotations

from datetime import UTC, datetime

from icalendar import Calendar, Event, vText

from service.sessions.agenda import Agenda, AgendaItem
from service.sessions.times import location


def _summary(item: AgendaItem, posting_id: int | None) -> str:
    if posting_id == item.need_id:
        return f"{item.offer_organization}: {item.offer_title}"
    if posting_id == item.offer_id:
        return f"{item.need_organization}: {item.need_title}"
    return f"{item.need_organization} ↔ {item.offer_organization}"


def event_uid(session_id: int, pair: str) -> str:
    """The stable UID of a meeting's event (a re-published meeting updates the same event)."""
    return f"techmatch-session-{session_id}-{pair}@techmatch"


def to_calendar(agenda: Agenda, now: datetime | None = None) -> Calendar:
    """The agenda as an :class:`icalendar.Calendar`: one VEVENT per meeting, times in UTC
    (``now``: the DTSTAMP, default the current time)."""
    stamp = (now or datetime.now(UTC)).astimezone(UTC)
    session = agenda.session
    calendar = Calendar()
    calendar.add("version", "2.0")
    calendar.add("prodid", "-//techmatch//sessions//EN")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", vText(session.name))
    for item in agenda.items:
        place = location(item.table)
        if session.venue:
            place = f"{place}, {session.venue}"
        event = Event()
        event.add("uid", event_uid(session.id, item.pair_id))
        event.add("dtstamp", stamp)
        event.add("dtstart", item.start.astimezone(UTC))
        event.add("dtend", item.end.astimezone(UTC))
        event.add("summary", _summary(item, agenda.posting_id))
        event.add("location", place)
        event.add(
            "description",
            f"Need #{item.need_id}: {item.need_title} ({item.need_organization})\n"
            f"Offer #{item.offer_id}: {item.offer_title} ({item.offer_organization})\n"
            f"{session.name}",
        )
        calendar.add_component(event)
    return calendar


def to_ics(agenda: Agenda, now: datetime | None = None) -> str:
    """The agenda as iCalendar text (see :func:`to_calendar`)."""
    return to_calendar(agenda, now).to_ical().decode("utf-8")
