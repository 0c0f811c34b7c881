"""Tests of the meeting scheduler (service.scheduling): constraints, fairness, re-scheduling.

Expected results are computed independently: a brute-force enumerator for tiny instances, and
hand-made cases whose answer follows from their construction. Every schedule is checked
against every hard constraint with ``violations``.
"""

from __future__ import annotations

import dataclasses
import random
from collections import Counter
from typing import Any

import pytest

from service.scheduling import (
    CandidatePair,
    InfeasibleScheduleError,
    Meeting,
    ScheduleProblem,
    ScheduleResult,
    greedy_schedule,
    schedule,
    violations,
)
from service.scheduling import solver as solver_module

# Needs are 1.., offers 101.. so ids never collide across kinds.
A, B, C, D = 1, 2, 3, 4
X, Y, Z, W = 101, 102, 103, 104


def pair(pid: str, need: int, offer: int, value: float, **flags: bool) -> CandidatePair:
    return CandidatePair(pid, need, offer, value, **flags)


def random_problem(
    seed: int,
    needs: int = 3,
    offers: int = 3,
    pairs: int = 6,
    slots: int = 3,
    tables: int = 2,
    max_meetings: int = 2,
    fairness_k: int = 1,
    unavailable_share: float = 0.3,
    flagged_share: float = 0.15,
) -> ScheduleProblem:
    """A random problem; values have two decimals so sums are exact at VALUE_SCALE."""
    rng = random.Random(seed)
    need_ids = list(range(1, needs + 1))
    offer_ids = list(range(101, 101 + offers))
    couples = rng.sample([(n, o) for n in need_ids for o in offer_ids], pairs)
    out = []
    for j, (n, o) in enumerate(couples):
        value = rng.randint(5, 100) / 100
        r = rng.random()
        flags = {}
        if r < flagged_share / 2:
            flags = {"rejected": True}
        elif r < flagged_share:
            flags = {"accepted": False}
        out.append(CandidatePair(f"p{j}", n, o, value, **flags))
    unavailable = {}
    for pid in need_ids + offer_ids:
        if rng.random() < unavailable_share:
            unavailable[pid] = frozenset(rng.sample(range(slots), rng.randint(1, slots - 1)))
    return ScheduleProblem(
        pairs=tuple(out),
        slots=slots,
        tables=tables,
        max_meetings_per_participant=max_meetings,
        unavailable=unavailable,
        fairness_k=fairness_k,
    )


def brute_force(problem: ScheduleProblem) -> tuple[list[int], float, float]:
    """Enumerate every feasible schedule (tables as capacity only).

    Returns (lexicographically largest fairness levels [c_1..c_k], the largest value among
    schedules with those levels, the largest value of any schedule).
    """
    eligible = [p for p in problem.pairs if p.accepted and not p.rejected]
    people = sorted({x for p in eligible for x in (p.need_id, p.offer_id)})
    k = min(problem.fairness_k, problem.max_meetings_per_participant)
    best: list[tuple[list[int], float]] = []
    best_value = [0.0]
    used: Counter[int] = Counter()
    busy: set[tuple[int, int]] = set()
    count: Counter[int] = Counter()

    def walk(i: int, value: float) -> None:
        if i == len(eligible):
            levels = [sum(1 for x in people if count[x] >= lv) for lv in range(1, k + 1)]
            key = (levels, round(value, 6))
            if not best or key > best[0]:
                best[:] = [key]
            best_value[0] = max(best_value[0], round(value, 6))
            return
        walk(i + 1, value)
        p = eligible[i]
        a, b = p.need_id, p.offer_id
        if max(count[a], count[b]) >= problem.max_meetings_per_participant:
            return
        for s in range(problem.slots):
            if s in problem.blocked(a) or s in problem.blocked(b):
                continue
            if used[s] >= problem.tables or (a, s) in busy or (b, s) in busy:
                continue
            used[s] += 1
            busy.update({(a, s), (b, s)})
            count.update([a, b])
            walk(i + 1, value + p.value)
            used[s] -= 1
            busy.difference_update({(a, s), (b, s)})
            count.subtract([a, b])

    walk(0, 0.0)
    return best[0][0], best[0][1], best_value[0]


