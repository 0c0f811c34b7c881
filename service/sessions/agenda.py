"""A session's agenda: its stored meetings with both postings, by slot then table — the
whole session (staff) or one participant's (its organization and staff). The export
formats are in :mod:`service.sessions.exports` and :mod:`service.sessions.ics`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select

from service.auth.roles import Principal
from service.db.engine import Database
from service.db.models import PostingRow, SessionMeetingRow
from service.schemas.sessions import SessionOut
from service.sessions.crud import session_out
from service.sessions.rows import involves, participant, require_staff, session_row
from service.sessions.times import location, slot_end, slot_start
from vocabulary import pair_id


@dataclass(frozen=True)
class AgendaItem:
    """One meeting with both postings, for agendas."""

    pair_id: str
    slot: int
    table: int
    start: datetime
    end: datetime
    need_id: int
    need_title: str
    need_organization: str
    offer_id: int
    offer_title: str
    offer_organization: str
    source: str

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return {
            "pair_id": self.pair_id,
            "slot": self.slot,
            "table": self.table,
            "location": location(self.table),
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "need": {
                "id": self.need_id,
                "title": self.need_title,
                "organization": self.need_organization,
            },
            "offer": {
                "id": self.offer_id,
                "title": self.offer_title,
                "organization": self.offer_organization,
            },
            "source": self.source,
        }


@dataclass(frozen=True)
class Agenda:
    """A session's meetings (all, or one participant's), by slot then table."""

    session: SessionOut
    posting_id: int | None
    posting_title: str | None
    items: list[AgendaItem]


def load_agenda(
    database: Database, principal: Principal, session_id: int, posting_id: int | None
) -> Agenda:
    """The whole session's meetings (staff), or one participant's (its organization and
    staff), by slot then table; a meeting whose posting was deleted is left out (the next
    schedule drops it)."""
    with database.session() as session:
        row = session_row(session, session_id)
        title = None
        if posting_id is None:
            require_staff(principal, "read the whole session's agenda")
        else:
            _, posting = participant(
                session, principal, session_id, posting_id, ("query", "posting_id")
            )
            title = posting.title
        query = select(SessionMeetingRow).where(SessionMeetingRow.session_id == session_id)
        if posting_id is not None:
            query = query.where(involves(posting_id))
        meetings = list(
            session.scalars(query.order_by(SessionMeetingRow.slot, SessionMeetingRow.table_no))
        )
        ids = sorted({i for m in meetings for i in (m.need_id, m.offer_id)})
        postings = {
            p.id: p for p in session.scalars(select(PostingRow).where(PostingRow.id.in_(ids)))
        }
        items = []
        for m in meetings:
            need, offer = postings.get(m.need_id), postings.get(m.offer_id)
            if need is None or offer is None:
                continue
            items.append(
                AgendaItem(
                    pair_id=pair_id(m.need_id, m.offer_id),
                    slot=m.slot,
                    table=m.table_no,
                    start=slot_start(row, m.slot),
                    end=slot_end(row, m.slot),
                    need_id=need.id,
                    need_title=need.title,
                    need_organization=need.organization or need.owner_org,
                    offer_id=offer.id,
                    offer_title=offer.title,
                    offer_organization=offer.organization or offer.owner_org,
                    source=m.source,
                )
            )
        return Agenda(session_out(session, row), posting_id, title, items)
