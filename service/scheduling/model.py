"""Data types of the meeting scheduler, and the input checks both schedulers share.

A *participant* is a posting id (need or offer; ids are unique across both kinds). A
*candidate pair* is one need–offer pair a moderator has looked at; only pairs that are
``accepted`` and not ``rejected`` (``eligible``) may become meetings. A meeting puts one pair
at one ``(slot, table)``; slots are numbered ``0..slots-1`` and tables ``0..tables-1``.

Everything here is plain data: no database, no HTTP.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field


class InfeasibleScheduleError(ValueError):
    """The problem cannot be scheduled as given; the message says which input is at fault.

    An empty schedule is *not* infeasible: a problem whose pairs cannot be placed simply
    returns no meetings.
    """


@dataclass(frozen=True)
class CandidatePair:
    """One need–offer pair; ``value`` is what a meeting between them is worth (higher is better)."""

    pair_id: str
    need_id: int
    offer_id: int
    value: float
    accepted: bool = True
    rejected: bool = False

    @property
    def eligible(self) -> bool:
        """True when the pair may become a meeting (accepted and never rejected)."""
        return self.accepted and not self.rejected


@dataclass(frozen=True)
class Meeting:
    """Pair ``pair_id`` meets at ``slot`` (0..slots-1) and ``table`` (0..tables-1)."""

    pair_id: str
    need_id: int
    offer_id: int
    slot: int
    table: int


@dataclass(frozen=True)
class ScheduleProblem:
    """Everything the scheduler needs: pairs, room size, limits, and the previous schedule.

    ``unavailable`` maps a participant id to the slots it cannot attend. ``fairness_k`` is the
    fairness level (0 switches the fairness rule off; see ``service.scheduling.solver``).
    ``previous`` is the schedule in force before a change: its meetings that are still valid
    are kept at the same slot and table.
    """

    pairs: tuple[CandidatePair, ...]
    slots: int
    tables: int
    max_meetings_per_participant: int
    unavailable: Mapping[int, frozenset[int]] = field(default_factory=dict)
    fairness_k: int = 1
    previous: tuple[Meeting, ...] = ()

    def __post_init__(self) -> None:
        # Accept lists and plain sets from callers; store immutable forms.
        object.__setattr__(self, "pairs", tuple(self.pairs))
        object.__setattr__(self, "previous", tuple(self.previous))
        object.__setattr__(
            self, "unavailable", {int(p): frozenset(s) for p, s in self.unavailable.items()}
        )

    def blocked(self, participant: int) -> frozenset[int]:
        """Slots ``participant`` cannot attend (empty when none were declared)."""
        return self.unavailable.get(participant, frozenset())


@dataclass
class ScheduleResult:
    """What a scheduler returns.

    - ``meetings``: the schedule, sorted by (slot, table).
    - ``objective``: total value of all meetings (kept ones included), in the pairs' units.
    - ``bound``: proven upper bound on that total among schedules reaching the same fairness
      levels (CP-SAT, on values rounded to 1/VALUE_SCALE); ``nan`` for the greedy heuristic.
      ``gap`` = (bound − objective) / |bound| (``nan`` for greedy).
    - ``status``: ``"optimal"`` (fairness levels and value proven optimal), ``"feasible"``
      (time limit hit: valid schedule, see ``gap``) or ``"heuristic"`` (greedy).
    - ``fairness_floor``: per participant (every id in an eligible pair), min(meetings, k) —
      the number of its meetings the fairness rule accounts for.
    - ``fairness_levels``: ``[c_1, …, c_k]``, c_l = participants with at least l meetings.
    - ``unscheduled``: eligible pairs that got no meeting. ``refused``: pairs skipped because
      they are rejected or not accepted. ``dropped``: previous meetings no longer valid.
    - ``kept``: number of previous meetings kept at their slot and table.
    """

    meetings: list[Meeting]
    objective: float
    bound: float
    gap: float
    status: str
    fairness_floor: dict[int, int]
    unscheduled: list[str]
    solve_seconds: float
    kept: int
    fairness_levels: list[int] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)


@dataclass
class Prepared:
    """A checked problem: eligible pairs, the previous meetings to keep, and derived facts."""

    problem: ScheduleProblem
    eligible: list[CandidatePair]
    refused: list[str]
    kept: list[Meeting]
    dropped: list[str]
    participants: list[int]
    levels: int  # fairness levels actually used: min(fairness_k, max_meetings_per_participant)


def _check_numbers(problem: ScheduleProblem) -> None:
    if problem.slots <= 0:
        raise InfeasibleScheduleError(
            f"slots must be at least 1, got {problem.slots}: a session without time slots "
            "cannot hold meetings"
        )
    if problem.tables <= 0:
        raise InfeasibleScheduleError(
            f"tables must be at least 1, got {problem.tables}: a session without tables "
            "cannot hold meetings"
        )
    if problem.max_meetings_per_participant < 0:
        raise InfeasibleScheduleError(
            "max_meetings_per_participant must be 0 or more, got "
            f"{problem.max_meetings_per_participant}"
        )
    if problem.fairness_k < 0:
        raise InfeasibleScheduleError(
            f"fairness_k must be 0 (off) or more, got {problem.fairness_k}"
        )


def _check_pairs(problem: ScheduleProblem) -> None:
    seen: set[str] = set()
    roles: dict[int, str] = {}
    couples: dict[tuple[int, int], str] = {}
    for pair in problem.pairs:
        if pair.pair_id in seen:
            raise InfeasibleScheduleError(f"pair_id {pair.pair_id!r} appears more than once")
        seen.add(pair.pair_id)
        if not math.isfinite(pair.value):
            raise InfeasibleScheduleError(f"pair {pair.pair_id!r} has a non-finite value")
        if pair.need_id == pair.offer_id:
            raise InfeasibleScheduleError(
                f"pair {pair.pair_id!r} pairs participant {pair.need_id} with itself"
            )
        for pid, role in ((pair.need_id, "need"), (pair.offer_id, "offer")):
            if roles.setdefault(pid, role) != role:
                raise InfeasibleScheduleError(
                    f"participant {pid} is a need in one pair and an offer in another "
                    f"(pair {pair.pair_id!r}); posting ids must be unique across both kinds"
                )
        if pair.eligible:
            couple = (pair.need_id, pair.offer_id)
            if couple in couples:
                raise InfeasibleScheduleError(
                    f"pairs {couples[couple]!r} and {pair.pair_id!r} both pair need "
                    f"{couple[0]} with offer {couple[1]}"
                )
            couples[couple] = pair.pair_id


def _split_previous(problem: ScheduleProblem) -> tuple[list[Meeting], list[str]]:
    """Previous meetings still valid (kept) and the pair ids of those no longer valid."""
    by_id = {p.pair_id: p for p in problem.pairs}
    kept: list[Meeting] = []
    dropped: list[str] = []
    seen: set[str] = set()
    for m in problem.previous:
        if m.pair_id in seen:
            raise InfeasibleScheduleError(f"previous schedule has pair {m.pair_id!r} twice")
        seen.add(m.pair_id)
        pair = by_id.get(m.pair_id)
        if pair is None or not pair.eligible:
            dropped.append(m.pair_id)  # cancelled: pair removed or rejected
            continue
        if (pair.need_id, pair.offer_id) != (m.need_id, m.offer_id):
            raise InfeasibleScheduleError(
                f"previous meeting {m.pair_id!r} is between {m.need_id} and {m.offer_id}, but "
                f"that pair is now between {pair.need_id} and {pair.offer_id}"
            )
        if not (0 <= m.slot < problem.slots and 0 <= m.table < problem.tables):
            raise InfeasibleScheduleError(
                f"previous meeting {m.pair_id!r} is at slot {m.slot}, table {m.table}, outside "
                f"the new {problem.slots} slots x {problem.tables} tables; drop it from "
                "`previous` to have it re-scheduled"
            )
        if m.slot in problem.blocked(m.need_id) or m.slot in problem.blocked(m.offer_id):
            dropped.append(m.pair_id)  # cancelled: a participant became unavailable
            continue
        kept.append(m)
    _check_kept(problem, kept)
    return kept, dropped


def _check_kept(problem: ScheduleProblem, kept: list[Meeting]) -> None:
    places: dict[tuple[int, int], str] = {}
    busy: dict[tuple[int, int], str] = {}
    for m in kept:
        other = places.setdefault((m.slot, m.table), m.pair_id)
        if other != m.pair_id:
            raise InfeasibleScheduleError(
                f"previous meetings {other!r} and {m.pair_id!r} share slot {m.slot}, "
                f"table {m.table}"
            )
        for pid in (m.need_id, m.offer_id):
            other = busy.setdefault((pid, m.slot), m.pair_id)
            if other != m.pair_id:
                raise InfeasibleScheduleError(
                    f"previous meetings {other!r} and {m.pair_id!r} both need participant "
                    f"{pid} in slot {m.slot}"
                )
    counts = Counter(pid for m in kept for pid in (m.need_id, m.offer_id))
    for pid, n in sorted(counts.items()):
        if n > problem.max_meetings_per_participant:
            raise InfeasibleScheduleError(
                f"participant {pid} keeps {n} previous meetings, more than the new maximum "
                f"of {problem.max_meetings_per_participant}; drop some from `previous`"
            )


def prepare(problem: ScheduleProblem) -> Prepared:
    """Check ``problem`` and split it into eligible pairs and previous meetings to keep.

    Raises ``InfeasibleScheduleError`` for inputs no schedule can honour: no slots or tables,
    negative limits, duplicate or self pairs, a previous schedule that is inconsistent or
    breaks the new limits. Previous meetings whose pair was removed/rejected or whose
    participant became unavailable in that slot are dropped, not errors.
    """
    _check_numbers(problem)
    _check_pairs(problem)
    kept, dropped = _split_previous(problem)
    eligible = [p for p in problem.pairs if p.eligible]
    refused = [p.pair_id for p in problem.pairs if not p.eligible]
    participants = sorted({pid for p in eligible for pid in (p.need_id, p.offer_id)})
    levels = min(problem.fairness_k, problem.max_meetings_per_participant)
    return Prepared(problem, eligible, refused, kept, dropped, participants, levels)


def summarise(
    prepared: Prepared, meetings: list[Meeting]
) -> tuple[float, dict[int, int], list[int], list[str]]:
    """Total value, fairness floor, fairness levels and unscheduled pair ids of ``meetings``."""
    value = {p.pair_id: p.value for p in prepared.eligible}
    objective = math.fsum(value[m.pair_id] for m in meetings)
    counts: dict[int, int] = defaultdict(int)
    for m in meetings:
        counts[m.need_id] += 1
        counts[m.offer_id] += 1
    k = prepared.levels
    floor = {pid: min(counts[pid], k) for pid in prepared.participants}
    levels = [
        sum(1 for pid in prepared.participants if counts[pid] >= lv) for lv in range(1, k + 1)
    ]
    placed = {m.pair_id for m in meetings}
    unscheduled = [p.pair_id for p in prepared.eligible if p.pair_id not in placed]
    return objective, floor, levels, unscheduled
