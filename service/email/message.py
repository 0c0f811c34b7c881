"""One participant's agenda as an e-mail: a Vietnamese and English text body listing the
meetings, and the ICS calendar attached."""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import make_msgid

from service.sessions.agenda import Agenda
from service.sessions.ics import to_ics
from service.sessions.times import location


def _line(agenda: Agenda, index: int) -> str:
    item = agenda.items[index]
    if agenda.posting_id == item.need_id:
        other = f"{item.offer_organization} — {item.offer_title}"
    else:
        other = f"{item.need_organization} — {item.need_title}"
    when = f"{item.start:%d/%m/%Y %H:%M}–{item.end:%H:%M}"
    return f"  {when}  {location(item.table)}  {other}"


def agenda_message(agenda: Agenda, to: str, sender: str, version: int) -> EmailMessage:
    """The e-mail to ``to`` with ``agenda`` (one participant's) and its ICS attached."""
    session = agenda.session
    lines = [_line(agenda, i) for i in range(len(agenda.items))] or ["  —"]
    venue = f" · {session.venue}" if session.venue else ""
    body = "\n".join(
        [
            f"{agenda.posting_title or ''}",
            "",
            f"Lịch gặp của bạn tại {session.name}{venue} (phiên bản {version}):",
            *lines,
            "",
            "Tệp lịch (.ics) đính kèm; mở để thêm các cuộc gặp vào lịch của bạn.",
            "",
            "---",
            f"Your meetings at {session.name}{venue} (version {version}):",
            *lines,
            "",
            "The calendar file (.ics) is attached; open it to add the meetings to your calendar.",
        ]
    )
    message = EmailMessage()
    message["Subject"] = f"Lịch gặp / Your meetings: {session.name} (v{version})"
    message["From"] = sender
    message["To"] = to
    message["Message-ID"] = make_msgid(domain="techmatch")
    message.set_content(body)
    message.add_attachment(
        to_ics(agenda).encode("utf-8"),
        maintype="text",
        subtype="calendar",
        filename=f"session-{session.id}-{agenda.posting_id}.ics",
        params={"method": "PUBLISH"},
    )
    return message