def meeting_counts(result: ScheduleResult) -> Counter[int]:
    return Counter(x for m in result.meetings for x in (m.need_id, m.offer_id))


def assert_valid(problem: ScheduleProblem, result: ScheduleResult) -> None:
    """No broken constraint, and the result's bookkeeping matches its meetings."""
    assert violations(problem, result.meetings) == []
    placed = {m.pair_id for m in result.meetings}
    eligible = {p.pair_id for p in problem.pairs if p.accepted and not p.rejected}
    assert placed <= eligible
    assert set(result.unscheduled) == eligible - placed
    assert set(result.refused) == {p.pair_id for p in problem.pairs} - eligible
    value = {p.pair_id: p.value for p in problem.pairs}
    assert result.objective == pytest.approx(sum(value[pid] for pid in placed))
    counts = meeting_counts(result)
    k = min(problem.fairness_k, problem.max_meetings_per_participant)
    assert result.fairness_floor == {
        x: min(counts[x], k)
        for x in {
            y for p in problem.pairs if p.pair_id in eligible for y in (p.need_id, p.offer_id)
        }
    }


# --- constraints on random instances -------------------------------------------------------


@pytest.mark.parametrize("seed", range(12))
def test_random_instances_break_no_constraint(seed: int) -> None:
    problem = random_problem(
        seed, needs=6, offers=6, pairs=20, slots=4, tables=3, max_meetings=3, fairness_k=2
    )
    for result in (schedule(problem, time_limit_s=10), greedy_schedule(problem)):
        assert_valid(problem, result)


@pytest.mark.parametrize("seed", range(25))
def test_optimum_equals_brute_force(seed: int) -> None:
    problem = random_problem(seed, fairness_k=seed % 3, tables=1 + seed % 2)
    levels, fair_value, _ = brute_force(problem)
    result = schedule(problem, time_limit_s=10)
    assert_valid(problem, result)
    assert result.status == "optimal"
    assert result.gap == 0.0
    assert result.fairness_levels == levels
    assert result.objective == pytest.approx(fair_value)
    assert result.bound == pytest.approx(fair_value)


@pytest.mark.parametrize("seed", range(10))
def test_without_fairness_value_is_the_brute_force_maximum(seed: int) -> None:
    problem = random_problem(100 + seed, fairness_k=0, pairs=7, tables=1)
    _, _, best_value = brute_force(problem)
    result = schedule(problem, time_limit_s=10)
    assert_valid(problem, result)
    assert result.objective == pytest.approx(best_value)


@pytest.mark.parametrize("seed", range(8))
def test_cpsat_is_at_least_as_good_as_greedy(seed: int) -> None:
    problem = random_problem(
        200 + seed, needs=10, offers=10, pairs=45, slots=5, tables=4, max_meetings=3
    )
    plain = dataclasses.replace(problem, fairness_k=0)
    assert schedule(plain).objective >= greedy_schedule(plain).objective - 1e-9
    # With fairness on, CP-SAT's levels are lexicographically at least the greedy's.
    assert schedule(problem).fairness_levels >= greedy_schedule(problem).fairness_levels


# --- hand-made cases ---------------------------------------------------------------------


