"""Reading a session's rows with the access rules: the session (404), a participant the
caller may act for (404 / 403), the registered ids, the stored meetings."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from service.auth.roles import Principal, can_edit, can_view
from service.db.models import PostingRow, SessionMeetingRow, SessionParticipantRow, SessionRow
from service.errors import Forbidden, Invalid, NotFound


def require_staff(principal: Principal, what: str) -> None:
    """403 unless ``principal`` is a moderator or an admin (``what``: "create sessions")."""
    if not principal.is_staff:
        raise Forbidden(f"only moderators and admins may {what}")


def session_row(session: Session, session_id: int, for_update: bool = False) -> SessionRow:
    """The session (404 at the path's ``session_id`` when unknown); ``for_update`` locks
    its row until the transaction ends (PostgreSQL; SQLite's write lock covers it)."""
    row = session.get(SessionRow, session_id, with_for_update=for_update or None)
    if row is None:
        raise NotFound(f"session {session_id} not found", ("path", "session_id"))
    return row


def participant(
    session: Session,
    principal: Principal,
    session_id: int,
    posting_id: int,
    loc: tuple[str, ...] = ("path", "posting_id"),
) -> tuple[SessionParticipantRow, PostingRow]:
    """A registered participant the caller may act for (404 unknown, 403 foreign)."""
    part = session.get(SessionParticipantRow, (session_id, posting_id))
    posting = session.get(PostingRow, posting_id)
    if (
        part is None
        or posting is None
        or not can_view(principal, posting.owner_org, posting.status)
    ):
        raise NotFound(f"posting {posting_id} is not a participant of session {session_id}", loc)
    if not can_edit(principal, posting.owner_org):
        raise Forbidden("only the posting's organization and staff may do this")
    return part, posting


def participant_ids(session: Session, session_id: int) -> tuple[list[int], list[int]]:
    """Sorted need ids and offer ids registered for the session."""
    rows = session.execute(
        select(SessionParticipantRow.posting_id, SessionParticipantRow.kind).where(
            SessionParticipantRow.session_id == session_id
        )
    )
    needs: list[int] = []
    offers: list[int] = []
    for posting_id, kind in rows:
        (needs if kind == "need" else offers).append(posting_id)
    return sorted(needs), sorted(offers)


def stored_meetings(session: Session, session_id: int) -> Iterable[SessionMeetingRow]:
    """The session's stored meetings, by slot then table."""
    return session.scalars(
        select(SessionMeetingRow)
        .where(SessionMeetingRow.session_id == session_id)
        .order_by(SessionMeetingRow.slot, SessionMeetingRow.table_no)
    )


def involves(posting_id: int) -> Any:
    """SQL condition: the meeting is one of ``posting_id``'s."""
    return or_(SessionMeetingRow.need_id == posting_id, SessionMeetingRow.offer_id == posting_id)


def check_slots(row: SessionRow, slots: list[int]) -> None:
    """422 when a slot lies outside the session."""
    bad = [s for s in slots if s >= row.slots]
    if bad:
        raise Invalid(
            f"slots {bad} are outside the session's slots 0..{row.slots - 1}",
            ("body", "unavailable_slots"),
        )
