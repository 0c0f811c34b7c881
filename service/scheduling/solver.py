"""Meeting scheduler on OR-Tools CP-SAT: eligible pairs → meetings at (slot, table).

Hard constraints (checked independently by ``service.scheduling.validate.violations``):

- only eligible pairs (accepted, not rejected) meet, each at most once;
- a participant is in at most one meeting per slot, never in a slot it declared unavailable,
  and in at most ``max_meetings_per_participant`` meetings in all;
- a table holds at most one meeting per slot (so a slot holds at most ``tables`` meetings);
- previous meetings that are still valid stay at the same slot and table (see below).

Fairness rule (k = min(fairness_k, max_meetings_per_participant); k = 0 switches it off).
The participants are the ids in at least one eligible pair. For l = 1..k let c_l be the
number of participants with at least l meetings. The scheduler first makes c_1 as large as
any feasible schedule allows, then — without lowering c_1 — makes c_2 as large as possible,
and so on up to c_k (lexicographic maximum of (c_1, …, c_k)). Only then does it maximise
the total value, keeping every c_l at that level. Consequences:

- a participant's (l+1)-th meeting is never bought with another participant's l-th (l ≤ k):
  meetings beyond the k-th count for nothing until every level up to k is as full as it can
  be, and then they go by value into the capacity left over;
- if some feasible schedule gives every participant p min(k, d_p) meetings, where d_p is the
  most p could have in any feasible schedule, then every participant gets min(k, d_p);
  ``ScheduleResult.fairness_floor[p]`` = min(meetings of p, k) reports what each one got.

Re-scheduling. Meetings in ``problem.previous`` whose pair is still eligible and whose two
participants are still available in that slot are fixed at their slot and table; the others
are dropped (``ScheduleResult.dropped``). Only the capacity left free — slots, tables,
participants' remaining meetings — is re-optimised, under the same rule (kept meetings count
towards c_l). A previous schedule that breaks the new limits raises
``InfeasibleScheduleError`` rather than being silently moved.

How it is solved. Tables are interchangeable, so they are assigned last (kept meetings keep
theirs, new ones take the lowest free table of their slot). The slot-indexed model (boolean
x[p, s]) is exact but CP-SAT closes its bound slowly, so the solver works in two steps:

1. *Selection* — a relaxation with one boolean z[p] per pair, no slots: a pair only if its two
   sides share a free slot; for every slot set T that is some pair's set of possible slots,
   the pairs confined to T fit in T's free tables and a participant's pairs confined to T
   number at most |T|; a participant's new meetings ≤ its meetings left. The fairness phases,
   then the value phase, are solved on it; its optimum bounds the real problem's from above.
2. *Slot assignment* — the slot-indexed model restricted to the selected pairs. If every
   selected pair gets a slot, the schedule reaches the relaxation's optimum: it is optimal
   and ``bound`` is the relaxation's bound.

Otherwise (the relaxation cannot see every way free slots interact) the full slot-indexed
model is solved in the same phases, starting from the part of the selection that fits
completed greedily (or the greedy schedule, if fairer). The relaxation still helps: once its
proven fairness levels are reached no fairness phase is needed, and its value bound is added
as a cut. That path reports its own bound and may end "feasible" at the time limit.

Values are scaled to integers (``VALUE_SCALE``); ``bound`` and ``gap`` hold for schedules that
reach the same fairness levels and are exact for the scaled values (the rounding moves the
total by at most 0.5 / VALUE_SCALE per meeting).
"""

from __future__ import annotations

import math
import time
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from ortools.sat.python import cp_model

from service.scheduling.greedy import greedy_meetings
from service.scheduling.model import (
    Meeting,
    Prepared,
    ScheduleProblem,
    ScheduleResult,
    prepare,
    summarise,
)

VALUE_SCALE = 1000
"""Pair values are multiplied by this and rounded to integers for CP-SAT."""

