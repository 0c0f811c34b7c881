"""Benchmark the meeting scheduler: CP-SAT against the greedy baseline on a session-sized problem.

Default instance: 150 needs + 150 offers, 1,500 accepted pairs, 16 slots x 60 tables, at most
8 meetings per participant, fairness k = 2, ~10% of participants unavailable for a block of
slots. Values: match score 0.3–1.0 plus 0.2 when the interest is mutual (about a third of
pairs). Popularity is skewed (some postings attract many pairs) so fairness matters.

    python benchmarks/bench_schedule.py [--seed S ...] [--json out.json] [--time-limit 60]

Then re-schedules each CP-SAT schedule after cancellations (5% of pairs withdrawn, 5
participants newly unavailable) and checks that no unaffected meeting moved. Writes
``benchmarks/results/schedule.json`` (or ``--json``) and prints markdown tables; exits 1 if a
schedule breaks a constraint or an unaffected meeting moved.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import random
import sys
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchmarks.machine import machine  # noqa: E402
from service.scheduling import (  # noqa: E402
    CandidatePair,
    ScheduleProblem,
    ScheduleResult,
    greedy_schedule,
    schedule,
    violations,
)

RESULTS = Path(__file__).resolve().parent / "results" / "schedule.json"


def make_problem(
    seed: int,
    needs: int = 150,
    offers: int = 150,
    pairs: int = 1500,
    slots: int = 16,
    tables: int = 60,
    max_meetings: int = 8,
    fairness_k: int = 2,
    unavailable_share: float = 0.10,
) -> ScheduleProblem:
    """A reproducible session-sized problem (ids: needs 1..N, offers 10001..)."""
    rng = random.Random(seed)
    need_ids = list(range(1, needs + 1))
    offer_ids = list(range(10_001, 10_001 + offers))
    # Popularity: lognormal weights, so a few postings get many candidate pairs.
    need_w = [rng.lognormvariate(0.0, 0.8) for _ in need_ids]
    offer_w = [rng.lognormvariate(0.0, 0.8) for _ in offer_ids]
    chosen: set[tuple[int, int]] = set()
    # Every posting gets at least one pair (it was posted to be matched).
    for n in need_ids:
        chosen.add((n, rng.choices(offer_ids, offer_w)[0]))
    for o in offer_ids:
        chosen.add((rng.choices(need_ids, need_w)[0], o))
    while len(chosen) < pairs:
        chosen.add((rng.choices(need_ids, need_w)[0], rng.choices(offer_ids, offer_w)[0]))
    out = []
    for j, (n, o) in enumerate(sorted(chosen)):
        score = rng.uniform(0.3, 1.0)
        mutual = rng.random() < 0.33
        out.append(CandidatePair(f"p{j:05d}", n, o, round(score + (0.2 if mutual else 0.0), 4)))
    unavailable: dict[int, frozenset[int]] = {}
    for pid in rng.sample(need_ids + offer_ids, round(unavailable_share * (needs + offers))):
        length = rng.randint(2, 6)
        first = rng.randrange(0, slots - length + 1)
        unavailable[pid] = frozenset(range(first, first + length))
    return ScheduleProblem(
        pairs=tuple(out),
        slots=slots,
        tables=tables,
        max_meetings_per_participant=max_meetings,
        unavailable=unavailable,
        fairness_k=fairness_k,
    )


def _row(problem: ScheduleProblem, result: ScheduleResult) -> dict[str, object]:
    counts: dict[int, int] = {}
    for m in result.meetings:
        counts[m.need_id] = counts.get(m.need_id, 0) + 1
        counts[m.offer_id] = counts.get(m.offer_id, 0) + 1
    participants = result.fairness_floor.keys()
    return {
        "status": result.status,
        "solve_seconds": round(result.solve_seconds, 3),
        "objective": round(result.objective, 4),
        "bound": None if math.isnan(result.bound) else round(result.bound, 4),
        "gap_percent": None if math.isnan(result.gap) else round(100 * result.gap, 4),
        "meetings": len(result.meetings),
        "fairness_levels": result.fairness_levels,
        "participants_without_meeting": sum(1 for p in participants if counts.get(p, 0) == 0),
        "violations": len(violations(problem, result.meetings)),
    }


def cancel(
    problem: ScheduleProblem, first: ScheduleResult, seed: int
) -> tuple[ScheduleProblem, set[str]]:
    """The problem after cancellations: 5% of meetings' pairs withdrawn and 5 participants
    newly unavailable in a slot where they had a meeting. Returns it and the affected pairs."""
    rng = random.Random(seed + 1_000)
    meetings = list(first.meetings)
    withdrawn = {m.pair_id for m in rng.sample(meetings, round(0.05 * len(meetings)))}
    unavailable = dict(problem.unavailable)
    hit: set[tuple[int, int]] = set()
    for m in rng.sample([m for m in meetings if m.pair_id not in withdrawn], 5):
        unavailable[m.need_id] = unavailable.get(m.need_id, frozenset()) | {m.slot}
        hit.add((m.need_id, m.slot))
    affected = withdrawn | {m.pair_id for m in meetings if (m.need_id, m.slot) in hit}
    changed = replace(
        problem,
        pairs=tuple(p for p in problem.pairs if p.pair_id not in withdrawn),
        unavailable=unavailable,
        previous=tuple(meetings),
    )
    return changed, affected


def _reschedule_row(
    problem: ScheduleProblem, result: ScheduleResult, affected: set[str]
) -> dict[str, object]:
    now = set(result.meetings)
    moved = sum(1 for m in problem.previous if m.pair_id not in affected and m not in now)
    row = _row(problem, result)
    row.update(kept=result.kept, dropped=len(result.dropped), moved_unaffected=moved)
    return row


def run(seed: int, time_limit: float, workers: int) -> dict[str, object]:
    """Solve one seeded instance with CP-SAT and greedy, then re-schedule after cancellations."""
    problem = make_problem(seed)
    cp = schedule(problem, time_limit_s=time_limit, workers=workers)
    gr = greedy_schedule(problem)
    changed, affected = cancel(problem, cp, seed)
    again = schedule(changed, time_limit_s=time_limit, workers=workers)
    return {
        "seed": seed,
        "cpsat": _row(problem, cp),
        "greedy": _row(problem, gr),
        "value_ratio_vs_greedy": round(cp.objective / gr.objective, 4),
        "reschedule": _reschedule_row(changed, again, affected),
    }


def markdown(rows: list[dict[str, object]]) -> str:
    """The results as a markdown table, one line per seed and method."""
    head = (
        "| seed | method | status | time (s) | objective | bound | gap (%) | meetings "
        "| c_1, c_2 | without meeting | value / greedy | violations |\n"
        "|---|---|---|---|---|---|---|---|---|---|---|---|"
    )
    lines = [head]
    for row in rows:
        for method in ("cpsat", "greedy"):
            r = row[method]
            assert isinstance(r, dict)
            ratio = row["value_ratio_vs_greedy"] if method == "cpsat" else 1.0
            gap = "–" if r["gap_percent"] is None else f"{r['gap_percent']:.3f}"
            bound = "–" if r["bound"] is None else f"{r['bound']:.2f}"
            lines.append(
                f"| {row['seed']} | {method} | {r['status']} | {r['solve_seconds']:.2f} "
                f"| {r['objective']:.2f} | {bound} | {gap} | {r['meetings']} "
                f"| {r['fairness_levels']} | {r['participants_without_meeting']} "
                f"| {ratio:.4f} | {r['violations']} |"
            )
    lines += [
        "",
        "Re-scheduling after cancellations (5% of pairs withdrawn, 5 participants newly "
        "unavailable in one of their meeting slots):",
        "",
        "| seed | status | time (s) | objective | gap (%) | meetings | kept | dropped "
        "| unaffected moved | violations |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        r = row["reschedule"]
        assert isinstance(r, dict)
        lines.append(
            f"| {row['seed']} | {r['status']} | {r['solve_seconds']:.2f} | {r['objective']:.2f} "
            f"| {r['gap_percent']:.3f} | {r['meetings']} | {r['kept']} | {r['dropped']} "
            f"| {r['moved_unaffected']} | {r['violations']} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Command line entry point; returns 1 if any schedule breaks a constraint."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--json", type=Path, default=RESULTS)
    parser.add_argument("--time-limit", type=float, default=60.0)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args(argv)
    rows = [run(seed, args.time_limit, args.workers) for seed in args.seed]
    args.json.parent.mkdir(parents=True, exist_ok=True)
    meta = {
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "workers": args.workers,
        "time_limit_s": args.time_limit,
        "machine": machine(None),
        "instance": "150 needs + 150 offers, 1500 pairs, 16 slots x 60 tables, max 8, k=2",
    }
    args.json.write_text(json.dumps({"meta": meta, "runs": rows}, indent=2) + "\n")
    print(markdown(rows))
    bad = any(
        row[m]["violations"] or row[m].get("moved_unaffected")  # type: ignore[attr-defined,index]
        for row in rows
        for m in ("cpsat", "greedy", "reschedule")
    )
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())
