"""A session's participants: registered postings with the slots they cannot attend.

Unregistering a posting, or blocking slots, cancels the affected meetings at once; the
other meetings stay where they are until the next schedule.
"""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from service.auth.roles import Principal, can_edit, can_view
from service.db.engine import Database
from service.db.models import PostingRow, SessionMeetingRow, SessionParticipantRow
from service.errors import Conflict, Forbidden, NotFound
from service.schemas.sessions import ParticipantIn, ParticipantOut, ParticipantUpdate
from service.sessions.rows import (
    check_slots,
    involves,
    participant,
    participant_ids,
    session_row,
)


def add_participant(
    database: Database, principal: Principal, session_id: int, data: ParticipantIn
) -> ParticipantOut:
    """Register a posting (its organization, moderators and admins): 404 unknown or
    hidden posting, 403 foreign, 409 already registered, 422 a slot outside the session."""
    with database.session(write=True) as session:
        row = session_row(session, session_id)
        posting = session.get(PostingRow, data.posting_id)
        if posting is None or not can_view(principal, posting.owner_org, posting.status):
            raise NotFound(f"posting {data.posting_id} not found", ("body", "posting_id"))
        if not can_edit(principal, posting.owner_org):
            raise Forbidden("only the posting's organization and staff may register it")
        check_slots(row, data.unavailable_slots)
        if session.get(SessionParticipantRow, (session_id, posting.id)) is not None:
            raise Conflict(
                f"posting {posting.id} is already registered for session {session_id}",
                ("body", "posting_id"),
            )
        part = SessionParticipantRow(
            session_id=session_id,
            posting_id=posting.id,
            kind=posting.kind,
            unavailable_slots=list(data.unavailable_slots),
            registered_by_org=principal.organization,
        )
        session.add(part)
        try:
            session.commit()
        except IntegrityError as exc:  # a concurrent registration of the same posting
            session.rollback()
            raise Conflict(
                f"posting {posting.id} is already registered for session {session_id}",
                ("body", "posting_id"),
            ) from exc
        return participant_out(part, posting)


def list_participants(
    database: Database, principal: Principal, session_id: int
) -> list[ParticipantOut]:
    """The participants whose postings the caller may see, by posting id; another
    organization's unavailable slots are hidden (``None``)."""
    with database.session() as session:
        session_row(session, session_id)
        found = session.execute(
            select(SessionParticipantRow, PostingRow)
            .join(PostingRow, PostingRow.id == SessionParticipantRow.posting_id)
            .where(SessionParticipantRow.session_id == session_id)
            .order_by(SessionParticipantRow.posting_id)
        )
        return [
            participant_out(part, posting, can_edit(principal, posting.owner_org))
            for part, posting in found
            if can_view(principal, posting.owner_org, posting.status)
        ]


def update_participant(
    database: Database,
    principal: Principal,
    session_id: int,
    posting_id: int,
    data: ParticipantUpdate,
) -> ParticipantOut:
    """Replace a participant's unavailable slots; its meetings in newly blocked slots
    are cancelled at once (the next schedule may fill the gap)."""
    with database.session(write=True) as session:
        row = session_row(session, session_id)
        part, posting = participant(session, principal, session_id, posting_id)
        check_slots(row, data.unavailable_slots)
        part.unavailable_slots = list(data.unavailable_slots)
        if data.unavailable_slots:
            session.execute(
                delete(SessionMeetingRow).where(
                    SessionMeetingRow.session_id == session_id,
                    involves(posting_id),
                    SessionMeetingRow.slot.in_(data.unavailable_slots),
                )
            )
        session.commit()
        return participant_out(part, posting)


def remove_participant(
    database: Database, principal: Principal, session_id: int, posting_id: int
) -> None:
    """Unregister a posting; its meetings are cancelled at once, the others stay."""
    with database.session(write=True) as session:
        session_row(session, session_id)
        part, _ = participant(session, principal, session_id, posting_id)
        session.execute(
            delete(SessionMeetingRow).where(
                SessionMeetingRow.session_id == session_id, involves(posting_id)
            )
        )
        session.delete(part)
        session.commit()


def registered_ids(database: Database, session_id: int) -> tuple[list[int], list[int]]:
    """Need ids and offer ids registered for the session (404 when unknown)."""
    with database.session() as session:
        session_row(session, session_id)
        return participant_ids(session, session_id)


def participant_out(
    part: SessionParticipantRow, posting: PostingRow, show_slots: bool = True
) -> ParticipantOut:
    """The API view of a participant; ``unavailable_slots`` is ``None`` unless
    ``show_slots`` (staff and the posting's own organization)."""
    return ParticipantOut(
        posting_id=part.posting_id,
        kind=part.kind,
        title=posting.title,
        organization=posting.organization,
        owner_org=posting.owner_org,
        unavailable_slots=list(part.unavailable_slots or []) if show_slots else None,
        registered_by_org=part.registered_by_org,
        created_at=part.created_at,
    )