_MAX_WEIGHTED = 2**50  # lexicographic weights of one fairness solve must stay below this
_ANY_SLOT = -1  # slot key of the selection model's variables
_SELECT_SHARE = 0.5  # share of the time limit for the selection step
_ASSIGN_SHARE = 0.2  # share of the time limit for the slot assignment
_PARTIAL_SHARE = 0.1  # share of the time left for a partial assignment, if the full one fails

Key = tuple[int, int]  # (index into prepared.eligible, slot or _ANY_SLOT)


@dataclass
class _Space:
    """Capacity left once kept meetings are in place."""

    kept_count: dict[int, int]
    room: list[int]  # free tables per slot
    free: dict[int, set[int]]  # participant -> slots it could still meet in
    options: dict[int, list[int]]  # eligible pair index -> slots it could be placed in
    left: dict[int, int]  # participant -> meetings it may still get


def _space(prepared: Prepared) -> _Space:
    problem = prepared.problem
    kept_ids = {k.pair_id for k in prepared.kept}
    busy: dict[int, set[int]] = defaultdict(set)
    kept_count: dict[int, int] = defaultdict(int)
    room = [problem.tables] * problem.slots
    for k in prepared.kept:
        room[k.slot] -= 1
        for pid in (k.need_id, k.offer_id):
            busy[pid].add(k.slot)
            kept_count[pid] += 1
    open_slots = {s for s in range(problem.slots) if room[s] > 0}
    free = {pid: open_slots - problem.blocked(pid) - busy[pid] for pid in prepared.participants}
    left = {
        pid: max(problem.max_meetings_per_participant - kept_count[pid], 0)
        for pid in prepared.participants
    }
    options: dict[int, list[int]] = {}
    for i, pair in enumerate(prepared.eligible):
        a, b = pair.need_id, pair.offer_id
        if pair.pair_id in kept_ids or not left[a] or not left[b]:
            continue
        common = sorted(free[a] & free[b])
        if common:
            options[i] = common
    return _Space(kept_count, room, free, options, left)


@dataclass
class _Model:
    """A CP-SAT model with its placement and fairness variables, re-solved per phase."""

    model: cp_model.CpModel
    x: dict[Key, cp_model.IntVar]  # placement of pair i (in slot s, or anywhere: _ANY_SLOT)
    y: dict[tuple[int, int], cp_model.IntVar]  # (participant, level) reached
    kept_value: int
    values: list[int]  # scaled value per eligible pair index
    fair_proven: bool = True  # fairness levels proven lexicographically maximal
    value_proven: bool = True  # value proven maximal given those levels
    ceiling_fair_proven: bool = False  # the ceiling's levels were proven (set by the caller)


def _build(prepared: Prepared, space: _Space, slotted: bool) -> _Model:
    """The slot-indexed model (``slotted``) or the selection relaxation, with fairness vars."""
    m = cp_model.CpModel()
    x: dict[Key, cp_model.IntVar] = {}
    by_person: dict[int, list[cp_model.IntVar]] = defaultdict(list)
    by_slot: dict[int, list[cp_model.IntVar]] = defaultdict(list)
    by_person_slot: dict[Key, list[cp_model.IntVar]] = defaultdict(list)
    for i, slots in space.options.items():
        pair = prepared.eligible[i]
        own = []
        for s in slots if slotted else [_ANY_SLOT]:
            var = x[i, s] = m.new_bool_var(f"x_{i}_{s}")
            own.append(var)
            by_slot[s].append(var)
            for pid in (pair.need_id, pair.offer_id):
                by_person[pid].append(var)
                by_person_slot[pid, s].append(var)
        if len(own) > 1:
            m.add_at_most_one(own)
    if slotted:
        for s, vs in by_slot.items():
            if len(vs) > space.room[s]:
                m.add(sum(vs) <= space.room[s])
        for vs in by_person_slot.values():
            if len(vs) > 1:
                m.add_at_most_one(vs)
    else:
        _selection_cuts(m, prepared, space, x)
    for pid, vs in by_person.items():
        if len(vs) > space.left[pid]:
            m.add(sum(vs) <= space.left[pid])
    y: dict[tuple[int, int], cp_model.IntVar] = {}
    for pid, vs in by_person.items():
        have = min(space.kept_count[pid], prepared.levels)
        ys = [m.new_bool_var(f"y_{pid}_{lv}") for lv in range(have + 1, prepared.levels + 1)]
        for lv, var in zip(range(have + 1, prepared.levels + 1), ys, strict=True):
            y[pid, lv] = var
        for hi, lo in zip(ys[1:], ys, strict=False):
            m.add_implication(hi, lo)
        if ys:
            m.add(sum(ys) <= sum(vs))
    kept_ids = {k.pair_id for k in prepared.kept}
    values = [round(p.value * VALUE_SCALE) for p in prepared.eligible]
    kept_value = sum(values[i] for i, p in enumerate(prepared.eligible) if p.pair_id in kept_ids)
    return _Model(m, x, y, kept_value, values)


