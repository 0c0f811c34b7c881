"""Sessions themselves: create, list, read, change, delete (staff writes, anyone reads)."""

from __future__ import annotations

import logging
from datetime import UTC, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from service.auth.roles import Principal
from service.db.engine import Database
from service.db.models import (
    MeetingOutcomeRow,
    SessionEmailRow,
    SessionMeetingRow,
    SessionParticipantRow,
    SessionPublicationRow,
    SessionRow,
)
from service.db.types import utcnow
from service.errors import Invalid
from service.schemas.sessions import SessionCreate, SessionOut, SessionUpdate
from service.sessions.rows import require_staff, session_row
from service.sessions.times import check_window, row_in_window, slot_end, slot_start

log = logging.getLogger(__name__)


def create_session(database: Database, principal: Principal, data: SessionCreate) -> SessionOut:
    """Store a new session (moderators and admins); ``start`` keeps its UTC offset."""
    require_staff(principal, "create sessions")
    check_window(data.start, data.slot_minutes, data.slots)
    offset = data.start.utcoffset() or timedelta(0)
    row = SessionRow(
        name=data.name,
        venue=data.venue,
        start=data.start.astimezone(UTC),
        utc_offset_minutes=int(offset.total_seconds() // 60),
        slot_minutes=data.slot_minutes,
        slots=data.slots,
        tables=data.tables,
        max_meetings_per_participant=data.max_meetings_per_participant,
        fairness_k=data.fairness_k,
        created_by_org=principal.organization,
    )
    with database.session(write=True) as session:
        session.add(row)
        session.flush()
        out = session_out(session, row)
        session.commit()
        return out


def all_sessions(database: Database) -> list[SessionOut]:
    """Every session, latest start first; a row stored with impossible times before they
    were checked is left out (and logged) rather than breaking the list."""
    with database.session() as session:
        rows = session.scalars(select(SessionRow).order_by(SessionRow.start.desc()))
        out = []
        for row in rows:
            if row_in_window(row):
                out.append(session_out(session, row))
            else:
                log.warning("session %s has times outside the supported window", row.id)
        return out


def get_session(database: Database, session_id: int) -> SessionOut:
    """One session (404 when unknown)."""
    with database.session() as session:
        row = session_row(session, session_id)
        if not row_in_window(row):
            raise Invalid(
                f"session {session_id} has times outside the supported window; "
                "PATCH its start, slots or slot_minutes",
                ("path", "session_id"),
                msg_vi=f"Phiên {session_id} có thời gian ngoài khoảng cho phép; "
                "hãy sửa start, slots hoặc slot_minutes.",
            )
        return session_out(session, row)


def update_session(
    database: Database, principal: Principal, session_id: int, data: SessionUpdate
) -> SessionOut:
    """Change the fields present in ``data`` (moderators and admins). The stored schedule
    is kept; meetings outside fewer slots or tables are re-placed by the next schedule."""
    require_staff(principal, "change sessions")
    with database.session(write=True) as session:
        row = session_row(session, session_id)
        fields = data.model_fields_set
        check_window(
            data.start if "start" in fields and data.start else row.start,
            data.slot_minutes
            if "slot_minutes" in fields and data.slot_minutes
            else row.slot_minutes,
            data.slots if "slots" in fields and data.slots else row.slots,
        )
        for name in fields:
            value = getattr(data, name)
            if name == "start":
                offset = value.utcoffset() or timedelta(0)
                row.start = value.astimezone(UTC)
                row.utc_offset_minutes = int(offset.total_seconds() // 60)
            else:
                setattr(row, name, value)
        row.updated_at = utcnow()
        session.flush()
        out = session_out(session, row)
        session.commit()
        return out


def delete_session(database: Database, principal: Principal, session_id: int) -> None:
    """Delete a session with its participants, meetings and outcomes (staff)."""
    require_staff(principal, "delete sessions")
    with database.session(write=True) as session:
        row = session_row(session, session_id)
        for table in (
            MeetingOutcomeRow,
            SessionMeetingRow,
            SessionParticipantRow,
            SessionEmailRow,
            SessionPublicationRow,
        ):
            session.execute(delete(table).where(table.session_id == session_id))
        session.delete(row)
        session.commit()


def session_out(session: Session, row: SessionRow) -> SessionOut:
    """The API view of a session, with its numbers of participants and meetings."""
    participants = session.scalar(
        select(func.count())
        .select_from(SessionParticipantRow)
        .where(SessionParticipantRow.session_id == row.id)
    )
    meetings = session.scalar(
        select(func.count())
        .select_from(SessionMeetingRow)
        .where(SessionMeetingRow.session_id == row.id)
    )
    return SessionOut(
        id=row.id,
        name=row.name,
        venue=row.venue,
        start=slot_start(row, 0),
        end=slot_end(row, row.slots - 1),
        slot_minutes=row.slot_minutes,
        slots=row.slots,
        tables=row.tables,
        max_meetings_per_participant=row.max_meetings_per_participant,
        fairness_k=row.fairness_k,
        participants=participants or 0,
        meetings=meetings or 0,
        scheduled_at=row.scheduled_at,
        created_by_org=row.created_by_org,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )
