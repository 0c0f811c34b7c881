"""The schedule page's explanations: why an accepted pair got no meeting, what a
re-schedule changed, and a background run's states."""

from __future__ import annotations

import time

from service.errors import Invalid
from service.schemas.sessions import ScheduleOut
from service.sessions.runs import ScheduleRuns, changes, why_unscheduled

#: (need, offer, slot, table)
MEETINGS = [(1, 10, 0, 0), (1, 11, 1, 0), (2, 12, 0, 1)]


def test_why_a_pair_got_no_meeting() -> None:
    # need 1 already has its 2 meetings
    assert why_unscheduled((1, 12), MEETINGS, {}, 3, 2, 2) == "why.need_full"
    # offer 10 has its 1 meeting
    assert why_unscheduled((3, 10), MEETINGS, {}, 3, 2, 1) == "why.offer_full"
    # need 2 meets in slot 0, offer 13 cannot attend slots 1 and 2
    assert why_unscheduled((2, 13), MEETINGS, {13: {1, 2}}, 3, 2, 4) == "why.no_common_slot"
    # both free only in slot 0, whose two tables are taken
    assert why_unscheduled((3, 13), MEETINGS, {3: {1, 2}}, 3, 2, 4) == "why.no_table"
    # room was left: the solver gave the place to others
    assert why_unscheduled((3, 13), MEETINGS, {}, 3, 2, 4) == "why.fairness"


def test_changes_between_two_schedules() -> None:
    before = {"1-10": (0, 0), "1-11": (1, 0), "2-12": (0, 1)}
    after = {"1-10": (0, 0), "1-11": (2, 1), "3-13": (1, 0)}
    found = changes(before, after)
    assert found.kept == ["1-10"]
    assert found.moved == [("1-11", (1, 0), (2, 1))]
    assert found.added == ["3-13"] and found.removed == ["2-12"]


def _wait(runs: ScheduleRuns, session_id: int) -> str:
    for _ in range(200):
        run = runs.get(session_id)
        assert run is not None
        if run.state != "running":
            return run.state
        time.sleep(0.01)
    raise AssertionError("still running")


def test_a_run_is_running_then_done_or_failed_and_one_at_a_time() -> None:
    runs = ScheduleRuns()
    result = ScheduleOut.model_validate(
        {
            "session_id": 1,
            "meetings": [],
            "objective": 0,
            "bound": 0,
            "gap": 0,
            "status": "empty",
            "unscheduled": [],
            "kept": 0,
            "dropped": [],
            "candidates": 0,
            "solve_seconds": 0,
            "fairness_levels": [],
            "fairness_rule": "",
            "value_rule": "",
        }
    )

    def slow() -> ScheduleOut:
        time.sleep(0.3)
        return result

    first = runs.start(1, {}, slow)
    assert first.state == "running"
    assert runs.start(1, {}, slow) is first  # a second click joins the running one
    assert _wait(runs, 1) == "done" and first.result is result and first.finished_at

    def refused() -> ScheduleOut:
        raise Invalid("no room", (), "hết chỗ")

    failed = runs.start(1, {"1-10": (0, 0)}, refused)
    assert failed is not first and _wait(runs, 1) == "failed"
    assert (failed.error, failed.error_vi) == ("no room", "hết chỗ")