def _confined(
    groups: dict[frozenset[int], list[cp_model.IntVar]],
) -> Iterator[tuple[frozenset[int], list[cp_model.IntVar]]]:
    """For each slot set T among ``groups``' keys: T and the variables confined to subsets of T."""
    for t in groups:
        yield t, [v for u, vs in groups.items() if u <= t for v in vs]


def _selection_cuts(
    m: cp_model.CpModel, prepared: Prepared, space: _Space, x: dict[Key, cp_model.IntVar]
) -> None:
    """Capacity constraints of the selection relaxation (all valid for the real problem).

    For every slot set T that is some pair's set of possible slots: the pairs that can only
    meet within T fit in the free tables of T, and a participant's pairs that can only meet
    within T number at most |T| (T = all open slots gives the plain total / per-person caps).
    """
    groups: dict[frozenset[int], list[cp_model.IntVar]] = defaultdict(list)
    person: dict[int, dict[frozenset[int], list[cp_model.IntVar]]] = defaultdict(
        lambda: defaultdict(list)
    )
    for i, slots in space.options.items():
        pair, key = prepared.eligible[i], frozenset(slots)
        groups[key].append(x[i, _ANY_SLOT])
        person[pair.need_id][key].append(x[i, _ANY_SLOT])
        person[pair.offer_id][key].append(x[i, _ANY_SLOT])
    open_slots = frozenset(s for s, r in enumerate(space.room) if r > 0)
    for t, vs in _confined({open_slots: []} | groups):
        room = sum(space.room[s] for s in t)
        if len(vs) > room:
            m.add(sum(vs) <= room)
    for pid, own in person.items():
        free = frozenset(space.free[pid])
        for t, vs in _confined({free: []} | own):
            if len(vs) > len(t):
                m.add(sum(vs) <= len(t))


def _counts(prepared: Prepared, placed: Iterable[Key]) -> dict[int, int]:
    """Meetings per participant: kept ones plus the placed keys."""
    counts: dict[int, int] = defaultdict(int)
    for k in prepared.kept:
        counts[k.need_id] += 1
        counts[k.offer_id] += 1
    for i, _ in placed:
        counts[prepared.eligible[i].need_id] += 1
        counts[prepared.eligible[i].offer_id] += 1
    return counts


def _levels(prepared: Prepared, placed: Iterable[Key]) -> list[int]:
    """[c_1, …, c_k]: participants with at least l meetings, for l = 1..k."""
    counts = _counts(prepared, placed)
    return [
        sum(1 for pid in prepared.participants if counts[pid] >= lv)
        for lv in range(1, prepared.levels + 1)
    ]


def _value(mod: _Model, placed: Iterable[Key]) -> int:
    """Scaled total value of the kept meetings and the placed keys."""
    return mod.kept_value + sum(mod.values[i] for i, _ in placed)


