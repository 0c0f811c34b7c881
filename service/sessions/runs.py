"""Schedule runs in the background, so that the organiser's page can show "running" and
then the result: one run per session at a time, kept in memory (the stored meetings are
the lasting result)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from service.db.types import utcnow
from service.errors import ServiceError
from service.schemas.sessions import ScheduleOut

#: (slot, table) of each pair id.
Places = dict[str, tuple[int, int]]


@dataclass
class ScheduleRun:
    """One run: ``running``, ``done`` (``result``) or ``failed`` (``error``, ``error_vi``);
    ``before``: where the meetings were before it."""

    session_id: int
    before: Places
    state: str = "running"
    started_at: datetime = field(default_factory=utcnow)
    finished_at: datetime | None = None
    result: ScheduleOut | None = None
    error: str | None = None
    error_vi: str | None = None


class ScheduleRuns:
    """The latest run of each session."""

    def __init__(self) -> None:
        self._runs: dict[int, ScheduleRun] = {}
        self._lock = threading.Lock()

    def get(self, session_id: int) -> ScheduleRun | None:
        """The session's latest run (``None`` before any in this process)."""
        with self._lock:
            return self._runs.get(session_id)

    def start(
        self, session_id: int, before: Places, solve: Callable[[], ScheduleOut]
    ) -> ScheduleRun:
        """Run ``solve`` in a thread (unless a run of the session is still going: that one
        is returned)."""
        with self._lock:
            current = self._runs.get(session_id)
            if current is not None and current.state == "running":
                return current
            run = ScheduleRun(session_id, before)
            self._runs[session_id] = run
        threading.Thread(target=self._work, args=(run, solve), daemon=True).start()
        return run

    def _work(self, run: ScheduleRun, solve: Callable[[], ScheduleOut]) -> None:
        try:
            result = solve()
        except ServiceError as exc:
            run.error, run.error_vi = exc.message("en"), exc.message("vi")
            run.state = "failed"
        except Exception as exc:  # shown to the organiser instead of a silent thread death
            run.error = run.error_vi = f"{type(exc).__name__}: {exc}"
            run.state = "failed"
        else:
            run.result = result
            run.state = "done"
        run.finished_at = utcnow()


@dataclass(frozen=True)
class Changes:
    """What a re-schedule did to the previous meetings."""

    kept: list[str]
    moved: list[tuple[str, tuple[int, int], tuple[int, int]]]
    added: list[str]
    removed: list[str]


def changes(before: Places, after: Places) -> Changes:
    """Compare the places of the meetings before and after a schedule."""
    kept = sorted(p for p in before if after.get(p) == before[p])
    moved = sorted((p, before[p], after[p]) for p in before if p in after and after[p] != before[p])
    added = sorted(p for p in after if p not in before)
    removed = sorted(p for p in before if p not in after)
    return Changes(kept, moved, added, removed)


def why_unscheduled(
    pair: tuple[int, int],
    meetings: list[tuple[int, int, int, int]],
    unavailable: dict[int, set[int]],
    slots: int,
    tables: int,
    max_meetings: int,
) -> str:
    """Why an accepted pair got no meeting, as a message key: ``why.need_full``,
    ``why.offer_full``, ``why.no_common_slot``, ``why.no_table`` or ``why.fairness``
    (there was room, but the solver gave it to others). ``meetings``: (need, offer, slot,
    table) of the schedule."""
    need, offer = pair
    count: dict[int, int] = {}
    busy: dict[int, set[int]] = {}
    used: dict[int, int] = {}
    for n, o, slot, _ in meetings:
        for who in (n, o):
            count[who] = count.get(who, 0) + 1
            busy.setdefault(who, set()).add(slot)
        used[slot] = used.get(slot, 0) + 1
    if count.get(need, 0) >= max_meetings:
        return "why.need_full"
    if count.get(offer, 0) >= max_meetings:
        return "why.offer_full"
    blocked = (
        unavailable.get(need, set())
        | unavailable.get(offer, set())
        | busy.get(need, set())
        | busy.get(offer, set())
    )
    free = [s for s in range(slots) if s not in blocked]
    if not free:
        return "why.no_common_slot"
    if all(used.get(s, 0) >= tables for s in free):
        return "why.no_table"
    return "why.fairness"
