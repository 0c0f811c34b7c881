"""Ranking metrics with graded relevance: nDCG@k, Recall@k, MRR."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence


def dcg(gains: Sequence[float]) -> float:
    """Discounted cumulative gain of gains in rank order (gain 2^g − 1)."""
    return sum((2**g - 1) / math.log2(rank + 2) for rank, g in enumerate(gains))


def ndcg_at_k(ranked: Sequence[int], grades: Mapping[int, int], k: int = 10) -> float:
    """nDCG@k of a ranked id list against ``{id: grade}`` (unjudged ids count as 0)."""
    ideal = dcg(sorted(grades.values(), reverse=True)[:k])
    if ideal == 0:
        return 0.0
    return dcg([grades.get(i, 0) for i in ranked[:k]]) / ideal


def recall_at_k(ranked: Sequence[int], grades: Mapping[int, int], k: int = 10) -> float:
    """Share of the relevant ids (grade ≥ 1) found in the top k."""
    relevant = {i for i, g in grades.items() if g >= 1}
    if not relevant:
        return 0.0
    return len(relevant & set(ranked[:k])) / len(relevant)


def reciprocal_rank(ranked: Sequence[int], grades: Mapping[int, int]) -> float:
    """1 / rank of the first relevant id (grade ≥ 1), 0 when none is ranked."""
    for rank, i in enumerate(ranked, start=1):
        if grades.get(i, 0) >= 1:
            return 1.0 / rank
    return 0.0