def test_fairness_gives_everyone_a_meeting_that_value_alone_would_starve() -> None:
    # 2 slots x 1 table. Value alone: A-X and A-Y (19), B gets nothing. Everyone can have one
    # meeting only with A-Y and B-X (10), so the rule must pick that.
    pairs = (pair("ax", A, X, 10), pair("ay", A, Y, 9), pair("bx", B, X, 1))
    problem = ScheduleProblem(pairs, slots=2, tables=1, max_meetings_per_participant=2)
    greedy_like = schedule(dataclasses.replace(problem, fairness_k=0))
    assert greedy_like.objective == 19 and meeting_counts(greedy_like)[B] == 0
    fair = schedule(problem)
    assert_valid(problem, fair)
    assert {m.pair_id for m in fair.meetings} == {"ay", "bx"}
    assert fair.fairness_floor == {A: 1, B: 1, X: 1, Y: 1}
    assert fair.objective == brute_force(problem)[1] == 10


def test_fairness_fills_first_meetings_before_second_ones() -> None:
    # 2 places (2 slots x 1 table), k = 2. A-X + A-Y is worth most (20) and even ties with
    # A-X + B-Z on the sum of min(meetings, k) (4 each) — but it gives A a second meeting
    # while B and Z have none. The rule fills first meetings first: A-X (or A-Y) and B-Z.
    pairs = (pair("ax", A, X, 10), pair("ay", A, Y, 10), pair("bz", B, Z, 1))
    problem = ScheduleProblem(pairs, 2, 1, max_meetings_per_participant=2, fairness_k=2)
    value_only = schedule(dataclasses.replace(problem, fairness_k=0))
    assert {m.pair_id for m in value_only.meetings} == {"ax", "ay"}
    result = schedule(problem)
    assert_valid(problem, result)
    assert "bz" in {m.pair_id for m in result.meetings}
    assert result.fairness_levels == [4, 0] == brute_force(problem)[0]
    assert result.objective == 11


def test_unavailability_is_respected() -> None:
    # A can only come to slot 0, X only to slot 1: A-X can never meet. B-Y must use slot 2.
    pairs = (pair("ax", A, X, 9), pair("ay", A, Y, 1), pair("by", B, Y, 1), pair("bx", B, X, 1))
    unavailable = {A: frozenset({1, 2}), X: frozenset({0, 2}), B: frozenset({0, 1})}
    problem = ScheduleProblem(pairs, 3, 5, 3, unavailable=unavailable)
    result = schedule(problem)
    assert_valid(problem, result)
    slots = {m.pair_id: m.slot for m in result.meetings}
    assert "ax" not in slots and "bx" not in slots
    assert slots == {"ay": 0, "by": 2}


def test_per_participant_maximum() -> None:
    # Hub X has 6 candidate pairs but may attend only 2 meetings: the two most valuable.
    values = {A: 0.3, B: 0.9, C: 0.5, D: 0.8, 5: 0.1, 6: 0.2}
    pairs = tuple(pair(f"p{n}", n, X, v) for n, v in values.items())
    problem = ScheduleProblem(pairs, slots=6, tables=6, max_meetings_per_participant=2)
    result = schedule(problem)
    assert_valid(problem, result)
    assert meeting_counts(result)[X] == 2
    top_two = sorted(values, key=values.__getitem__)[-2:]
    assert sorted(m.need_id for m in result.meetings) == sorted(top_two)


def test_rejected_or_unaccepted_pairs_are_never_scheduled() -> None:
    pairs = (
        pair("rejected", A, X, 100, rejected=True),
        pair("both-flags", B, Y, 100, accepted=True, rejected=True),
        pair("not-accepted", C, Z, 100, accepted=False),
        pair("ok", D, W, 0.1),
    )
    problem = ScheduleProblem(pairs, slots=4, tables=4, max_meetings_per_participant=4)
    for result in (schedule(problem), greedy_schedule(problem)):
        assert_valid(problem, result)
        assert [m.pair_id for m in result.meetings] == ["ok"]
        assert sorted(result.refused) == ["both-flags", "not-accepted", "rejected"]
        assert result.unscheduled == []
    bad = [Meeting("rejected", A, X, 0, 0)]
    assert any("rejected" in v for v in violations(problem, bad))