def _rank(prepared: Prepared, mod: _Model, placed: Iterable[Key]) -> tuple[list[int], int]:
    """Order of preference between schedules: fairness levels first, then value."""
    placed = list(placed)
    return _levels(prepared, placed), _value(mod, placed)


def _hint(prepared: Prepared, mod: _Model, placed: set[Key]) -> None:
    """Start the next solve from a known feasible assignment (every variable hinted)."""
    counts = _counts(prepared, placed)
    mod.model.clear_hints()
    for key, var in mod.x.items():
        mod.model.add_hint(var, key in placed)
    for (pid, lv), var in mod.y.items():
        mod.model.add_hint(var, counts[pid] >= lv)


def _solver(seconds: float, workers: int, presolve: bool = True) -> cp_model.CpSolver:
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = max(seconds, 0.05)
    solver.parameters.num_workers = max(1, workers)
    # The selection model is a bipartite b-matching whose LP is (nearly) integral; CP-SAT's
    # presolve rewrites it into a form with a much weaker LP bound (measured on the benchmark:
    # 13 s to prove optimality with presolve, 0.3 s without). The full slot-indexed model also
    # did better without it (optimum found vs 1.2% gap in 60 s); the assignment keeps it.
    solver.parameters.cp_model_presolve = presolve
    return solver


def _solve(mod: _Model, seconds: float, workers: int) -> tuple[cp_model.CpSolver | None, bool]:
    """Solve the current objective: (the solver if it found a solution, proven optimal?)."""
    solver = _solver(seconds, workers, presolve=False)
    status = solver.solve(mod.model)
    if status in (cp_model.INFEASIBLE, cp_model.MODEL_INVALID):
        raise RuntimeError(f"CP-SAT found the schedule model {solver.status_name(status)}")
    found = status in (cp_model.OPTIMAL, cp_model.FEASIBLE)
    return (solver if found else None), status == cp_model.OPTIMAL


def _level_batches(participants: int, levels: int) -> list[list[int]]:
    """Group fairness levels so that each group's lexicographic weights fit in integers."""
    batches: list[list[int]] = []
    for lv in range(1, levels + 1):
        if batches and (participants + 1) ** (len(batches[-1]) + 1) < _MAX_WEIGHTED:
            batches[-1].append(lv)
        else:
            batches.append([lv])
    return batches


def _optimise(
    prepared: Prepared,
    mod: _Model,
    placed: set[Key],
    seconds: float,
    workers: int,
    ceiling: tuple[list[int], float] | None = None,
) -> tuple[set[Key], float]:
    """Fairness phases, then the value phase, from the feasible ``placed``.

    ``ceiling`` = (levels, bound) of a relaxation: levels it proved lexicographically maximal
    (when ``mod.ceiling_fair_proven``) need no fairness phase once reached, and when this model
    reaches them its value cannot exceed the bound, which is added as a cut so CP-SAT can stop
    there. Returns the placed keys and the scaled value bound (kept meetings included); records in
    ``mod.fair_proven`` / ``mod.value_proven`` whether each step was proven optimal.
    """
    deadline = time.perf_counter() + seconds
    n = len(prepared.participants)
    batches = [b for b in _level_batches(n, prepared.levels) if any(k[1] in b for k in mod.y)]
    settled = (
        ceiling is not None and mod.ceiling_fair_proven and _levels(prepared, placed) == ceiling[0]
    )
    for bi, batch in enumerate(batches):
        terms = {lv: [v for (_, lv2), v in mod.y.items() if lv2 == lv] for lv in batch}
        if not settled:
            weights = {lv: (n + 1) ** (len(batch) - 1 - j) for j, lv in enumerate(batch)}
            weighted = sum(weights[lv] * sum(terms[lv]) for lv in batch)
            mod.model.maximize(weighted)
            _hint(prepared, mod, placed)
            # The fairness phases share at most half of the time; the value phase gets the rest.
            share = (deadline - time.perf_counter()) / (2 * (len(batches) - bi))
            solver, optimal = _solve(mod, share, workers)
            mod.fair_proven &= optimal
            if solver is not None:
                found = {key for key, var in mod.x.items() if solver.boolean_value(var)}
                # Keep the start if it is as fair: it may be worth more.
                placed = max(placed, found, key=lambda keys: _rank(prepared, mod, keys))
        counts = _counts(prepared, placed)
        for lv in batch:
            got = sum(1 for (pid, lv2) in mod.y if lv2 == lv and counts[pid] >= lv)
            if got:
                mod.model.add(sum(terms[lv]) >= got)
    bound = float(_value(mod, placed))
    if not mod.x:
        return placed, bound
    objective = sum(mod.values[i] * var for (i, _), var in mod.x.items()) + mod.kept_value
    if ceiling is not None:
        levels, cap = ceiling
        reached = _levels(prepared, placed)
        if math.isfinite(cap) and all(a >= b for a, b in zip(reached, levels, strict=True)):
            mod.model.add(objective <= math.floor(cap + 1e-6))
            mod.fair_proven |= reached == levels and mod.ceiling_fair_proven
    mod.model.maximize(objective)
    _hint(prepared, mod, placed)
    solver, mod.value_proven = _solve(mod, deadline - time.perf_counter(), workers)
    if solver is None:
        return placed, math.inf
    placed = {key for key, var in mod.x.items() if solver.boolean_value(var)}
    return placed, solver.best_objective_bound


