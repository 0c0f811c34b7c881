"""Pair selection over a scored pool: best first, capped per need and per offer."""

from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple


class Candidate(NamedTuple):
    """A scored need–offer pair before its explanation (``lexical`` None: not computed)."""

    score: float
    need_id: int
    offer_id: int
    cosine: float
    lexical: float | None = None


def select_pairs(
    pool: Iterable[Candidate], limit: int, per_need: int, per_offer: int
) -> list[Candidate]:
    """The best ``limit`` candidates (score, then need id, then offer id) such that no need
    appears more than ``per_need`` times and no offer more than ``per_offer`` times.

    Greedy in that order: a pair skipped for a full need or offer is not reconsidered."""
    ordered = sorted(pool, key=lambda c: (-c.score, c.need_id, c.offer_id))
    per_need_count: dict[int, int] = {}
    per_offer_count: dict[int, int] = {}
    chosen: list[Candidate] = []
    if limit <= 0:
        return chosen
    for row in ordered:
        if per_need_count.get(row.need_id, 0) >= per_need:
            continue
        if per_offer_count.get(row.offer_id, 0) >= per_offer:
            continue
        per_need_count[row.need_id] = per_need_count.get(row.need_id, 0) + 1
        per_offer_count[row.offer_id] = per_offer_count.get(row.offer_id, 0) + 1
        chosen.append(row)
        if len(chosen) >= limit:
            break
    return chosen