def test_table_capacity() -> None:
    # 10 disjoint pairs, 2 slots x 3 tables: the 6 most valuable meet, one per (slot, table).
    values = [0.11, 0.52, 0.33, 0.94, 0.25, 0.76, 0.47, 0.68, 0.89, 0.1]
    pairs = tuple(pair(f"p{j}", 1 + j, 101 + j, v) for j, v in enumerate(values))
    problem = ScheduleProblem(pairs, slots=2, tables=3, max_meetings_per_participant=1)
    result = schedule(problem)
    assert_valid(problem, result)
    assert len(result.meetings) == 6
    assert len({(m.slot, m.table) for m in result.meetings}) == 6
    assert result.objective == pytest.approx(sum(sorted(values)[-6:]))
    assert len(greedy_schedule(problem).meetings) == 6


def test_empty_and_unplaceable_problems_are_not_infeasible() -> None:
    empty = ScheduleProblem((), slots=3, tables=2, max_meetings_per_participant=2)
    result = schedule(empty)
    assert result.meetings == [] and result.status == "optimal" and result.objective == 0
    blocked = ScheduleProblem(
        (pair("ax", A, X, 1),), 2, 1, 1, unavailable={A: frozenset({0}), X: frozenset({1})}
    )
    result = schedule(blocked)
    assert result.meetings == [] and result.unscheduled == ["ax"]
    assert result.fairness_floor == {A: 0, X: 0}


# --- re-scheduling -------------------------------------------------------------------------


def _medium(seed: int) -> ScheduleProblem:
    return random_problem(
        seed,
        needs=8,
        offers=8,
        pairs=30,
        slots=5,
        tables=3,
        max_meetings=3,
        fairness_k=1,
        flagged_share=0.0,
    )


def _kept_in_place(before: list[Meeting], after: list[Meeting], affected: set[str]) -> None:
    now = {m.pair_id: (m.slot, m.table) for m in after}
    for m in before:
        if m.pair_id not in affected:
            assert now.get(m.pair_id) == (m.slot, m.table), m


