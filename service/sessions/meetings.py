"""Scheduling a session: read the participants and review state, score the pairs, plan
(:mod:`service.sessions.planning`), solve (:func:`service.scheduling.schedule`) and store
the meetings (table ``session_meetings``)."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import delete, select

from service.auth.roles import Principal
from service.db.engine import Database
from service.db.models import PairInterestRow, SessionMeetingRow, SessionParticipantRow
from service.db.types import utcnow
from service.errors import ServiceError
from service.matching import Matcher
from service.reviews import accepted_pairs, rejected_pairs
from service.scheduling import InfeasibleScheduleError, Meeting, schedule
from service.schemas.sessions import MeetingOut, ScheduleIn, ScheduleOut
from service.sessions.planning import (
    VALUE_RULE,
    candidates,
    fairness_rule,
    kept_meetings,
    schedule_problem,
    session_pairs,
    unavailable_slots,
)
from service.sessions.rows import participant_ids, require_staff, session_row, stored_meetings
from service.sessions.schedule_lock import schedule_lock
from service.sessions.times import slot_end, slot_start
from vocabulary import pair_id


class InfeasibleSchedule(ServiceError):
    """The session cannot be scheduled as it stands (the message says why)."""

    status_code = 409
    error_type = "infeasible_schedule"


def _finite(value: float) -> float | None:
    return value if math.isfinite(value) else None


def schedule_session(
    database: Database, matcher: Matcher, principal: Principal, session_id: int, data: ScheduleIn
) -> ScheduleOut:
    """Schedule the session's candidate pairs and store the meetings (staff only). No
    participants or no candidates: an ``empty`` schedule with a note; a stored schedule the
    session's limits cannot keep: :class:`InfeasibleSchedule` (409)."""
    require_staff(principal, "schedule sessions")
    with schedule_lock(database, session_id):
        return _schedule(database, matcher, session_id, data)


def _schedule(
    database: Database, matcher: Matcher, session_id: int, data: ScheduleIn
) -> ScheduleOut:
    with database.session() as session:
        row = session_row(session, session_id)
        parts = list(
            session.scalars(
                select(SessionParticipantRow).where(SessionParticipantRow.session_id == session_id)
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
        stored = [] if data.reset else list(stored_meetings(session, session_id))
    pairs = session_pairs(
        [(a.need_id, a.offer_id) for a in accepted], mutual, rejected, data.include_suggested
    )
    found = candidates(pairs, matcher.scores(pairs.to_score), data.min_score)
    stored_as_meetings = [
        Meeting(pair_id(m.need_id, m.offer_id), m.need_id, m.offer_id, m.slot, m.table_no)
        for m in stored
    ]
    previous, moved = kept_meetings(stored_as_meetings, row.slots, row.tables)
    rule = fairness_rule(row.fairness_k, row.max_meetings_per_participant)
    if not found.pairs:
        note = (
            "the session has no participants yet"
            if not parts
            else "no candidate pairs between the participants: accept pairs "
            "(POST /api/v1/pairs/{pair_id}/review) or use include_suggested"
        )
        store_meetings(database, session_id, [], {}, {}, {"status": "empty", "note": note})
        return ScheduleOut(
            session_id=session_id,
            meetings=[],
            objective=0.0,
            bound=0.0,
            gap=0.0,
            status="empty",
            unscheduled=[],
            kept=0,
            dropped=[pair_id(m.need_id, m.offer_id) for m in stored],
            candidates=0,
            solve_seconds=0.0,
            fairness_levels=[],
            fairness_rule=rule,
            value_rule=VALUE_RULE,
            note=note,
        )
    problem = schedule_problem(
        found,
        slots=row.slots,
        tables=row.tables,
        max_meetings_per_participant=row.max_meetings_per_participant,
        fairness_k=row.fairness_k,
        unavailable=unavailable_slots(
            {p.posting_id: p.unavailable_slots for p in parts}, row.slots
        ),
        previous=previous,
    )
    try:
        result = schedule(problem, time_limit_s=data.time_limit_s)
    except InfeasibleScheduleError as exc:
        raise InfeasibleSchedule(
            f'{exc} (or send "reset": true to schedule from scratch)', ("body",)
        ) from exc
    values = found.values
    info = {
        "status": result.status,
        "objective": result.objective,
        "bound": _finite(result.bound),
        "gap": _finite(result.gap),
        "include_suggested": data.include_suggested,
        "min_score": data.min_score,
    }
    store_meetings(database, session_id, result.meetings, values, found.source, info)
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
            source=found.source[m.pair_id],
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
        candidates=len(found.pairs),
        solve_seconds=round(result.solve_seconds, 4),
        fairness_levels=result.fairness_levels,
        fairness_rule=rule,
        value_rule=VALUE_RULE,
    )


def store_meetings(
    database: Database,
    session_id: int,
    meetings: Sequence[Meeting],
    values: Mapping[str, float],
    source: Mapping[str, str],
    info: dict[str, Any],
) -> None:
    """Replace the session's stored meetings by ``meetings`` (those whose two postings are
    still registered: someone may have left while the solver ran) and record ``info``."""
    with database.session(write=True) as session:
        row = session_row(session, session_id, for_update=True)
        session.execute(delete(SessionMeetingRow).where(SessionMeetingRow.session_id == row.id))
        needs, offers = participant_ids(session, session_id)
        registered = set(needs) | set(offers)
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
