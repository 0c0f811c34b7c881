"""Tech-transfer sessions: registered participants, the meeting schedule, agendas and
meeting outcomes.

A session has ``slots`` time slots of ``slot_minutes`` from ``start`` and ``tables`` tables;
its participants are registered postings (needs and offers) with the slots they cannot
attend. Scheduling turns the accepted pairs between participants (and, on request, the
suggested pairs both sides want) into candidate pairs for the pure scheduler
:func:`service.scheduling.schedule`; the stored schedule is passed as ``previous`` so that a
re-schedule keeps unaffected meetings at their slot and table. Slots and tables are 0-based.

| module | job |
|---|---|
| ``times`` | slot start / end in the session's offset, table names |
| ``rows`` | the session and participant rows, with the access rules |
| ``crud`` | create, list, read, change, delete sessions |
| ``participants`` | register, list, change, unregister participants |
| ``planning`` | scores in → the scheduler's problem out (values, candidates; pure) |
| ``meetings`` | read the inputs, score, plan, solve, store the meetings |
| ``agenda`` | the agenda types and the stored meetings as an agenda |
| ``exports`` | an agenda as JSON, CSV and printable HTML |
| ``ics`` | an agenda as an iCalendar file |
| ``outcomes`` | meeting outcomes: record, list, CSV |
| ``service`` | :class:`SessionService`, the use cases the routes call |
"""

from __future__ import annotations

from service.sessions.agenda import Agenda, AgendaItem
from service.sessions.meetings import InfeasibleSchedule
from service.sessions.planning import ACCEPTED_BONUS, MUTUAL_BONUS, VALUE_RULE, fairness_rule
from service.sessions.service import SessionService
from service.sessions.times import location, slot_end, slot_start

__all__ = [
    "ACCEPTED_BONUS",
    "MUTUAL_BONUS",
    "VALUE_RULE",
    "Agenda",
    "AgendaItem",
    "InfeasibleSchedule",
    "SessionService",
    "fairness_rule",
    "location",
    "slot_end",
    "slot_start",
]
