"""The fitted fusion: a logistic model over the score parts, the engine's default ranking.

In: a pair's score parts as :class:`indexer.scoring.PairScorer` computes them (``fusion``
is the hand-set score of :func:`indexer.scoring.fuse`, ``offer_z`` the cosine as a z-score
against the offer's cosines to needs of the need's language). Out: the probability that
the pair is relevant (grade >= 1), which is the pair's score, and the recommendation rule
on that scale (``threshold``, ``margin``), both chosen on the dev set's tuning part by
``benchmarks/fit_fusion.py``. The weights are a committed data file
(``indexer/resources/fusion.json``): nothing is fitted when the service starts, and the
model is applied with plain Python arithmetic (no scikit-learn at run time).
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

from indexer.linear import linear_fields, linear_to_json
from indexer.postings import Posting

#: The score parts the fitted fusion reads, in order (see :func:`fusion_features`).
FEATURES: tuple[str, ...] = (
    "fusion",
    "dense",
    "dense_z",
    "lexical",
    "lexical_used",
    "field",
    "sector",
    "trl",
    "cross_lingual",
    "offer_z",
    "concept",
    "concept_cross",
)
FORMAT = 1
RESOURCE = "fusion.json"


def fusion_features(parts: Mapping[str, float], cross_lingual: bool) -> list[float]:
    """The features of one pair from its score parts: unknown sector / TRL read 0, the
    z-scores are clipped to [-4, 8] so that one odd pair does not dominate. Per pair only:
    the ``reciprocal`` part (the offer's best need) raised tune nDCG@10 by 0.005 but cost
    4.5× the match time with cold caches (README, levers), so it is not read. ``concept``
    is the glossary-bridged part (:mod:`indexer.concepts`), ``concept_cross`` the same on
    cross-language pairs only (0 on the others)."""
    return [
        float(parts.get("fusion", 0.0)),
        float(parts.get("dense", 0.0)),
        _clip(float(parts.get("dense_z", 0.0)), -4.0, 8.0),
        float(parts.get("lexical", 0.0)),
        float(parts.get("lexical_used", parts.get("lexical", 0.0))),
        float(parts.get("field", 0.0)),
        float(parts.get("sector", 0.0)),
        float(parts.get("trl", 0.0)),
        1.0 if cross_lingual else 0.0,
        _clip(float(parts.get("offer_z", 0.0)), -4.0, 8.0),
        float(parts.get("concept", 0.0)),
        float(parts.get("concept", 0.0)) if cross_lingual else 0.0,
    ]


def _clip(value: float, low: float, high: float) -> float:
    return min(max(value, low), high)


@dataclass(frozen=True)
class FittedFusion:
    """``p = sigmoid(weights · features + intercept)`` over :data:`FEATURES` (the scaler
    folded into the weights); a pair is recommended when ``p >= threshold`` and its need is
    among the offer's best within ``margin`` (< 0: no reciprocity condition)."""

    weights: tuple[float, ...]
    intercept: float
    threshold: float
    margin: float
    features: tuple[str, ...] = FEATURES
    format: int = FORMAT
    #: the :class:`indexer.scoring.PairScorer` need not compute the ``reciprocal`` part
    reads_reciprocal: bool = False

    def probability(self, features: Sequence[float]) -> float:
        """The model's probability that the pair is relevant."""
        logit = sum(w * x for w, x in zip(self.weights, features, strict=True)) + self.intercept
        if logit < -30.0:
            return 0.0
        return 1.0 / (1.0 + math.exp(-logit))

    def score(self, parts: Mapping[str, float], cross_lingual: bool = False) -> float:
        """The probability of relevance of a pair from its score parts."""
        return self.probability(fusion_features(parts, cross_lingual))

    def rescore(self, need: Posting, offer: Posting, parts: Mapping[str, float]) -> float:
        """The engine's rescore hook (:class:`indexer.scoring.PairScorer`): the pair's
        probability of relevance, its score in [0, 1]."""
        return self.score(parts, need.language != offer.language)

    def to_json(self) -> dict[str, Any]:
        """A JSON-able dict (what ``indexer/resources/fusion.json`` holds)."""
        return linear_to_json(self)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> FittedFusion:
        """The fusion :meth:`to_json` wrote; ``ValueError`` for another format or features."""
        return cls(
            **linear_fields(data, FORMAT, FEATURES, ("threshold", "margin"), "fitted fusion")
        )


@lru_cache(maxsize=1)
def default_fusion() -> FittedFusion:
    """The committed fusion (``indexer/resources/fusion.json``), read once per process."""
    text = resources.files("indexer.resources").joinpath(RESOURCE).read_text(encoding="utf-8")
    return FittedFusion.from_json(json.loads(text)["model"])


def fit_fusion(
    rows: Sequence[Sequence[float]],
    labels: Sequence[int],
    c: float = 1.0,
    threshold: float = 0.5,
    margin: float = 0.05,
    sample_weight: Sequence[float] | None = None,
) -> FittedFusion:
    """Fit scikit-learn's logistic regression (standardised features, L2 ``c``) on
    ``rows`` (:func:`fusion_features`) and ``labels`` (1: relevant), optionally weighting
    each row (``sample_weight``); offline only."""
    import numpy as np
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

    x = np.asarray(rows, dtype=np.float64)
    scaler = StandardScaler().fit(x)
    model = LogisticRegression(C=c, max_iter=2000).fit(
        scaler.transform(x), np.asarray(labels), sample_weight=sample_weight
    )
    scale = np.asarray(scaler.scale_, dtype=np.float64)
    weights = model.coef_[0] / scale
    intercept = float(model.intercept_[0] - np.sum(model.coef_[0] * scaler.mean_ / scale))
    return FittedFusion(tuple(float(w) for w in weights), intercept, threshold, margin)
