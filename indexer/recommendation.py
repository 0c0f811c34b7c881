"""The ``recommended`` flag: a score threshold and a reciprocity rule.

A pair is recommended when its score reaches ``recommend_threshold`` and the need is
among the offer's best needs too (within ``reciprocal_margin``): a near-miss offer that
serves another need much better is not pushed onto this one. A negative margin turns
the reciprocity rule off.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from indexer.scoring import FusionConfig

#: float noise allowed against the best-need score: it is computed from the offer's side
#: (float32 cosines differ by ~1e-8), so a need that is its offer's best need must not fail
#: a zero margin against itself
TOLERANCE = 1e-6

BestNeeds = Callable[[list[int]], dict[int, float]]  # offer ids → best score with any need


def is_recommended(score: float, best_need: float | None, config: FusionConfig) -> bool:
    """The rule itself. ``best_need`` is the best score the offer reaches with any need
    (needed only when the threshold is reached and reciprocity is on)."""
    if score < config.recommend_threshold:
        return False
    if config.reciprocal_margin < 0:
        return True
    assert best_need is not None, "reciprocity needs the offer's best-need score"
    return score >= best_need - config.reciprocal_margin - TOLERANCE


def needs_best_need(score: float, config: FusionConfig) -> bool:
    """True when :func:`is_recommended` of ``score`` depends on the offer's best need."""
    return config.reciprocal_margin >= 0 and score >= config.recommend_threshold


class Recommender:
    """Applies :func:`is_recommended`, caching each offer's best-need score per pool state."""

    def __init__(self, best_needs: BestNeeds, config: FusionConfig) -> None:
        self._best_needs = best_needs
        self.config = config
        self._cache: dict[int, float] = {}

    def clear(self) -> None:
        """Forget the cached best-need scores (the pool changed)."""
        self._cache.clear()

    def cached(self) -> dict[int, float]:
        """A copy of the cached best-need scores (offer id → score)."""
        return dict(self._cache)

    def forget(self, offer_ids: Iterable[int]) -> None:
        """Drop the cached best-need scores of ``offer_ids``."""
        for offer_id in offer_ids:
            self._cache.pop(offer_id, None)

    def raise_to(self, scores: dict[int, float]) -> None:
        """Raise cached best-need scores to ``scores`` where higher (a need was added)."""
        for offer_id, score in scores.items():
            if score > self._cache.get(offer_id, score):
                self._cache[offer_id] = score

    def prefetch(self, rows: Iterable[tuple[float, int]]) -> None:
        """Compute, in one batch, the best-need scores the ``(score, offer id)`` rows need."""
        missing = [
            o
            for o in dict.fromkeys(o for s, o in rows if needs_best_need(s, self.config))
            if o not in self._cache
        ]
        if missing:
            self._cache.update(self._best_needs(missing))

    def recommended(self, offer_id: int, score: float) -> bool:
        """Whether the pair of ``offer_id`` scoring ``score`` is recommended."""
        if not needs_best_need(score, self.config):
            return is_recommended(score, None, self.config)
        best = self._cache.get(offer_id)  # one lookup: safe beside concurrent readers
        if best is None:
            best = self._best_needs([offer_id])[offer_id]
            self._cache[offer_id] = best
        return is_recommended(score, best, self.config)
