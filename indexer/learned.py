"""A ranking learned from moderator decisions over the score parts the engine computes.

In: decided pairs (:class:`Sample`: the need, the pair's score parts, accepted or not, and
a graded gain), and the score the *current* ranking gives each of them. Out: a
:class:`LearnedRanking` (plain weights, JSON, applied without scikit-learn) and an
:class:`Evaluation` that says whether it should replace the current ranking.

The model is a *correction of the built-in ranking* (:class:`Base`: the fitted fusion's
logit, or the hand-set score): a per-need softmax over each need's decided pairs
(:mod:`indexer.listwise`) fits an unpenalised scale of the base logit plus L2-penalised
weights over the standardised parts, the penalty's strength chosen by cross-validation by
need (the strongest within one standard error of the best: near ties go to the base).
Without evidence the penalty gives the base back (weights 0), not a worse ranking,
and only the order inside a need is learned. Base and correction are folded into one set
of weights (:class:`LearnedRanking`, applied without scikit-learn). Its held-out figures
come from cross-validation grouped by need (:class:`~sklearn.model_selection.GroupKFold`,
shuffled and repeated :data:`REPEATS` times, each pair's held-out logit averaged over the
repeats; each fold chooses its penalty on its own fitting part only): no need is both in
the fitting and in the checking part, so a need's own decisions never vouch for its ranking.

Besides a pair's score :data:`PARTS`, the ranking reads what the *other* needs' decisions
say about the offer (:data:`~indexer.offer_decisions.OFFER_PARTS`: its shrunk acceptance
rate and its rejections, :mod:`indexer.offer_decisions`), a signal no per-pair score has.
Inside the cross-validation they are computed from the fitting part's decisions only (a
fitting row's own need left out); the fitted ranking stores the decisions, so every worker
computes the same features (a need's own decisions left out there too). On the dev set
they find nothing (README); the penalty then gives them weight ~0.

**The switch rule** (:func:`should_switch`) judges the learned ranking the way it will be
used: over each decided need's *candidate list* (:class:`Candidate`: the current ranking's
top :data:`POOL` offers of the need, decided or not), re-ranked by the ranking fitted on the
*other* needs' decisions (the same GroupKFold folds). A candidate's gain is its decision's
(0 rejected, 1 or 2 accepted) and 0 when nobody decided it: a ranking that lifts pairs
nobody judged into the top 10 gets no credit for them (conservative, as a fair only knows
what moderators saw). Without candidates (:func:`evaluate` called without ``pool``) the
decided pairs alone are re-ranked, as the first version did. The learned ranking replaces
the current one only when, on the held-out needs,

1. the mean per-need gain in nDCG@10 is at least :data:`MIN_GAIN` (0.01),
2. the one-sided lower 90 % bound of that gain (paired percentile bootstrap: needs
   resampled with replacement, :data:`BOOTSTRAP` times, fixed seed; the 10th percentile of
   the resampled means) is above 0,
3. the AUC of accepted vs rejected pairs of the same need (:func:`auc`) is not lower than
   the current ranking's,
4. the learned ranking's AUC is above chance: its one-sided lower 95 % bound
   (Hanley–McNeil standard error) is above 0.5, and
5. it stays where the decisions were taken: over each decided need's whole candidate
   pool, its top k keeps at least :data:`MIN_OVERLAP` (a third) of the current top k
   (median over the needs; k = the need's decisions, at most 10: the places of the list
   the moderators have seen).

Conditions 2, 4 and 5 keep a fit on random decisions from being switched on: a mean gain of
+0.01 on a handful of needs is easily noise, a lower bound above 0 rarely is; random
decisions that happen to disagree with the current ranking (its AUC below 0.5) can make
any other ranking look better than it, but not better than chance; and decisions only
speak about the pairs moderators saw, so a ranking that replaces those by pairs nobody
judged (what a fit on noise does, with weights of the wrong sign) is not trusted.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from indexer.evaluation.metrics import dcg
from indexer.fusion import FittedFusion
from indexer.linear import linear_fields, linear_to_json
from indexer.listwise import Correction, fit_chosen
from indexer.offer_decisions import NO_DECISIONS, OFFER_PARTS, OfferDecisions
from indexer.postings import Posting

#: The score parts of a pair a learned ranking reads, in order (see :func:`feature_vector`).
PARTS: tuple[str, ...] = (
    "fusion",
    "dense",
    "dense_z",
    "lexical",
    "lexical_used",
    "field",
    "sector",
    "sector_known",
    "trl",
    "trl_known",
    "cross_lingual",
    "reciprocal",
    "offer_z",
    "concept",
    "concept_cross",
)
#: Everything a learned ranking reads: the pair's parts, then what the other needs'
#: decisions say about the offer (:mod:`indexer.offer_decisions`).
FEATURES: tuple[str, ...] = PARTS + OFFER_PARTS
#: the features each earlier format lacked, in order: read with weight 0 there
_ADDED = {
    1: ("offer_z", "concept", "concept_cross", *OFFER_PARTS),
    2: ("concept", "concept_cross", *OFFER_PARTS),
    3: OFFER_PARTS,
}
MIN_DECISIONS = 30
MIN_NEEDS = 10
MIN_GAIN = 0.01
BOOTSTRAP = 2000
CONFIDENCE = 0.90  # one-sided lower bounds
Z_ONE_SIDED = 1.2816  # the normal quantile of CONFIDENCE
#: the AUC's lower bound is one-sided 95 %: at 90 %, coin-flip decisions that happen to
#: disagree with the current ranking passed it in 2 of 10 synthetic seeds
AUC_CONFIDENCE = 0.95
Z_AUC = 1.6449
MIN_OVERLAP = 1 / 3
FOLDS = 5
REPEATS = 3  # shuffled GroupKFold repeats (one split of ~40 needs is a noisy estimate)
K = 10
#: candidates per decided need the switch rule re-ranks (the current ranking's top POOL): as
#: many as the engine's dense search re-scores (``EngineConfig.candidates``), because a
#: learned ranking meets all of them; with 50, a fit with a negative lexical weight lifted
#: offers from below the 50th place that the rule never saw (seed 5: held-out -0.11)
POOL = 100
#: 1: without ``offer_z``, 2: without the ``concept`` parts, 3: without the offer decisions
#: (the missing features read with weight 0)
FORMAT = 4
#: the hand-set score's weight in the base logit when it is the built-in ranking
HANDSET_SCALE = 10.0


def feature_vector(parts: Mapping[str, float], cross_lingual: bool) -> list[float]:
    """The :data:`PARTS` of one pair from its score parts (``fusion`` is the built-in score);
    an unknown sector or TRL reads 0 with its ``…_known`` flag at 0; ``dense_z`` is clipped
    to [-4, 8] so that one odd pair does not dominate the fit; ``reciprocal`` is the pair's
    built-in score minus the best one its offer reaches with any need (<= 0: the offer
    serves another need better), the one part the built-in ranking does not use."""
    sector, trl = parts.get("sector"), parts.get("trl")
    return [
        float(parts.get("fusion", 0.0)),
        float(parts.get("dense", 0.0)),
        min(max(float(parts.get("dense_z", 0.0)), -4.0), 8.0),
        float(parts.get("lexical", 0.0)),
        float(parts.get("lexical_used", parts.get("lexical", 0.0))),
        float(parts.get("field", 0.0)),
        float(sector) if sector is not None else 0.0,
        1.0 if sector is not None else 0.0,
        float(trl) if trl is not None else 0.0,
        1.0 if trl is not None else 0.0,
        1.0 if cross_lingual else 0.0,
        min(max(float(parts.get("reciprocal", 0.0)), -1.0), 1.0),
        min(max(float(parts.get("offer_z", 0.0)), -4.0), 8.0),
        float(parts.get("concept", 0.0)),
        float(parts.get("concept", 0.0)) if cross_lingual else 0.0,
    ]


@dataclass(frozen=True)
class Base:
    """The built-in ranking as a logit over :data:`FEATURES` (``weights · x + intercept``):
    what a learned ranking corrects, and what it falls back to without evidence."""

    weights: tuple[float, ...]
    intercept: float

    def logits(self, x: np.ndarray) -> np.ndarray:
        """The base logit of each feature row."""
        return x @ np.asarray(self.weights, dtype=np.float64) + self.intercept


def base_of(fitted: FittedFusion | None) -> Base:
    """The base of the engine's default ranking: the fitted fusion's own logit (its features
    are a subset of :data:`FEATURES`, read the same way), or the hand-set score times
    :data:`HANDSET_SCALE` when ``fitted`` is ``None``."""
    weights = [0.0] * len(FEATURES)
    if fitted is None:
        weights[FEATURES.index("fusion")] = HANDSET_SCALE
        return Base(tuple(weights), 0.0)
    for name, weight in zip(fitted.features, fitted.weights, strict=True):
        weights[FEATURES.index(name)] = float(weight)
    return Base(tuple(weights), float(fitted.intercept))


@dataclass(frozen=True)
class Sample:
    """One decided pair: ``label`` 1 accepted / 0 rejected, ``gain`` its graded relevance
    for nDCG (0 rejected, 1 accepted, 2 accepted and confirmed by both sides or a meeting)."""

    need_id: int
    offer_id: int
    features: tuple[float, ...]
    label: int
    gain: int


@dataclass(frozen=True)
class Candidate:
    """One pair of a decided need's candidate list (decided or not): its features and the
    current ranking's score; what the switch rule re-ranks (module docstring)."""

    need_id: int
    offer_id: int
    features: tuple[float, ...]
    current: float


