"""Tech-transfer sessions: registered participants, the meeting schedule, agendas and
meeting outcomes.

A session has ``slots`` time slots of ``slot_minutes`` from ``start`` and ``tables`` tables;
its participants are registered postings (needs and offers) with the slots they cannot
attend. Scheduling turns the accepted pairs between participants (and, on request, the
suggested pairs both sides want) into candidate pairs for the pure scheduler
:func:`service.scheduling.schedule`; the stored schedule is passed as ``previous`` so that a
re-schedule keeps unaffected meetings at their slot and table. Slots and tables are 0-based.

Value of a candidate pair (what the scheduler maximises after fairness)::

    value = score + MUTUAL_BONUS · [both sides marked interest] + ACCEPTED_BONUS · [accepted]

with ``score`` the engine's match score (0–1).
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from sqlalchemy import delete, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from service.auth.roles import Principal, can_edit, can_view
from service.db.engine import Database
from service.db.models import (
    MeetingOutcomeRow,
    PairInterestRow,
    PostingRow,
    SessionMeetingRow,
    SessionParticipantRow,
    SessionRow,
)
from service.db.types import utcnow
from service.errors import Conflict, Forbidden, Invalid, NotFound, ServiceError
from service.matching import Matcher
from service.reviews import accepted_pairs, pair_key, parse_pair_id, rejected_pairs
from service.scheduling import (
    CandidatePair,
    InfeasibleScheduleError,
    Meeting,
    ScheduleProblem,
    schedule,
)
from service.schemas.sessions import (
    MeetingOut,
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

#: Added to a pair's value when both sides marked interest in it.
MUTUAL_BONUS = 0.5
#: Added to a pair's value when moderators accepted it.
ACCEPTED_BONUS = 1.0

VALUE_RULE = (
    f"value = match score (0–1) + {MUTUAL_BONUS} if both sides marked interest "
    f"+ {ACCEPTED_BONUS} if moderators accepted the pair"
)

#: Columns of the agenda CSV, in order.
AGENDA_COLUMNS = (
    "session_id",
    "session_name",
    "pair_id",
    "slot",
    "table",
    "location",
    "start",
    "end",
    "need_id",
    "need_title",
    "need_organization",
    "offer_id",
    "offer_title",
    "offer_organization",
    "source",
)

#: Columns of the outcomes CSV, in order.
OUTCOME_COLUMNS = (
    "session_id",
    "session_name",
    "pair_id",
    "need_id",
    "offer_id",
    "need_title",
    "need_organization",
    "offer_title",
    "offer_organization",
    "outcome",
    "follow_up",
    "note",
    "recorded_by_org",
    "recorded_at",
)


class InfeasibleSchedule(ServiceError):
    """The session cannot be scheduled as it stands (the message says why)."""

    status_code = 409
    error_type = "infeasible_schedule"


def fairness_rule(fairness_k: int, max_meetings: int) -> str:
    """The fairness rule of a session, in words."""
    k = min(fairness_k, max_meetings)
    if k <= 0:
        return "fairness off (fairness_k = 0): the total value of the meetings is maximised"
    levels = "at least 1 meeting" if k == 1 else f"at least 1, then 2, … up to {k} meetings"
    return (
        f"k = min(fairness_k, max_meetings_per_participant) = {k}: first as many participants "
        f"as possible get {levels} (each level maximised without lowering the one before), "
        "so nobody's extra meeting is bought with another participant's first; only then is "
        "the total value maximised"
    )


def location(table: int) -> str:
    """The printed name of 0-based ``table``."""
    return f"Table {table + 1}"


def _tz(row: SessionRow) -> timezone:
    return timezone(timedelta(minutes=row.utc_offset_minutes))


def slot_start(row: SessionRow, slot: int) -> datetime:
    """Start of ``slot`` in the session's own UTC offset."""
    return (row.start + timedelta(minutes=row.slot_minutes * slot)).astimezone(_tz(row))


