"""The ``session_emails`` rows: one per participant with a contact e-mail and published
version. Queuing a version twice adds nothing, so no participant gets the same version
twice."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from service.db.engine import Database
from service.db.models import PostingRow, SessionEmailRow, SessionParticipantRow


@dataclass(frozen=True)
class EmailState:
    """One participant's agenda e-mail: ``pending`` (maybe retrying after ``error``),
    ``sent`` or ``failed`` (with the last error)."""

    posting_id: int
    title: str
    organization: str
    email: str
    state: str
    attempts: int
    error: str | None
    sent_at: datetime | None


def contact_email(posting: PostingRow) -> str | None:
    """The posting's contact e-mail, if it has one."""
    email = (posting.contact or {}).get("email")
    return email.strip() if isinstance(email, str) and email.strip() else None


def queue_agenda_emails(database: Database, session_id: int, version: int) -> int:
    """Queue version ``version``'s agenda e-mail for every participant with a contact
    e-mail that has none for this version yet; how many were queued."""
    with database.session(write=True) as session:
        found = session.execute(
            select(PostingRow)
            .join(SessionParticipantRow, SessionParticipantRow.posting_id == PostingRow.id)
            .where(SessionParticipantRow.session_id == session_id)
            .order_by(PostingRow.id)
        )
        done = set(
            session.scalars(
                select(SessionEmailRow.posting_id).where(
                    SessionEmailRow.session_id == session_id, SessionEmailRow.version == version
                )
            )
        )
        queued = 0
        for (posting,) in found:
            email = contact_email(posting)
            if email is None or posting.id in done:
                continue
            session.add(
                SessionEmailRow(
                    session_id=session_id,
                    version=version,
                    posting_id=posting.id,
                    email=email,
                    state="pending",
                    attempts=0,
                )
            )
            queued += 1
        session.commit()
        return queued


def email_states(database: Database, session_id: int, version: int) -> list[EmailState]:
    """The e-mails of one version, by posting id."""
    with database.session() as session:
        rows = session.execute(
            select(SessionEmailRow, PostingRow)
            .outerjoin(PostingRow, PostingRow.id == SessionEmailRow.posting_id)
            .where(SessionEmailRow.session_id == session_id, SessionEmailRow.version == version)
            .order_by(SessionEmailRow.posting_id)
        )
        return [
            EmailState(
                posting_id=row.posting_id,
                title=posting.title if posting else "",
                organization=(posting.organization or posting.owner_org) if posting else "",
                email=row.email,
                state=row.state,
                attempts=row.attempts,
                error=row.error,
                sent_at=row.sent_at,
            )
            for row, posting in rows
        ]