@dataclass(frozen=True)
class LearnedRanking:
    """A fitted ranking: ``logit = weights · features + intercept`` over :data:`FEATURES`,
    shown as ``slope · logit + offset`` clipped to [0, 1], a line fitted so that learned
    scores stay on the built-in score's scale (the recommend threshold keeps its meaning)."""

    weights: tuple[float, ...]
    intercept: float
    slope: float
    offset: float
    features: tuple[str, ...] = FEATURES
    format: int = FORMAT
    #: the decisions the offer features are computed from (``None``: they read 0)
    offers: OfferDecisions | None = None

    def logit(self, features: Sequence[float]) -> float:
        """The model's log-odds that the pair is accepted (``features``: all of
        :data:`FEATURES`)."""
        weighted = sum(w * x for w, x in zip(self.weights, features, strict=True))
        return float(weighted + self.intercept)

    def score(
        self,
        parts: Mapping[str, float],
        cross_lingual: bool,
        need_id: int | None = None,
        offer_id: int | None = None,
    ) -> float:
        """The learned score of a pair in [0, 1] from its score parts and, when the pair's
        ids are given, what the other needs' decisions say about its offer."""
        offer = (0.0,) * len(OFFER_PARTS)
        if self.offers is not None and need_id is not None and offer_id is not None:
            offer = self.offers.row(need_id, offer_id)
        features = [*feature_vector(parts, cross_lingual), *offer]
        value = self.slope * self.logit(features) + self.offset
        return min(max(value, 0.0), 1.0)

    def rescore(self, need: Posting, offer: Posting, parts: Mapping[str, float]) -> float:
        """The engine's rescore hook (:class:`indexer.scoring.PairScorer`)."""
        return self.score(parts, need.language != offer.language, need.id, offer.id)

    def to_json(self) -> dict[str, Any]:
        """A JSON-able dict (what the database stores; ``offers``: the decisions)."""
        data = linear_to_json(LearnedRanking(self.weights, self.intercept, self.slope, self.offset))
        data.pop("offers", None)
        if self.offers is not None:
            data["offers"] = self.offers.to_json()
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> LearnedRanking:
        """The ranking :meth:`to_json` wrote (or an earlier format: the features it lacked
        read with weight 0); ``ValueError`` for an unknown format or features."""
        added = _ADDED.get(data.get("format", FORMAT), ())
        if added and tuple(data.get("features", ())) == FEATURES[: -len(added)]:
            data = {**data, "format": FORMAT, "features": list(FEATURES)}
            data["weights"] = [*data["weights"], *[0.0] * len(added)]
        fields = linear_fields(data, FORMAT, FEATURES, ("slope", "offset"), "learned ranking")
        stored = data.get("offers")
        offers = OfferDecisions.from_json(stored) if stored is not None else None
        return cls(**fields, offers=offers)


