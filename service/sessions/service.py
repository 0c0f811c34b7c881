"""``SessionService``: the session use cases over one database and matcher, as the routes
call them; each method hands over to the module that does the job."""

from __future__ import annotations

from service.auth.roles import Principal
from service.db.engine import Database
from service.matching import Matcher
from service.schemas.sessions import (
    OutcomeIn,
    OutcomeOut,
    ParticipantIn,
    ParticipantOut,
    ParticipantUpdate,
    ScheduleIn,
    ScheduleOut,
    SessionCreate,
    SessionOut,
    SessionUpdate,
)
from service.sessions.agenda import Agenda, load_agenda
from service.sessions.crud import (
    all_sessions,
    create_session,
    delete_session,
    get_session,
    update_session,
)
from service.sessions.meetings import schedule_session
from service.sessions.outcomes import list_outcomes, outcomes_csv, outcomes_xlsx, record_outcome
from service.sessions.participants import (
    add_participant,
    list_participants,
    registered_ids,
    remove_participant,
    update_participant,
)


class SessionService:
    """Sessions, participants, schedules, agendas and outcomes over one database."""

    def __init__(self, database: Database, matcher: Matcher) -> None:
        self.database = database
        self.matcher = matcher

    # -- sessions (crud) ---------------------------------------------------------

    def create(self, principal: Principal, data: SessionCreate) -> SessionOut:
        """Store a new session (moderators and admins)."""
        return create_session(self.database, principal, data)

    def all(self) -> list[SessionOut]:
        """Every session, latest start first."""
        return all_sessions(self.database)

    def get(self, session_id: int) -> SessionOut:
        """One session (404 when unknown)."""
        return get_session(self.database, session_id)

    def update(self, principal: Principal, session_id: int, data: SessionUpdate) -> SessionOut:
        """Change the fields present in ``data`` (moderators and admins)."""
        return update_session(self.database, principal, session_id, data)

    def delete(self, principal: Principal, session_id: int) -> None:
        """Delete a session with its participants, meetings and outcomes."""
        delete_session(self.database, principal, session_id)

    # -- participants ------------------------------------------------------------

    def add_participant(
        self, principal: Principal, session_id: int, data: ParticipantIn
    ) -> ParticipantOut:
        """Register a posting (its organization, moderators and admins)."""
        return add_participant(self.database, principal, session_id, data)

    def participants(self, principal: Principal, session_id: int) -> list[ParticipantOut]:
        """The participants whose postings the caller may see, by posting id."""
        return list_participants(self.database, principal, session_id)

    def update_participant(
        self, principal: Principal, session_id: int, posting_id: int, data: ParticipantUpdate
    ) -> ParticipantOut:
        """Replace a participant's unavailable slots (its meetings there are cancelled)."""
        return update_participant(self.database, principal, session_id, posting_id, data)

    def remove_participant(self, principal: Principal, session_id: int, posting_id: int) -> None:
        """Unregister a posting; its meetings are cancelled at once, the others stay."""
        remove_participant(self.database, principal, session_id, posting_id)

    def participant_ids(self, session_id: int) -> tuple[list[int], list[int]]:
        """Need ids and offer ids registered for the session (404 when unknown)."""
        return registered_ids(self.database, session_id)

    # -- schedule, agenda, outcomes ------------------------------------------------

    def schedule(self, principal: Principal, session_id: int, data: ScheduleIn) -> ScheduleOut:
        """Schedule the session's candidate pairs and store the meetings (staff only)."""
        return schedule_session(self.database, self.matcher, principal, session_id, data)

    def agenda(self, principal: Principal, session_id: int, posting_id: int | None) -> Agenda:
        """The whole session's meetings (staff), or one participant's."""
        return load_agenda(self.database, principal, session_id, posting_id)

    def record_outcome(
        self, principal: Principal, session_id: int, pair_id: str, data: OutcomeIn
    ) -> OutcomeOut:
        """Record (or replace) what came of a scheduled meeting."""
        return record_outcome(self.database, principal, session_id, pair_id, data)

    def outcomes(self, principal: Principal, session_id: int | None = None) -> list[OutcomeOut]:
        """Every recorded outcome (staff), optionally of one session."""
        return list_outcomes(self.database, principal, session_id)

    def outcomes_csv(self, principal: Principal, session_id: int | None = None) -> str:
        """Every recorded outcome as CSV (staff)."""
        return outcomes_csv(self.database, principal, session_id)

    def outcomes_xlsx(self, principal: Principal, session_id: int | None = None) -> bytes:
        """Every recorded outcome as an XLSX workbook (staff)."""
        return outcomes_xlsx(self.database, principal, session_id)