@pytest.mark.parametrize("seed", range(4))
def test_reschedule_after_a_pair_is_removed_keeps_other_meetings(seed: int) -> None:
    problem = _medium(seed)
    first = schedule(problem)
    assert_valid(problem, first)
    cancelled = first.meetings[len(first.meetings) // 2].pair_id
    pairs = tuple(p for p in problem.pairs if p.pair_id != cancelled)
    changed = dataclasses.replace(problem, pairs=pairs, previous=tuple(first.meetings))
    second = schedule(changed)
    assert_valid(changed, second)
    _kept_in_place(first.meetings, second.meetings, {cancelled})
    assert second.kept == len(first.meetings) - 1
    assert second.dropped == [cancelled]
    assert cancelled not in {m.pair_id for m in second.meetings}


@pytest.mark.parametrize("seed", range(4))
def test_reschedule_after_new_unavailability_keeps_other_meetings(seed: int) -> None:
    problem = _medium(10 + seed)
    first = schedule(problem)
    hit = first.meetings[0]
    unavailable = dict(problem.unavailable)
    unavailable[hit.need_id] = unavailable.get(hit.need_id, frozenset()) | {hit.slot}
    affected = {
        m.pair_id for m in first.meetings if hit.need_id == m.need_id and m.slot == hit.slot
    }
    changed = dataclasses.replace(problem, unavailable=unavailable, previous=tuple(first.meetings))
    for second in (schedule(changed), greedy_schedule(changed)):
        assert_valid(changed, second)
        _kept_in_place(first.meetings, second.meetings, affected)
        assert second.dropped == sorted(affected)
        assert all(not (m.need_id == hit.need_id and m.slot == hit.slot) for m in second.meetings)


def test_freed_capacity_is_reoptimised() -> None:
    # One place only. A-X takes it; when A-X is cancelled, B-Y gets it.
    pairs = (pair("ax", A, X, 10), pair("by", B, Y, 5))
    problem = ScheduleProblem(pairs, slots=1, tables=1, max_meetings_per_participant=1)
    first = schedule(problem)
    assert [m.pair_id for m in first.meetings] == ["ax"]
    changed = dataclasses.replace(problem, pairs=pairs[1:], previous=tuple(first.meetings))
    second = schedule(changed)
    assert [(m.pair_id, m.slot, m.table) for m in second.meetings] == [("by", 0, 0)]
    assert second.dropped == ["ax"] and second.kept == 0


def test_kept_meetings_are_fixed_not_just_preferred() -> None:
    # The previous schedule has the less valuable B-Y in the only place; it stays there even
    # though A-X alone would be worth more.
    pairs = (pair("ax", A, X, 10), pair("by", B, Y, 5))
    problem = ScheduleProblem(pairs, 1, 1, 1, fairness_k=0, previous=(Meeting("by", B, Y, 0, 0),))
    result = schedule(problem)
    assert_valid(problem, result)
    assert [(m.pair_id, m.slot, m.table) for m in result.meetings] == [("by", 0, 0)]
    assert result.kept == 1 and result.objective == 5


def test_kept_meeting_keeps_its_table_and_new_ones_fill_free_tables() -> None:
    pairs = (pair("ax", A, X, 1), pair("by", B, Y, 1), pair("cz", C, Z, 1))
    previous = (Meeting("by", B, Y, 0, 2),)
    problem = ScheduleProblem(pairs, 1, 3, 1, previous=previous)
    result = schedule(problem)
    assert_valid(problem, result)
    assert {(m.pair_id, m.table) for m in result.meetings} >= {("by", 2)}
    assert sorted(m.table for m in result.meetings) == [0, 1, 2]


# --- invalid inputs ------------------------------------------------------------------------

ONE = (pair("ax", A, X, 1),)


@pytest.mark.parametrize(
    ("problem", "message"),
    [
        (ScheduleProblem(ONE, 0, 1, 1), "slots must be at least 1"),
        (ScheduleProblem(ONE, 1, 0, 1), "tables must be at least 1"),
        (ScheduleProblem(ONE, 1, 1, -1), "max_meetings_per_participant"),
        (ScheduleProblem(ONE, 1, 1, 1, fairness_k=-1), "fairness_k"),
        (ScheduleProblem(ONE + ONE, 1, 1, 1), "appears more than once"),
        (ScheduleProblem((pair("aa", A, A, 1),), 1, 1, 1), "with itself"),
        (ScheduleProblem((pair("ax", A, X, 1), pair("xb", X, B, 1)), 1, 1, 1), "need in one"),
        (ScheduleProblem((pair("ax", A, X, 1), pair("ax2", A, X, 2)), 1, 1, 1), "both pair"),
        (ScheduleProblem((pair("ax", A, X, float("nan")),), 1, 1, 1), "non-finite"),
        (
            ScheduleProblem(ONE, 1, 1, 1, previous=(Meeting("ax", A, X, 3, 0),)),
            "outside the new 1 slots",
        ),
        (
            ScheduleProblem(
                (pair("ax", A, X, 1), pair("by", B, Y, 1)),
                2,
                2,
                1,
                previous=(Meeting("ax", A, X, 0, 1), Meeting("by", B, Y, 0, 1)),
            ),
            "share slot 0, table 1",
        ),
        (
            ScheduleProblem(
                (pair("ax", A, X, 1), pair("ay", A, Y, 1)),
                2,
                2,
                1,
                previous=(Meeting("ax", A, X, 0, 0), Meeting("ay", A, Y, 1, 0)),
            ),
            "more than the new maximum of 1",
        ),
        (
            ScheduleProblem(ONE, 1, 1, 1, previous=(Meeting("ax", B, X, 0, 0),)),
            "that pair is now between",
        ),
    ],
)
def test_invalid_inputs_raise_a_clear_error(problem: ScheduleProblem, message: str) -> None:
    for run in (schedule, greedy_schedule):
        with pytest.raises(InfeasibleScheduleError, match=message):
            run(problem)


# --- the checker itself ---------------------------------------------------------------------


def test_violations_reports_every_kind_of_breach() -> None:
    pairs = (pair("ax", A, X, 1), pair("ay", A, Y, 1), pair("bx", B, X, 1), pair("cz", C, Z, 1))
    problem = ScheduleProblem(
        pairs,
        slots=2,
        tables=1,
        max_meetings_per_participant=1,
        unavailable={C: frozenset({1})},
        previous=(Meeting("bx", B, X, 1, 0),),
    )
    bad = [
        Meeting("ax", A, X, 0, 0),
        Meeting("ay", A, Y, 0, 0),  # same table and same participant in slot 0; A twice
        Meeting("ax", A, X, 1, 0),  # pair twice, X twice in all
        Meeting("cz", C, Z, 1, 5),  # table out of range, C unavailable in slot 1
        Meeting("zz", D, W, 7, 0),  # no such pair, slot out of range
        Meeting("cz", C, Y, 0, 0),  # participants differ from the pair's
    ]
    found = "\n".join(violations(problem, bad))
    for expected in [
        "slot 0, table 0 holds",
        "participant 1 has 2 meetings in slot 0",
        "pair 'ax' meets 2 times",
        "more than the maximum 1",
        "table outside",
        "participant 3 is unavailable in slot 1",
        "no such pair",
        "slot outside",
        "participants differ",
        "previous meeting 'bx'",
    ]:
        assert expected in found
    assert violations(problem, [Meeting("bx", B, X, 1, 0)]) == []


# --- the fallback path (the relaxation's choice does not fit the slots) -------------------


def _spy_full_model(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """Record each model the solver builds: True for the full slot-indexed one."""
    built: list[bool] = []
    real = solver_module._build

    def build(prepared: Any, space: Any, slotted: bool) -> Any:
        built.append(slotted)
        return real(prepared, space, slotted)

    monkeypatch.setattr(solver_module, "_build", build)
    return built


@pytest.mark.parametrize("seed", [7, 10, 16, 3])
def test_fallback_when_the_selection_does_not_fit_is_exact(
    seed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Tight tables and much unavailability: the slot-free relaxation picks pairs that cannot
    # all be given slots (these seeds were found to do so), so the full model takes over.
    built = _spy_full_model(monkeypatch)
    problem = random_problem(
        seed,
        needs=4,
        offers=4,
        pairs=9,
        slots=3,
        tables=2,
        max_meetings=3,
        fairness_k=seed % 3,
        unavailable_share=0.5,
    )
    levels, value, _ = brute_force(problem)
    result = schedule(problem, time_limit_s=10)
    assert built == [False, True]
    assert_valid(problem, result)
    assert result.fairness_levels == levels
    assert result.objective == pytest.approx(value)
    assert result.status == "optimal"


def test_fallback_from_a_partial_assignment_is_exact(monkeypatch: pytest.MonkeyPatch) -> None:
    built = _spy_full_model(monkeypatch)
    real = solver_module._assign

    def partial(*args: Any, **kwargs: Any) -> set[tuple[int, int]] | None:
        if kwargs["all_of_them"]:
            return None  # pretend the chosen pairs do not all fit ...
        return set(sorted(real(*args, **kwargs) or ())[1:])  # ... and one of them is left out

    monkeypatch.setattr(solver_module, "_assign", partial)
    for seed in range(6):
        problem = random_problem(300 + seed, fairness_k=1 + seed % 2)
        levels, value, _ = brute_force(problem)
        result = schedule(problem, time_limit_s=10)
        assert_valid(problem, result)
        assert result.fairness_levels == levels
        assert result.objective == pytest.approx(value)
        assert result.status == "optimal"
    assert built.count(True) == 6