def slot_end(row: SessionRow, slot: int) -> datetime:
    """End of ``slot`` in the session's own UTC offset."""
    return slot_start(row, slot) + timedelta(minutes=row.slot_minutes)


def _finite(value: float) -> float | None:
    return value if math.isfinite(value) else None


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


class SessionService:
    """Sessions, participants, schedules, agendas and outcomes over one database."""

    def __init__(self, database: Database, matcher: Matcher) -> None:
        self.database = database
        self.matcher = matcher

    # -- sessions --------------------------------------------------------------

    def create(self, principal: Principal, data: SessionCreate) -> SessionOut:
        """Store a new session (moderators and admins)."""
        _require_staff(principal, "create sessions")
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
        with self.database.session(write=True) as session:
            session.add(row)
            session.commit()
            return self._out(session, row)

    def all(self) -> list[SessionOut]:
        """Every session, latest start first."""
        with self.database.session() as session:
            rows = session.scalars(select(SessionRow).order_by(SessionRow.start.desc()))
            return [self._out(session, row) for row in rows]

    def get(self, session_id: int) -> SessionOut:
        """One session (404 when unknown)."""
        with self.database.session() as session:
            return self._out(session, _session_row(session, session_id))

    def update(self, principal: Principal, session_id: int, data: SessionUpdate) -> SessionOut:
        """Change the fields present in ``data`` (moderators and admins). The stored
        schedule is kept; meetings outside fewer slots or tables are re-placed by the next
        schedule."""
        _require_staff(principal, "change sessions")
        fields = data.model_fields_set
        with self.database.session(write=True) as session:
            row = _session_row(session, session_id)
            for name in fields:
                value = getattr(data, name)
                if name == "start":
                    offset = value.utcoffset() or timedelta(0)
                    row.start = value.astimezone(UTC)
                    row.utc_offset_minutes = int(offset.total_seconds() // 60)
                else:
                    setattr(row, name, value)
            row.updated_at = utcnow()
            session.commit()
            return self._out(session, row)

    def delete(self, principal: Principal, session_id: int) -> None:
        """Delete a session with its participants, meetings and outcomes."""
        _require_staff(principal, "delete sessions")
        with self.database.session(write=True) as session:
            row = _session_row(session, session_id)
            for table in (MeetingOutcomeRow, SessionMeetingRow, SessionParticipantRow):
                session.execute(delete(table).where(table.session_id == session_id))
            session.delete(row)
            session.commit()

    # -- participants ----------------------------------------------------------

    def add_participant(
        self, principal: Principal, session_id: int, data: ParticipantIn
    ) -> ParticipantOut:
        """Register a posting (its organization, moderators and admins)."""
        with self.database.session(write=True) as session:
            row = _session_row(session, session_id)
            posting = session.get(PostingRow, data.posting_id)
            if posting is None or not can_view(principal, posting.owner_org, posting.status):
                raise NotFound(f"posting {data.posting_id} not found", ("body", "posting_id"))
            if not can_edit(principal, posting.owner_org):
                raise Forbidden("only the posting's organization and staff may register it")
            _check_slots(row, data.unavailable_slots)
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
            return _participant_out(part, posting)

    def participants(self, principal: Principal, session_id: int) -> list[ParticipantOut]:
        """The participants whose postings the caller may see, by posting id."""
        with self.database.session() as session:
            _session_row(session, session_id)
            rows = session.execute(
                select(SessionParticipantRow, PostingRow)
                .join(PostingRow, PostingRow.id == SessionParticipantRow.posting_id)
                .where(SessionParticipantRow.session_id == session_id)
                .order_by(SessionParticipantRow.posting_id)
            )
            return [
                _participant_out(part, posting)
                for part, posting in rows
                if can_view(principal, posting.owner_org, posting.status)
            ]

    def update_participant(
        self, principal: Principal, session_id: int, posting_id: int, data: ParticipantUpdate
    ) -> ParticipantOut:
        """Replace a participant's unavailable slots; its meetings in newly blocked slots
        are cancelled at once (the next schedule may fill the gap)."""
        with self.database.session(write=True) as session:
            row = _session_row(session, session_id)
            part, posting = _participant(session, principal, session_id, posting_id)
            _check_slots(row, data.unavailable_slots)
            part.unavailable_slots = list(data.unavailable_slots)
            if data.unavailable_slots:
                session.execute(
                    delete(SessionMeetingRow).where(
                        SessionMeetingRow.session_id == session_id,
                        _involves(posting_id),
                        SessionMeetingRow.slot.in_(data.unavailable_slots),
                    )
                )
            session.commit()
            return _participant_out(part, posting)

    def remove_participant(self, principal: Principal, session_id: int, posting_id: int) -> None:
        """Unregister a posting; its meetings are cancelled at once, the others stay."""
        with self.database.session(write=True) as session:
            _session_row(session, session_id)
            part, _ = _participant(session, principal, session_id, posting_id)
            session.execute(
                delete(SessionMeetingRow).where(
                    SessionMeetingRow.session_id == session_id, _involves(posting_id)
                )
            )
            session.delete(part)
            session.commit()

    def participant_ids(self, session_id: int) -> tuple[list[int], list[int]]:
        """Need ids and offer ids registered for the session (404 when unknown)."""
        with self.database.session() as session:
            _session_row(session, session_id)
            return _participant_ids(session, session_id)

    # -- scheduling ------------------------------------------------------------

    def schedule(self, principal: Principal, session_id: int, data: ScheduleIn) -> ScheduleOut:
        """Schedule the session's candidate pairs and store the meetings (staff only)."""
        _require_staff(principal, "schedule sessions")
        with self.database.session() as session:
            row = _session_row(session, session_id)
            parts = list(
                session.scalars(
                    select(SessionParticipantRow).where(
                        SessionParticipantRow.session_id == session_id
                    )
                )
            )
            need_ids = sorted(p.posting_id for p in parts if p.kind == "need")
            offer_ids = sorted(p.posting_id for p in parts if p.kind == "offer")
            accepted = accepted_pairs(session, need_ids, offer_ids) if parts else []
            mutual: set[tuple[int, int]] = set()
            if parts:
                for need_id, offer_id, need_i, offer_i in session.execute(
                    select(
                        PairInterestRow.need_id,
                        PairInterestRow.offer_id,
                        PairInterestRow.need_interested,
                        PairInterestRow.offer_interested,
                    ).where(
                        PairInterestRow.need_id.in_(need_ids),
                        PairInterestRow.offer_id.in_(offer_ids),
                    )
                ):
                    if need_i and offer_i:
                        mutual.add((need_id, offer_id))
            rejected = rejected_pairs(session) if data.include_suggested else set()
            previous_rows = [] if data.reset else list(_meetings(session, session_id))
        unavailable = {
            p.posting_id: frozenset(s for s in p.unavailable_slots if 0 <= s < row.slots)
            for p in parts
        }
        accepted_keys = {(a.need_id, a.offer_id) for a in accepted}
        suggested = sorted(mutual - accepted_keys - rejected) if data.include_suggested else []
        scores = self.matcher.scores([*accepted_keys, *suggested])
        candidates: list[CandidatePair] = []
        source: dict[str, str] = {}
        for a in accepted:
            key = (a.need_id, a.offer_id)
            value = scores.get(key, 0.0) + ACCEPTED_BONUS + (MUTUAL_BONUS if key in mutual else 0)
            candidates.append(CandidatePair(a.pair_id, a.need_id, a.offer_id, round(value, 4)))
            source[a.pair_id] = "accepted"
        for need_id, offer_id in suggested:
            score = scores.get((need_id, offer_id))
            if score is None or score < data.min_score:
                continue
            pid = pair_key(need_id, offer_id)
            candidates.append(CandidatePair(pid, need_id, offer_id, round(score + MUTUAL_BONUS, 4)))
            source[pid] = "suggested"
        in_range = [m for m in previous_rows if m.slot < row.slots and m.table_no < row.tables]
        moved = [pair_key(m.need_id, m.offer_id) for m in previous_rows if m not in in_range]
        previous = tuple(
            Meeting(pair_key(m.need_id, m.offer_id), m.need_id, m.offer_id, m.slot, m.table_no)
            for m in in_range
        )
        rule = fairness_rule(row.fairness_k, row.max_meetings_per_participant)
        if not candidates:
            note = (
                "the session has no participants yet"
                if not parts
                else "no candidate pairs between the participants: accept pairs "
                "(POST /api/v1/pairs/{pair_id}/review) or use include_suggested"
            )
            self._store(session_id, [], {}, {"status": "empty", "note": note})
            return ScheduleOut(
                session_id=session_id,
                meetings=[],
                objective=0.0,
                bound=0.0,
                gap=0.0,
                status="empty",
                unscheduled=[],
                kept=0,
                dropped=[pair_key(m.need_id, m.offer_id) for m in previous_rows],
                candidates=0,
                solve_seconds=0.0,
                fairness_levels=[],
                fairness_rule=rule,
                value_rule=VALUE_RULE,
                note=note,
            )
        problem = ScheduleProblem(
            pairs=tuple(candidates),
            slots=row.slots,
            tables=row.tables,
            max_meetings_per_participant=row.max_meetings_per_participant,
            unavailable=unavailable,
            fairness_k=row.fairness_k,
            previous=previous,
        )
        try:
            result = schedule(problem, time_limit_s=data.time_limit_s)
        except InfeasibleScheduleError as exc:
            raise InfeasibleSchedule(
                f'{exc} (or send "reset": true to schedule from scratch)', ("body",)
            ) from exc
        values = {c.pair_id: c.value for c in candidates}
        info = {
            "status": result.status,
            "objective": result.objective,
            "bound": _finite(result.bound),
            "gap": _finite(result.gap),
            "include_suggested": data.include_suggested,
            "min_score": data.min_score,
        }
        self._store(session_id, result.meetings, {"values": values, "source": source}, info)
        meetings = [
            MeetingOut(
                pair_id=m.pair_id,
                need_id=m.need_id,
                offer_id=m.offer_id,
                slot=m.slot,
                table=m.table,
                start=slot_start(row, m.slot),
                end=slot_end(row, m.slot),
                value=values[m.pair_id],
                source=source[m.pair_id],
            )
            for m in result.meetings
        ]
        return ScheduleOut(
            session_id=session_id,
            meetings=meetings,
            objective=round(result.objective, 6),
            bound=_finite(result.bound),
            gap=_finite(result.gap),
            status=result.status,
            unscheduled=result.unscheduled,
            kept=result.kept,
            dropped=[*moved, *result.dropped],
            candidates=len(candidates),
            solve_seconds=round(result.solve_seconds, 4),
            fairness_levels=result.fairness_levels,
            fairness_rule=rule,
            value_rule=VALUE_RULE,
        )

    def _store(
        self,
        session_id: int,
        meetings: list[Meeting],
        extra: dict[str, dict[str, Any]],
        info: dict[str, Any],
    ) -> None:
        values = extra.get("values", {})
        source = extra.get("source", {})
        with self.database.session(write=True) as session:
            row = _session_row(session, session_id)
            session.execute(delete(SessionMeetingRow).where(SessionMeetingRow.session_id == row.id))
            needs, offers = _participant_ids(session, session_id)
            registered = set(needs) | set(offers)  # someone may have left while we solved
            now = utcnow()
            for m in meetings:
                if m.need_id not in registered or m.offer_id not in registered:
                    continue
                session.add(
                    SessionMeetingRow(
                        session_id=session_id,
                        need_id=m.need_id,
                        offer_id=m.offer_id,
                        slot=m.slot,
                        table_no=m.table,
                        value=values.get(m.pair_id, 0.0),
                        source=source.get(m.pair_id, "accepted"),
                        created_at=now,
                    )
                )
            row.schedule_info = info
            row.scheduled_at = now
            session.commit()

    # -- agendas ---------------------------------------------------------------

    def agenda(self, principal: Principal, session_id: int, posting_id: int | None) -> Agenda:
        """The whole session's meetings (staff), or one participant's (its organization and
        staff), by slot then table."""
        with self.database.session() as session:
            row = _session_row(session, session_id)
            title = None
            if posting_id is None:
                _require_staff(principal, "read the whole session's agenda")
            else:
                _, posting = _participant(
                    session, principal, session_id, posting_id, ("query", "posting_id")
                )
                title = posting.title
            query = select(SessionMeetingRow).where(SessionMeetingRow.session_id == session_id)
            if posting_id is not None:
                query = query.where(_involves(posting_id))
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
                    continue  # a posting was deleted: the next schedule drops the meeting
                items.append(
                    AgendaItem(
                        pair_id=pair_key(m.need_id, m.offer_id),
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
            return Agenda(self._out(session, row), posting_id, title, items)

    # -- outcomes --------------------------------------------------------------

    def record_outcome(
        self, principal: Principal, session_id: int, pair_id: str, data: OutcomeIn
    ) -> OutcomeOut:
        """Record (or replace) what came of a scheduled meeting: staff, or the organization
        of its need or its offer."""
        need_id, offer_id = parse_pair_id(pair_id)
        if data.follow_up is not None and data.outcome.value != "follow_up":
            raise Invalid("follow_up is only given with outcome 'follow_up'", ("body", "follow_up"))
        with self.database.session(write=True) as session:
            _session_row(session, session_id)
            meeting = session.get(SessionMeetingRow, (session_id, need_id, offer_id))
            if meeting is None:
                raise NotFound(
                    f"pair {pair_id} has no meeting in session {session_id}", ("path", "pair_id")
                )
            if not principal.is_staff:
                owners = [
                    p.owner_org
                    for p in (session.get(PostingRow, need_id), session.get(PostingRow, offer_id))
                    if p is not None
                ]
                if not any(principal.owns(org) for org in owners):
                    raise Forbidden("only the two sides of the meeting and staff record outcomes")
            row = session.get(MeetingOutcomeRow, (session_id, need_id, offer_id))
            if row is None:
                row = MeetingOutcomeRow(session_id=session_id, need_id=need_id, offer_id=offer_id)
                session.add(row)
            row.outcome = data.outcome.value
            row.follow_up = data.follow_up.value if data.follow_up else None
            row.note = data.note
            row.recorded_by_org = principal.organization
            row.recorded_by_role = principal.role.value
            row.recorded_at = utcnow()
            try:
                session.commit()
            except IntegrityError as exc:  # a concurrent first outcome of the same pair
                session.rollback()
                raise Conflict("the outcome was recorded concurrently; send it again") from exc
            return _outcome_out(row)

    def outcomes(self, principal: Principal, session_id: int | None = None) -> list[OutcomeOut]:
        """Every recorded outcome (staff), optionally of one session."""
        _require_staff(principal, "export outcomes")
        with self.database.session() as session:
            return [_outcome_out(row) for row, *_ in self._outcome_rows(session, session_id)]

    def outcomes_csv(self, principal: Principal, session_id: int | None = None) -> str:
        """Every recorded outcome as CSV (columns :data:`OUTCOME_COLUMNS`)."""
        _require_staff(principal, "export outcomes")
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(OUTCOME_COLUMNS)
        with self.database.session() as session:
            for row, name, need, offer in self._outcome_rows(session, session_id):
                writer.writerow(
                    [
                        row.session_id,
                        name,
                        pair_key(row.need_id, row.offer_id),
                        row.need_id,
                        row.offer_id,
                        need.title if need else "",
                        (need.organization or "") if need else "",
                        offer.title if offer else "",
                        (offer.organization or "") if offer else "",
                        row.outcome,
                        row.follow_up or "",
                        row.note or "",
                        row.recorded_by_org,
                        row.recorded_at.isoformat(),
                    ]
                )
        return buffer.getvalue()

    @staticmethod
    def _outcome_rows(session: Session, session_id: int | None) -> Iterable[Any]:
        need = PostingRow.__table__.alias("need")
        offer = PostingRow.__table__.alias("offer")
        query = (
            select(MeetingOutcomeRow, SessionRow.name, need.c.id, offer.c.id)
            .join(SessionRow, SessionRow.id == MeetingOutcomeRow.session_id)
            .outerjoin(need, need.c.id == MeetingOutcomeRow.need_id)
            .outerjoin(offer, offer.c.id == MeetingOutcomeRow.offer_id)
            .order_by(
                MeetingOutcomeRow.session_id, MeetingOutcomeRow.need_id, MeetingOutcomeRow.offer_id
            )
        )
        if session_id is not None:
            query = query.where(MeetingOutcomeRow.session_id == session_id)
        rows = list(session.execute(query))
        ids = sorted({i for r in rows for i in (r[2], r[3]) if i is not None})
        postings = {
            p.id: p for p in session.scalars(select(PostingRow).where(PostingRow.id.in_(ids)))
        }
        for row, name, need_id, offer_id in rows:
            yield row, name, postings.get(need_id), postings.get(offer_id)

    # -- helpers ---------------------------------------------------------------

    @staticmethod
    def _out(session: Session, row: SessionRow) -> SessionOut:
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


def _require_staff(principal: Principal, what: str) -> None:
    if not principal.is_staff:
        raise Forbidden(f"only moderators and admins may {what}")


def _session_row(session: Session, session_id: int) -> SessionRow:
    row = session.get(SessionRow, session_id)
    if row is None:
        raise NotFound(f"session {session_id} not found", ("path", "session_id"))
    return row


def _participant(
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


def _participant_ids(session: Session, session_id: int) -> tuple[list[int], list[int]]:
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


def _meetings(session: Session, session_id: int) -> Iterable[SessionMeetingRow]:
    return session.scalars(
        select(SessionMeetingRow)
        .where(SessionMeetingRow.session_id == session_id)
        .order_by(SessionMeetingRow.slot, SessionMeetingRow.table_no)
    )


def _involves(posting_id: int) -> Any:
    return or_(SessionMeetingRow.need_id == posting_id, SessionMeetingRow.offer_id == posting_id)


def _check_slots(row: SessionRow, slots: list[int]) -> None:
    bad = [s for s in slots if s >= row.slots]
    if bad:
        raise Invalid(
            f"slots {bad} are outside the session's slots 0..{row.slots - 1}",
            ("body", "unavailable_slots"),
        )


def _participant_out(part: SessionParticipantRow, posting: PostingRow) -> ParticipantOut:
    return ParticipantOut(
        posting_id=part.posting_id,
        kind=part.kind,
        title=posting.title,
        organization=posting.organization,
        owner_org=posting.owner_org,
        unavailable_slots=list(part.unavailable_slots or []),
        registered_by_org=part.registered_by_org,
        created_at=part.created_at,
    )


def _outcome_out(row: MeetingOutcomeRow) -> OutcomeOut:
    return OutcomeOut(
        session_id=row.session_id,
        pair_id=pair_key(row.need_id, row.offer_id),
        need_id=row.need_id,
        offer_id=row.offer_id,
        outcome=row.outcome,  # type: ignore[arg-type]
        follow_up=row.follow_up,  # type: ignore[arg-type]
        note=row.note,
        recorded_by_org=row.recorded_by_org,
        recorded_at=row.recorded_at,
    )