class _StopAt(cp_model.CpSolverSolutionCallback):
    """Stop the search once a solution reaches ``target`` (CP-SAT may not prove it at once)."""

    def __init__(self, target: int) -> None:
        super().__init__()
        self.target = target

    def on_solution_callback(self) -> None:
        if self.objective_value >= self.target:
            self.stop_search()


def _assign(
    prepared: Prepared,
    space: _Space,
    chosen: list[int],
    seconds: float,
    workers: int,
    all_of_them: bool,
) -> set[Key] | None:
    """Give chosen pairs slots: all of them (None if that fails in time) or as many as fit."""
    m = cp_model.CpModel()
    x: dict[Key, cp_model.IntVar] = {}
    by_slot: dict[int, list[cp_model.IntVar]] = defaultdict(list)
    by_person_slot: dict[Key, list[cp_model.IntVar]] = defaultdict(list)
    for i in chosen:
        pair = prepared.eligible[i]
        own = []
        for s in space.options[i]:
            var = x[i, s] = m.new_bool_var(f"x_{i}_{s}")
            own.append(var)
            by_slot[s].append(var)
            by_person_slot[pair.need_id, s].append(var)
            by_person_slot[pair.offer_id, s].append(var)
        if all_of_them:
            m.add_exactly_one(own)
        else:
            m.add_at_most_one(own)
    for s, vs in by_slot.items():
        if len(vs) > space.room[s]:
            m.add(sum(vs) <= space.room[s])
    for vs in by_person_slot.values():
        if len(vs) > 1:
            m.add_at_most_one(vs)
    solver = _solver(seconds, workers)
    if all_of_them:
        status = solver.solve(m)  # a pure feasibility problem: much faster than maximising
    else:
        m.maximize(sum(x.values()))
        status = solver.solve(m, _StopAt(len(chosen)))
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return None if all_of_them else set()
    return {key for key, var in x.items() if solver.boolean_value(var)}


def _assign_tables(prepared: Prepared, placed: set[Key]) -> list[Meeting]:
    tables = prepared.problem.tables
    used: dict[int, set[int]] = defaultdict(set)
    for k in prepared.kept:
        used[k.slot].add(k.table)
    meetings = list(prepared.kept)
    for i, s in sorted(placed, key=lambda key: (key[1], prepared.eligible[key[0]].pair_id)):
        pair = prepared.eligible[i]
        table = next(t for t in range(tables) if t not in used[s])
        used[s].add(table)
        meetings.append(Meeting(pair.pair_id, pair.need_id, pair.offer_id, s, table))
    return sorted(meetings, key=lambda m: (m.slot, m.table))


