"""Greedy baseline: best pairs first, each in the earliest slot and table that fits.

Kept meetings from ``problem.previous`` are placed first, at their slot and table. Then the
eligible pairs are taken by value (highest first, ties by ``pair_id``) and each goes to the
earliest slot where both participants are available and free, neither is at its maximum, and
a table is free (lowest free table). The greedy ignores the fairness rule; it is the
baseline the CP-SAT scheduler is measured against and the hint it starts from.
"""

from __future__ import annotations

import math
import time
from collections import defaultdict

from service.scheduling.model import (
    Meeting,
    Prepared,
    ScheduleProblem,
    ScheduleResult,
    prepare,
    summarise,
)


def greedy_meetings(prepared: Prepared, start: list[Meeting] | None = None) -> list[Meeting]:
    """The greedy schedule of a prepared problem, unsorted.

    It starts from ``start`` (a valid partial schedule; default: the kept meetings) and adds
    the remaining pairs greedily.
    """
    problem = prepared.problem
    busy: dict[int, set[int]] = defaultdict(set)
    count: dict[int, int] = defaultdict(int)
    used: list[set[int]] = [set() for _ in range(problem.slots)]
    meetings = list(prepared.kept if start is None else start)
    for m in meetings:
        used[m.slot].add(m.table)
        for pid in (m.need_id, m.offer_id):
            busy[pid].add(m.slot)
            count[pid] += 1
    placed_ids = {m.pair_id for m in meetings}
    limit = problem.max_meetings_per_participant
    order = sorted(
        (p for p in prepared.eligible if p.pair_id not in placed_ids),
        key=lambda p: (-p.value, p.pair_id),
    )
    for pair in order:
        a, b = pair.need_id, pair.offer_id
        if count[a] >= limit or count[b] >= limit:
            continue
        blocked = problem.blocked(a) | problem.blocked(b) | busy[a] | busy[b]
        for slot in range(problem.slots):
            if slot in blocked or len(used[slot]) >= problem.tables:
                continue
            table = next(t for t in range(problem.tables) if t not in used[slot])
            used[slot].add(table)
            meetings.append(Meeting(pair.pair_id, a, b, slot, table))
            for pid in (a, b):
                busy[pid].add(slot)
                count[pid] += 1
            break
    return meetings


def greedy_schedule(problem: ScheduleProblem) -> ScheduleResult:
    """Schedule ``problem`` with the greedy baseline (no fairness rule, no bound).

    Raises ``InfeasibleScheduleError`` on the same inputs as ``schedule``.
    """
    start = time.perf_counter()
    prepared = prepare(problem)
    meetings = sorted(greedy_meetings(prepared), key=lambda m: (m.slot, m.table))
    objective, floor, levels, unscheduled = summarise(prepared, meetings)
    return ScheduleResult(
        meetings=meetings,
        objective=objective,
        bound=math.nan,
        gap=math.nan,
        status="heuristic",
        fairness_floor=floor,
        unscheduled=unscheduled,
        solve_seconds=time.perf_counter() - start,
        kept=len(prepared.kept),
        fairness_levels=levels,
        refused=prepared.refused,
        dropped=prepared.dropped,
    )