Pair = Sample | Candidate


def decisions_of(samples: Sequence[Sample], use: bool = True) -> OfferDecisions:
    """The decisions of ``samples`` the offer features are computed from (none when not
    ``use``: the features are constant, get weight 0, and the ranking is the earlier one)."""
    if not use:
        return NO_DECISIONS
    return OfferDecisions.of(
        (s.need_id for s in samples), (s.offer_id for s in samples), (s.label for s in samples)
    )


def design(pairs: Sequence[Pair], offers: OfferDecisions) -> np.ndarray:
    """The :data:`FEATURES` of each pair: its parts, then its offer's features from
    ``offers`` (its own need's decisions left out)."""
    x = np.array([p.features for p in pairs], dtype=np.float64).reshape(len(pairs), len(PARTS))
    extra = offers.rows((p.need_id for p in pairs), (p.offer_id for p in pairs))
    return np.hstack([x, extra])


def _arrays(
    samples: Sequence[Sample], offers: OfferDecisions
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    x = design(samples, offers)
    groups = np.array([s.need_id for s in samples])
    gains = np.array([s.gain if s.label else 0 for s in samples], dtype=np.float64)
    return x, groups, gains


def fit(
    samples: Sequence[Sample], base: Base | None = None, seed: int = 0, offers: bool = True
) -> LearnedRanking:
    """Fit the per-need softmax correction of ``base`` (default: the hand-set score) on
    ``samples``, its penalty chosen by cross-validation by need (:mod:`indexer.listwise`),
    and fold both into one linear ranking (``offers``: with the offer features, their
    decisions stored in the ranking)."""
    base = base or base_of(None)
    stats = decisions_of(samples, offers)
    x, groups, gains = _arrays(samples, stats)
    correction = fit_chosen(x, groups, gains, base.logits(x), seed=seed)
    return _fold(correction, base, x, stats if offers else None)


def _fold(
    correction: Correction, base: Base, x: np.ndarray, offers: OfferDecisions | None
) -> LearnedRanking:
    weights = correction.alpha * np.asarray(base.weights) + correction.weights
    intercept = correction.alpha * base.intercept + correction.intercept
    logits = x @ weights + intercept
    slope, offset = _scale_line(logits, x[:, FEATURES.index("fusion")])
    return LearnedRanking(
        tuple(float(w) for w in weights), float(intercept), slope, offset, offers=offers
    )


def _scale_line(logits: np.ndarray, fused: np.ndarray) -> tuple[float, float]:
    """``(slope, offset)`` of the least-squares line from logits to built-in scores, with a
    positive slope (order is the model's); a degenerate fit falls back to a logistic-like
    slope around the built-in mean."""
    spread = float(np.var(logits))
    slope = float(np.cov(logits, fused, bias=True)[0, 1] / spread) if spread > 1e-12 else 0.0
    if slope <= 1e-6:
        slope = 0.25 * max(float(np.std(fused)), 0.05) / max(math.sqrt(spread), 1e-6)
    return slope, float(np.mean(fused) - slope * np.mean(logits))


@dataclass(frozen=True)
class Figures:
    """Held-out figures of one ranking over the decided needs."""

    ndcg_at_10: float
    auc: float


@dataclass(frozen=True)
class Evaluation:
    """Cross-validated figures of the learned ranking next to the current one, and the rule."""

    decisions: int
    needs: int
    accepted: int
    rejected: int
    ranked_needs: int  # needs with at least one accepted pair (those nDCG is over)
    current: Figures
    learned: Figures
    learned_auc_lower: float
    gain: float
    gain_lower: float
    gain_upper: float
    top_overlap: float
    pool: int  # candidates the nDCG figures are over (0: the decided pairs only)
    switch: bool
    reason_code: str
    reason: str
    per_need_gain: dict[int, float] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """A JSON-able dict (per-need gains left out)."""
        data = asdict(self)
        data.pop("per_need_gain")
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Evaluation:
        """The evaluation :meth:`to_json` wrote (a stored attempt's figures, to say again
        why it was or was not switched on); ``KeyError``/``TypeError`` for another shape."""
        values = {k: data[k] for k in _EVALUATION_FIELDS if k in data}
        values["current"] = Figures(**data["current"])
        values["learned"] = Figures(**data["learned"])
        values.setdefault("pool", 0)  # stored before the switch rule re-ranked candidates
        return cls(**values)


_EVALUATION_FIELDS = tuple(
    f for f in Evaluation.__dataclass_fields__ if f not in ("current", "learned", "per_need_gain")
)


def per_need_ndcg(
    samples: Sequence[Sample], scores: Sequence[float], k: int = K
) -> dict[int, float]:
    """nDCG@k of each need with at least one accepted pair, its decided pairs ranked by
    ``scores`` (ties: the order of ``samples``)."""
    gains = [s.gain if s.label else 0 for s in samples]
    return ranked_ndcg([s.need_id for s in samples], gains, scores, k)


def auc(samples: Sequence[Sample], scores: Sequence[float]) -> float:
    """AUC of accepted vs rejected pairs *of the same need* under ``scores``: the share of
    such (accepted, rejected) pairs ordered right, ties half (0.5 when there is none). Within
    needs, as a ranking is used, and as held-out logits of different folds can be compared."""
    from sklearn.metrics import roc_auc_score

    by_need: dict[int, tuple[list[int], list[float]]] = {}
    for sample, score in zip(samples, scores, strict=True):
        labels, values = by_need.setdefault(sample.need_id, ([], []))
        labels.append(sample.label)
        values.append(float(score))
    right = total = 0.0
    for labels, values in by_need.values():
        positives = sum(labels)
        pairs = positives * (len(labels) - positives)
        if pairs:
            right += float(roc_auc_score(labels, values)) * pairs
            total += pairs
    return right / total if total else 0.5


def auc_counts(samples: Sequence[Sample]) -> tuple[int, int]:
    """Accepted and rejected pairs of the needs that have both (what :func:`auc` compares)."""
    by_need: dict[int, list[int]] = {}
    for sample in samples:
        by_need.setdefault(sample.need_id, []).append(sample.label)
    both = [labels for labels in by_need.values() if 0 < sum(labels) < len(labels)]
    positives = sum(sum(labels) for labels in both)
    return positives, sum(len(labels) for labels in both) - positives


def held_out_logits(
    samples: Sequence[Sample],
    folds: int = FOLDS,
    repeats: int = REPEATS,
    base: Base | None = None,
    extra: Sequence[Candidate] = (),
    offers: bool = True,
) -> tuple[np.ndarray, np.ndarray]:
    """Each sample's logit from rankings fitted on the other needs' folds (GroupKFold by
    need, shuffled with seeds ``0..repeats-1``; each fit chooses its penalty by an inner
    cross-validation on its own fitting part only), averaged over the repeats; and the same
    for each ``extra`` candidate (by its need's fold; a need without decisions: its base).
    ``offers``: with the offer decision features, from each fold's fitting part only."""
    from sklearn.model_selection import GroupKFold

    base = base or base_of(None)
    _, groups, gains = _arrays(samples, NO_DECISIONS)
    ex_groups = np.array([c.need_id for c in extra])
    splits = min(folds, len(set(groups.tolist())))
    out = np.zeros(len(samples))
    ex_out = np.zeros(len(extra))
    ex_seen = np.zeros(len(extra))
    for repeat in range(repeats):
        split = GroupKFold(n_splits=splits, shuffle=True, random_state=repeat)
        for fit_idx, check_idx in split.split(groups, groups=groups):
            # the offer features of every row come from the fitting part's decisions only
            # (a fitting row's own need left out): no check need's decisions feed them
            stats = decisions_of([samples[int(i)] for i in fit_idx], offers)
            x = design(samples, stats)
            base_logits = base.logits(x)
            correction = fit_chosen(
                x[fit_idx], groups[fit_idx], gains[fit_idx], base_logits[fit_idx], seed=repeat
            )
            out[check_idx] += correction.logits(x[check_idx], base_logits[check_idx]) / repeats
            if len(extra):
                rows = np.flatnonzero(np.isin(ex_groups, groups[check_idx]))
                ex = design([extra[int(i)] for i in rows], stats)
                ex_out[rows] += correction.logits(ex, base.logits(ex))
                ex_seen[rows] += 1
    ex_all = design(extra, NO_DECISIONS)
    ex_out = np.where(ex_seen > 0, ex_out / np.maximum(ex_seen, 1), base.logits(ex_all))
    return out, ex_out


def pool_rows(
    samples: Sequence[Sample], current_scores: Sequence[float], pool: Sequence[Candidate]
) -> tuple[list[Candidate], list[int]]:
    """The candidates of the decided needs, the decided pairs missing from ``pool`` added
    (with their current score), and each one's gain (its decision's; 0 when undecided)."""
    decided = {(s.need_id, s.offer_id): s for s in samples}
    needs = {s.need_id for s in samples}
    rows = [c for c in pool if c.need_id in needs]
    listed = {(c.need_id, c.offer_id) for c in rows}
    for sample, score in zip(samples, current_scores, strict=True):
        if (sample.need_id, sample.offer_id) not in listed:
            rows.append(Candidate(sample.need_id, sample.offer_id, sample.features, float(score)))
    gains = []
    for c in rows:
        hit = decided.get((c.need_id, c.offer_id))
        gains.append(hit.gain if hit is not None and hit.label else 0)
    return rows, gains


def ranked_ndcg(
    need_ids: Sequence[int], gains: Sequence[int], scores: Sequence[float], k: int = K
) -> dict[int, float]:
    """nDCG@k of each need with a positive gain, its rows ranked by ``scores`` (ties: the
    order of the rows)."""
    by_need: dict[int, list[tuple[float, int, int]]] = {}
    for i, (need_id, gain, score) in enumerate(zip(need_ids, gains, scores, strict=True)):
        by_need.setdefault(need_id, []).append((-float(score), i, gain))
    out: dict[int, float] = {}
    for need_id, rows in by_need.items():
        ideal = dcg(sorted((g for *_, g in rows), reverse=True)[:k])
        if ideal > 0:
            out[need_id] = dcg([g for *_, g in sorted(rows)[:k]]) / ideal
    return out


def bootstrap_interval(
    gains: Sequence[float], confidence: float = CONFIDENCE, rounds: int = BOOTSTRAP, seed: int = 17
) -> tuple[float, float]:
    """One-sided ``confidence`` bounds (lower, upper) of the mean of ``gains`` by resampling
    them (percentile bootstrap, fixed seed so that the same decisions give the same answer)."""
    values = np.asarray(gains, dtype=np.float64)
    if not len(values):
        return 0.0, 0.0
    rng = np.random.default_rng(seed)
    means = values[rng.integers(0, len(values), size=(rounds, len(values)))].mean(axis=1)
    tail = 1.0 - confidence
    return float(np.quantile(means, tail)), float(np.quantile(means, 1.0 - tail))


def auc_lower_bound(value: float, positives: int, negatives: int) -> float:
    """The one-sided lower :data:`AUC_CONFIDENCE` bound of an AUC (Hanley–McNeil, 1982)."""
    if not positives or not negatives:
        return 0.0
    q1, q2 = value / (2 - value), 2 * value * value / (1 + value)
    variance = (
        value * (1 - value)
        + (positives - 1) * (q1 - value * value)
        + (negatives - 1) * (q2 - value * value)
    ) / (positives * negatives)
    return value - Z_AUC * math.sqrt(max(variance, 0.0))


def should_switch(
    gain: float,
    lower: float,
    learned_auc: float,
    current_auc: float,
    auc_lower: float = 1.0,
    overlap: float = 1.0,
) -> tuple[str, str] | None:
    """``None`` when the rule (module docstring) says switch, else ``(code, why not)``;
    codes: ``gain_too_small``, ``gain_not_reliable``, ``auc_lower``, ``no_signal``,
    ``off_decisions``."""
    if gain < MIN_GAIN:
        why = f"mean held-out nDCG@10 gain {gain:+.4f} is below the required +{MIN_GAIN:.2f}"
        return "gain_too_small", why
    if lower <= 0.0:
        why = (
            f"the gain is not reliably positive: the lower {CONFIDENCE:.0%} bootstrap bound "
            f"over needs is {lower:+.4f} (must be above 0)"
        )
        return "gain_not_reliable", why
    if learned_auc < current_auc:
        why = f"held-out AUC {learned_auc:.4f} is lower than the current {current_auc:.4f}"
        return "auc_lower", why
    if auc_lower <= 0.5:
        why = (
            f"the decisions do not carry a reliable signal: held-out AUC {learned_auc:.4f}, "
            f"lower {AUC_CONFIDENCE:.0%} bound {auc_lower:.4f} (must be above 0.5)"
        )
        return "no_signal", why
    if overlap < MIN_OVERLAP:
        why = (
            f"the learned ranking's top places keep only {overlap:.0%} of the current ones of the "
            f"decided needs (median; at least {MIN_OVERLAP:.0%} needed): it would put pairs "
            "nobody judged at the top"
        )
        return "off_decisions", why
    return None


#: The fitted ranking → median share of the current top 10 it keeps (condition 5).
Overlap = Callable[[LearnedRanking], float]


def overlap_depths(need_ids: Iterable[int], k: int = K) -> dict[int, int]:
    """How deep condition 5 compares each need's lists: its decisions, at most ``k``
    (``need_ids``: the need of each decision)."""
    counts: dict[int, int] = {}
    for need_id in need_ids:
        counts[need_id] = counts.get(need_id, 0) + 1
    return {n: min(c, k) for n, c in counts.items()}


def top_overlap(
    current: Mapping[int, Sequence[int]], learned: Mapping[int, Sequence[int]]
) -> float:
    """Median over needs of the share of ``current[need]`` (a top k) in ``learned[need]``."""
    shares = [
        len(set(top) & set(learned.get(need, ()))) / len(top)
        for need, top in current.items()
        if top
    ]
    return float(np.median(shares)) if shares else 1.0


def evaluate(
    samples: Sequence[Sample],
    current_scores: Sequence[float],
    overlap: Overlap | None = None,
    base: Base | None = None,
    pool: Sequence[Candidate] | None = None,
    offers: bool = True,
) -> tuple[Evaluation, LearnedRanking]:
    """Cross-validate the learned ranking against ``current_scores`` (the active ranking's
    score of each sample) — over the decided needs' candidate lists when ``pool`` is given,
    else over the decided pairs —, fit it on every sample and apply the switch rule
    (``overlap``: how the fitted ranking's top 10 compares with the current one; unchecked
    when ``None``; ``offers``: with the offer decision features)."""
    model = fit(samples, base, offers=offers)
    kept = overlap(model) if overlap is not None else 1.0
    rows, row_gains = pool_rows(samples, current_scores, pool) if pool is not None else ([], [])
    logits, row_logits = held_out_logits(samples, base=base, extra=rows, offers=offers)
    if pool is not None:
        ids = [c.need_id for c in rows]
        current_ndcg = ranked_ndcg(ids, row_gains, [c.current for c in rows])
        learned_ndcg = ranked_ndcg(ids, row_gains, row_logits.tolist())
    else:
        current_ndcg = per_need_ndcg(samples, current_scores)
        learned_ndcg = per_need_ndcg(samples, logits.tolist())
    gains = {n: learned_ndcg[n] - current_ndcg[n] for n in current_ndcg}
    gain = float(np.mean(list(gains.values()))) if gains else 0.0
    lower, upper = bootstrap_interval(list(gains.values()))
    current = Figures(_mean(current_ndcg), auc(samples, current_scores))
    learned = Figures(_mean(learned_ndcg), auc(samples, logits.tolist()))
    accepted = sum(s.label for s in samples)
    auc_low = auc_lower_bound(learned.auc, *auc_counts(samples))
    refusal = should_switch(gain, lower, learned.auc, current.auc, auc_low, kept)
    evaluation = Evaluation(
        decisions=len(samples),
        needs=len({s.need_id for s in samples}),
        accepted=accepted,
        rejected=len(samples) - accepted,
        ranked_needs=len(gains),
        current=current,
        learned=learned,
        learned_auc_lower=auc_low,
        gain=gain,
        gain_lower=lower,
        gain_upper=upper,
        switch=refusal is None,
        reason_code=refusal[0] if refusal else "switched",
        reason=refusal[1] if refusal else "better on held-out decisions by the documented margin",
        top_overlap=kept,
        pool=len(rows),
        per_need_gain=gains,
    )
    return evaluation, model


def _mean(values: Mapping[int, float]) -> float:
    return float(np.mean(list(values.values()))) if values else 0.0