def _fallback_start(
    prepared: Prepared,
    space: _Space,
    picked: list[int],
    greedy: set[Key],
    full: _Model,
    deadline: float,
    workers: int,
) -> set[Key]:
    """Where the full model starts: the part of the selection that fits, completed greedily,
    or the greedy schedule if that one is fairer (or as fair and worth more)."""
    seconds = (deadline - time.perf_counter()) * _PARTIAL_SHARE
    fits = _assign(prepared, space, picked, seconds, workers, all_of_them=False) or set()
    index = {p.pair_id: i for i, p in enumerate(prepared.eligible)}
    filled = greedy_meetings(prepared, _assign_tables(prepared, fits))
    completed = {(index[m.pair_id], m.slot) for m in filled}
    completed = {key for key in completed if key[0] in space.options}
    return max(greedy, completed, key=lambda keys: _rank(prepared, full, keys))


def _gap(bound: float, objective: float) -> float:
    if math.isinf(bound):
        return math.inf
    return max(bound - objective, 0.0) / max(abs(bound), 1e-9)


def schedule(
    problem: ScheduleProblem, time_limit_s: float = 30.0, workers: int = 2
) -> ScheduleResult:
    """Schedule ``problem`` with CP-SAT: fairness levels first, then total value.

    ``time_limit_s`` bounds the whole solve; ``workers`` is CP-SAT's number of search
    workers. Returns the meetings with the value objective, the proven bound and the gap.
    Raises ``InfeasibleScheduleError`` for inputs no schedule can honour (see
    ``service.scheduling.model.prepare``).
    """
    start = time.perf_counter()
    deadline = start + time_limit_s
    prepared = prepare(problem)
    space = _space(prepared)
    index = {p.pair_id: i for i, p in enumerate(prepared.eligible)}
    greedy = {(index[m.pair_id], m.slot) for m in greedy_meetings(prepared)}
    greedy = {key for key in greedy if key[0] in space.options}  # drop kept meetings

    select = _build(prepared, space, slotted=False)
    seconds = _SELECT_SHARE * time_limit_s
    hint = {(i, _ANY_SLOT) for i, _ in greedy}
    chosen, bound = _optimise(prepared, select, hint, seconds, workers)
    picked = sorted(i for i, _ in chosen)
    seconds = min(_ASSIGN_SHARE * time_limit_s, deadline - time.perf_counter())
    assigned = _assign(prepared, space, picked, seconds, workers, all_of_them=True)
    proven = select.fair_proven and select.value_proven
    if assigned is not None:
        placed = assigned
    else:  # the relaxation's choice does not fit the slots: solve the full model
        full = _build(prepared, space, slotted=True)
        hint = _fallback_start(prepared, space, picked, greedy, full, deadline, workers)
        full.ceiling_fair_proven = select.fair_proven
        ceiling = (_levels(prepared, chosen), bound)
        seconds = deadline - time.perf_counter()
        placed, bound = _optimise(prepared, full, hint, seconds, workers, ceiling)
        proven = full.fair_proven and full.value_proven
    obj_int = _value(select, placed)
    meetings = _assign_tables(prepared, placed)
    objective, floor, levels, unscheduled = summarise(prepared, meetings)
    gap = _gap(bound, obj_int)
    return ScheduleResult(
        meetings=meetings,
        objective=objective,
        bound=objective + (bound - obj_int) / VALUE_SCALE,
        gap=gap,
        status="optimal" if proven and gap == 0.0 else "feasible",
        fairness_floor=floor,
        unscheduled=unscheduled,
        solve_seconds=time.perf_counter() - start,
        kept=len(prepared.kept),
        fairness_levels=levels,
        refused=prepared.refused,
        dropped=prepared.dropped,
    )
