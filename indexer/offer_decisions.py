"""What moderators' decisions on *other* needs say about an offer (issue 17).

In: the decided pairs (need, offer, accepted or not). Out: :class:`OfferDecisions`, which
gives each (need, offer) pair two features computed from the decisions of every need but
that one (leave-one-need-out), so a need's own decisions never feed its features:

- ``offer_accept``: the offer's acceptance rate among those decisions, shrunk to the
  global rate (empirical Bayes: a beta prior whose strength is fitted by the method of
  moments over the offers), minus the global rate; 0 for an offer nobody decided;
- ``offer_rejects``: ``log(1 + rejections)`` of the offer by other needs.

Why: every need shares the offers, so decisions carry something a per-pair score cannot
know — an offer that scores high for many needs but is rejected again and again (a
"hub") should fall for the next need, and one accepted for several needs is a versatile
one. The need's mirror (a need whose every suggestion was rejected) does not transfer to
other needs and is left out. The decisions are stored with the learned ranking (JSON) so
that every worker computes the same features.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np

#: the features, in the order :meth:`OfferDecisions.rows` gives them
OFFER_PARTS: tuple[str, ...] = ("offer_accept", "offer_rejects")
#: bounds of the prior's strength (pseudo-decisions): the moment estimate is noisy
MIN_STRENGTH, MAX_STRENGTH = 1.0, 100.0
#: the strength when the offers' rates do not vary more than binomial noise would
DEFAULT_STRENGTH = MAX_STRENGTH


def prior_strength(accepted: Sequence[int], totals: Sequence[int], rate: float) -> float:
    """The beta prior's strength ``a + b`` from per-offer counts (method of moments over
    offers with at least 2 decisions): ``rate (1 - rate) / between-offer variance - 1``,
    clipped to [:data:`MIN_STRENGTH`, :data:`MAX_STRENGTH`]."""
    pairs = [(a, n) for a, n in zip(accepted, totals, strict=True) if n >= 2]
    if len(pairs) < 2 or not 0.0 < rate < 1.0:
        return DEFAULT_STRENGTH
    rates = np.array([a / n for a, n in pairs])
    noise = float(np.mean([rate * (1 - rate) / n for _, n in pairs]))
    between = float(np.var(rates)) - noise
    if between <= 1e-9:
        return DEFAULT_STRENGTH
    return float(min(max(rate * (1 - rate) / between - 1.0, MIN_STRENGTH), MAX_STRENGTH))


@dataclass(frozen=True)
class OfferDecisions:
    """The decisions ``(need_id, offer_id, label)`` (label 1 accepted, 0 rejected) and the
    per-offer features they give (module docstring)."""

    decisions: tuple[tuple[int, int, int], ...]

    @classmethod
    def of(
        cls, need_ids: Iterable[int], offer_ids: Iterable[int], labels: Iterable[int]
    ) -> OfferDecisions:
        """From parallel sequences of needs, offers and labels."""
        rows = zip(need_ids, offer_ids, labels, strict=True)
        return cls(tuple((int(n), int(o), 1 if y else 0) for n, o, y in rows))

    @cached_property
    def _counts(self) -> tuple[dict[int, list[int]], dict[tuple[int, int], list[int]]]:
        offers: dict[int, list[int]] = {}
        own: dict[tuple[int, int], list[int]] = {}
        for need_id, offer_id, label in self.decisions:
            for counts in (
                offers.setdefault(offer_id, [0, 0]),
                own.setdefault((need_id, offer_id), [0, 0]),
            ):
                counts[0 if label else 1] += 1
        return offers, own

    @cached_property
    def rate(self) -> float:
        """The global acceptance rate (0.5 without decisions)."""
        if not self.decisions:
            return 0.5
        return sum(label for *_, label in self.decisions) / len(self.decisions)

    @cached_property
    def strength(self) -> float:
        """The prior's strength (:func:`prior_strength` over all offers)."""
        counts = list(self._counts[0].values())
        return prior_strength([a for a, _ in counts], [a + r for a, r in counts], self.rate)

    def row(self, need_id: int, offer_id: int) -> tuple[float, float]:
        """``(offer_accept, offer_rejects)`` of one pair, from the other needs' decisions."""
        offers, own = self._counts
        accepted, rejected = offers.get(offer_id, (0, 0))
        mine = own.get((need_id, offer_id))
        if mine is not None:
            accepted, rejected = accepted - mine[0], rejected - mine[1]
        total, m = accepted + rejected, self.strength
        shrunk = (accepted + m * self.rate) / (total + m)
        return shrunk - self.rate, math.log1p(rejected)

    def rows(self, need_ids: Iterable[int], offer_ids: Iterable[int]) -> np.ndarray:
        """The features of each pair, one row each (``len(OFFER_PARTS)`` columns)."""
        out = [self.row(n, o) for n, o in zip(need_ids, offer_ids, strict=True)]
        return np.array(out, dtype=np.float64).reshape(len(out), len(OFFER_PARTS))

    def to_json(self) -> list[list[int]]:
        """The decisions as ``[[need, offer, label], ...]`` (what the database stores)."""
        return [list(d) for d in self.decisions]

    @classmethod
    def from_json(cls, data: Sequence[Sequence[int]] | Mapping[str, Any]) -> OfferDecisions:
        """The decisions :meth:`to_json` wrote."""
        if isinstance(data, Mapping):
            raise ValueError("offer decisions must be a list of [need, offer, label]")
        return cls(tuple((int(n), int(o), int(y)) for n, o, y in data))


#: no decisions: every pair's features are (0, 0)
NO_DECISIONS = OfferDecisions(())
