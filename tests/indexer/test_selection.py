"""Pair selection under per-need and per-offer caps (a pure function)."""

from __future__ import annotations

from indexer.selection import Candidate, select_pairs


def c(score: float, need: int, offer: int) -> Candidate:
    return Candidate(score, need, offer, cosine=score)


POOL = [
    c(0.9, 1, 10),
    c(0.8, 1, 11),
    c(0.7, 1, 12),
    c(0.85, 2, 10),
    c(0.6, 2, 11),
    c(0.5, 3, 10),
    c(0.4, 3, 13),
]


def pairs(rows: list[Candidate]) -> list[tuple[int, int]]:
    return [(r.need_id, r.offer_id) for r in rows]


def test_best_first_without_binding_caps() -> None:
    chosen = select_pairs(POOL, limit=100, per_need=9, per_offer=9)
    assert [r.score for r in chosen] == sorted((r.score for r in POOL), reverse=True)


def test_caps_per_need_and_per_offer_are_greedy_in_score_order() -> None:
    chosen = select_pairs(POOL, limit=100, per_need=1, per_offer=1)
    # (1,10) first; (2,10) loses offer 10; (1,11) loses need 1; (2,11) is free; (3,13) last
    assert pairs(chosen) == [(1, 10), (2, 11), (3, 13)]
    two = select_pairs(POOL, limit=100, per_need=2, per_offer=2)
    assert pairs(two) == [(1, 10), (2, 10), (1, 11), (2, 11), (3, 13)]


def test_limit_ties_and_exclusion_of_nothing() -> None:
    assert pairs(select_pairs(POOL, limit=2, per_need=3, per_offer=3)) == [(1, 10), (2, 10)]
    tied = [c(0.5, 2, 20), c(0.5, 1, 21), c(0.5, 1, 20)]
    assert pairs(select_pairs(tied, 10, 3, 3)) == [(1, 20), (1, 21), (2, 20)]
    assert select_pairs([], 10, 3, 3) == []
    assert select_pairs(POOL, 0, 3, 3) == []
