"""Independent checker of a schedule: lists every hard constraint a set of meetings breaks.

It shares no code with the schedulers, so tests and the benchmark can use it to judge them.
Fairness is an optimality property, not a hard constraint, and is not checked here.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from service.scheduling.model import CandidatePair, Meeting, ScheduleProblem


def _still_valid(problem: ScheduleProblem, pairs: dict[str, CandidatePair], m: Meeting) -> bool:
    """Whether a previous meeting must be kept: its pair still eligible, both sides free."""
    pair = pairs.get(m.pair_id)
    if pair is None or not pair.accepted or pair.rejected:
        return False
    if (pair.need_id, pair.offer_id) != (m.need_id, m.offer_id):
        return False
    if not (0 <= m.slot < problem.slots and 0 <= m.table < problem.tables):
        return False
    unavailable = problem.unavailable
    return m.slot not in unavailable.get(m.need_id, frozenset()) and m.slot not in (
        unavailable.get(m.offer_id, frozenset())
    )


def violations(problem: ScheduleProblem, meetings: Iterable[Meeting]) -> list[str]:
    """Every broken constraint of ``meetings`` for ``problem``, as readable messages.

    Checked: slot/table in range; the pair exists, matches the meeting's participants, is
    accepted and not rejected, and meets once; one meeting per (slot, table); a participant
    once per slot, never in an unavailable slot, at most ``max_meetings_per_participant``
    times; every still-valid previous meeting kept at its slot and table. Empty list = valid.
    """
    meetings = list(meetings)
    out: list[str] = []
    pairs = {p.pair_id: p for p in problem.pairs}
    times: dict[str, int] = defaultdict(int)
    at: dict[tuple[int, int], list[str]] = defaultdict(list)
    busy: dict[tuple[int, int], list[str]] = defaultdict(list)
    total: dict[int, int] = defaultdict(int)
    for m in meetings:
        where = f"meeting {m.pair_id!r} (slot {m.slot}, table {m.table})"
        if not 0 <= m.slot < problem.slots:
            out.append(f"{where}: slot outside 0..{problem.slots - 1}")
        if not 0 <= m.table < problem.tables:
            out.append(f"{where}: table outside 0..{problem.tables - 1}")
        pair = pairs.get(m.pair_id)
        if pair is None:
            out.append(f"{where}: no such pair")
        else:
            if (pair.need_id, pair.offer_id) != (m.need_id, m.offer_id):
                out.append(f"{where}: participants differ from the pair's")
            if pair.rejected:
                out.append(f"{where}: pair is rejected")
            if not pair.accepted:
                out.append(f"{where}: pair is not accepted")
        times[m.pair_id] += 1
        at[m.slot, m.table].append(m.pair_id)
        for pid in (m.need_id, m.offer_id):
            busy[pid, m.slot].append(m.pair_id)
            total[pid] += 1
            if m.slot in problem.unavailable.get(pid, frozenset()):
                out.append(f"{where}: participant {pid} is unavailable in slot {m.slot}")
    out += [f"pair {pid!r} meets {n} times" for pid, n in times.items() if n > 1]
    out += [
        f"slot {s}, table {t} holds {len(ids)} meetings: {ids}"
        for (s, t), ids in at.items()
        if len(ids) > 1
    ]
    out += [
        f"participant {pid} has {len(ids)} meetings in slot {s}: {ids}"
        for (pid, s), ids in busy.items()
        if len(ids) > 1
    ]
    limit = problem.max_meetings_per_participant
    out += [
        f"participant {pid} has {n} meetings, more than the maximum {limit}"
        for pid, n in total.items()
        if n > limit
    ]
    present = set(meetings)
    out += [
        f"previous meeting {m.pair_id!r} (slot {m.slot}, table {m.table}) is still valid "
        "but was not kept in place"
        for m in problem.previous
        if _still_valid(problem, pairs, m) and m not in present
    ]
    return out
