"""Sessions themselves: create, list, read, change, delete (staff writes, anyone reads)."""

from __future__ import annotations

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
from service.schemas.sessions import SessionCreate, SessionOut, SessionUpdate
from service.sessions.rows import require_staff, session_row
from service.sessions.times import slot_end, slot_start


def create_session(database: Database, principal: Principal, data: SessionCreate) -> SessionOut:
    """Store a new session (moderators and admins); ``start`` keeps its UTC offset."""
    require_staff(principal, "create sessions")
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
        session.commit()
        return session_out(session, row)


def all_sessions(database: Database) -> list[SessionOut]:
    """Every session, latest start first."""
    with database.session() as session:
        rows = session.scalars(select(SessionRow).order_by(SessionRow.start.desc()))
        return [session_out(session, row) for row in rows]


def get_session(database: Database, session_id: int) -> SessionOut:
    """One session (404 when unknown)."""
    with database.session() as session:
        return session_out(session, session_row(session, session_id))


def update_session(
    database: Database, principal: Principal, session_id: int, data: SessionUpdate
) -> SessionOut:
    """Change the fields present in ``data`` (moderators and admins). The stored schedule
    is kept; meetings outside fewer slots or tables are re-placed by the next schedule."""
    require_staff(principal, "change sessions")
    with database.session(write=True) as session:
        row = session_row(session, session_id)
        for name in data.model_fields_set:
            value = getattr(data, name)
            if name == "start":
                offset = value.utcoffset() or timedelta(0)
                row.start = value.astimezone(UTC)
                row.utc_offset_minutes = int(offset.total_seconds() // 60)
            else:
                setattr(row, name, value)
        row.updated_at = utcnow()
        session.commit()
        return session_out(session, row)


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
