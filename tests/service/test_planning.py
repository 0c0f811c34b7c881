"""Planning a session's schedule (pure): which pairs are candidates, what each is worth,
which stored meetings stay, and the problem handed to the solver."""

from __future__ import annotations

from service.scheduling import Meeting
from service.sessions.planning import (
    ACCEPTED_BONUS,
    MUTUAL_BONUS,
    candidates,
    fairness_rule,
    kept_meetings,
    schedule_problem,
    session_pairs,
    unavailable_slots,
)


def test_accepted_pairs_are_worth_score_plus_bonuses() -> None:
    pairs = session_pairs(accepted=[(1, 10), (2, 20), (3, 30)], mutual=[(1, 10)])
    found = candidates(pairs, {(1, 10): 0.61234, (2, 20): 0.4}, min_score=0.9)
    assert [(c.pair_id, c.value) for c in found.pairs] == [
        ("1-10", round(0.61234 + ACCEPTED_BONUS + MUTUAL_BONUS, 4)),
        ("2-20", 0.4 + ACCEPTED_BONUS),
        ("3-30", ACCEPTED_BONUS),  # an accepted pair the index cannot score still counts
    ]
    assert found.values == {"1-10": 2.1123, "2-20": 1.4, "3-30": 1.0}
    assert set(found.source.values()) == {"accepted"}  # min_score is for suggestions only


def test_suggestions_are_mutual_unreviewed_pairs_above_min_score() -> None:
    mutual = [(1, 10), (4, 40), (5, 50), (6, 60), (7, 70)]
    pairs = session_pairs([(1, 10)], mutual, rejected=[(5, 50)], include_suggested=True)
    assert pairs.suggested == ((4, 40), (6, 60), (7, 70))  # not accepted, not rejected
    assert pairs.to_score == [(1, 10), (4, 40), (6, 60), (7, 70)]
    scores = {(1, 10): 0.5, (4, 40): 0.7, (6, 60): 0.59}  # (7, 70) cannot be scored
    found = candidates(pairs, scores, min_score=0.6)
    assert [(c.pair_id, c.value) for c in found.pairs] == [
        ("1-10", 0.5 + ACCEPTED_BONUS + MUTUAL_BONUS),
        ("4-40", 0.7 + MUTUAL_BONUS),
    ]
    assert found.source == {"1-10": "accepted", "4-40": "suggested"}
    assert found.values["4-40"] < found.values["1-10"]


def test_no_suggestions_unless_asked() -> None:
    pairs = session_pairs([], [(4, 40)], include_suggested=False)
    assert pairs.suggested == () and candidates(pairs, {(4, 40): 0.9}, 0.0).pairs == ()


def test_stored_meetings_outside_a_smaller_session_are_moved() -> None:
    stored = [
        Meeting("1-10", 1, 10, 0, 0),
        Meeting("2-20", 2, 20, 3, 0),  # slot 3 is gone
        Meeting("3-30", 3, 30, 1, 2),  # table 2 is gone
        Meeting("4-40", 4, 40, 2, 1),
    ]
    kept, moved = kept_meetings(stored, slots=3, tables=2)
    assert [m.pair_id for m in kept] == ["1-10", "4-40"]
    assert moved == ["2-20", "3-30"]


def test_problem_carries_the_session_limits() -> None:
    pairs = session_pairs([(1, 10)], [])
    found = candidates(pairs, {(1, 10): 0.5}, 0.0)
    blocked = unavailable_slots({1: [0, 5, -1], 10: []}, slots=3)
    assert blocked == {1: frozenset({0}), 10: frozenset()}
    previous = (Meeting("1-10", 1, 10, 1, 0),)
    problem = schedule_problem(
        found,
        slots=3,
        tables=2,
        max_meetings_per_participant=4,
        fairness_k=2,
        unavailable=blocked,
        previous=previous,
    )
    assert problem.pairs == found.pairs and problem.previous == previous
    assert (problem.slots, problem.tables, problem.max_meetings_per_participant) == (3, 2, 4)
    assert problem.fairness_k == 2 and problem.unavailable == blocked


def test_fairness_rule_in_words() -> None:
    assert fairness_rule(0, 5).startswith("fairness off")
    assert "= 1:" in fairness_rule(1, 5) and "at least 1 meeting" in fairness_rule(1, 5)
    assert "= 2:" in fairness_rule(3, 2) and "up to 2 meetings" in fairness_rule(3, 2)
