"""When to say "no good match": the recommendation rule measured and calibrated.

The dev set is indexed once with the default engine; every need's candidates are recorded
with their score, dense z-score and language pair, and every offer's best score with any
need (the reciprocity input). A rule (:class:`RecommendRule`: a score threshold for
same-language pairs, one for cross-language pairs, the reciprocity margin) is then applied
offline, exactly as :func:`indexer.recommendation.is_recommended` applies it, so that a
grid of rules costs no re-indexing. :func:`calibrate` picks a rule on the *tuning* part
only; the figures are reported per part, held-out first.

Figures: the share of needs with no good offer that get no recommendation (``silent``),
the share of needs with a grade-2 offer whose recommendations include a grade-2 offer
(``grade2``) and include any relevant offer (``relevant``, the ranking table's figure).
Both of the first two must reach a bar (issue 15: 0.90), so :func:`objective` maximises the
smaller of the two first: in a nested cross-validation on the tuning part it kept the
smaller share higher than the mean did (``benchmarks/results/abstention_rules.json``).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from indexer.engine import EngineConfig, MatchEngine
from indexer.evaluation.caching import shared_model
from indexer.evaluation.context import SectionContext
from indexer.evaluation.devset import DevSet
from indexer.recommendation import TOLERANCE

if TYPE_CHECKING:
    from models import EmbeddingModel

Row = tuple[int, float, bool]  # (offer id, score, cross-language)


@dataclass(frozen=True)
class RecommendRule:
    """``threshold`` (same-language pairs), ``cross_threshold`` (cross-language pairs) and
    the reciprocity ``margin`` (< 0: off), as in :class:`indexer.scoring.FusionConfig`."""

    threshold: float
    cross_threshold: float
    margin: float

    def recommends(self, score: float, cross: bool, best_need: float) -> bool:
        """The rule of :func:`indexer.recommendation.is_recommended`, per language pair."""
        if score < (self.cross_threshold if cross else self.threshold):
            return False
        return self.margin < 0 or score >= best_need - self.margin - TOLERANCE


@dataclass
class Candidates:
    """Every need's ranked offers (``rows``) and every offer's best score with any need;
    ``per_need`` (optional) overrides the latter for a need's rows (out-of-fold scores,
    where each need's pool is scored by another model)."""

    rows: dict[int, list[Row]]
    best_need: dict[int, float]
    per_need: dict[int, dict[int, float]] = field(default_factory=dict)

    def best(self, need_id: int, offer_id: int) -> float:
        """The best score ``offer_id`` reaches with any need, as ``need_id``'s rows see it."""
        return self.per_need.get(need_id, self.best_need).get(offer_id, 0.0)


def candidates_from_pairs(
    needs: Sequence[int],
    offers: Sequence[int],
    scores: Sequence[float],
    cross: Sequence[bool],
    keep: Sequence[int] | None = None,
) -> Candidates:
    """:class:`Candidates` from scored pairs (``needs[i]``, ``offers[i]``) with ``scores[i]``
    and the language flag ``cross[i]`` (every pair of the pool, as the engine would score
    it): rows of the needs in ``keep`` (default: all), best first, ties by lower offer id,
    and each offer's best score with any need of the pool (the reciprocity input). Used to
    apply a rule to scores the engine does not hold, e.g. the out-of-fold scores of the
    fusion's cross-validation."""
    wanted = set(needs) if keep is None else set(keep)
    by_need: dict[int, list[Row]] = {}
    best: dict[int, float] = {}
    for need, offer, score, x in zip(needs, offers, scores, cross, strict=True):
        s = float(score)
        best[offer] = max(best.get(offer, s), s)
        if need in wanted:
            by_need.setdefault(need, []).append((offer, s, bool(x)))
    rows = {n: sorted(r, key=lambda t: (-t[1], t[0])) for n, r in by_need.items()}
    return Candidates(rows, best)


def record_candidates(model: EmbeddingModel, devset: DevSet, config: EngineConfig) -> Candidates:
    """Index the whole dev set under ``config`` and record what the rule reads."""
    engine = MatchEngine(model, config)
    engine.upsert(devset.needs + devset.offers)
    languages = {p.id: p.language for p in devset.needs + devset.offers}
    rows: dict[int, list[Row]] = {}
    for need in devset.needs:
        matches = engine.match(need.id, len(devset.offers), with_reasons=False)
        lang = engine.get(need.id)
        need_lang = lang.language if lang else languages[need.id]
        rows[need.id] = [
            (m.offer_id, m.score, (engine.get(m.offer_id) or need).language != need_lang)
            for m in matches
        ]
    best = engine.ranker.best_needs(sorted(o.id for o in devset.offers))
    return Candidates(rows, best)


def figures(cands: Candidates, rule: RecommendRule, devset: DevSet) -> dict[str, Any]:
    """``silent``, ``grade2`` and ``relevant`` shares (see module docstring) of ``rule`` over
    the needs of ``devset`` (a part of the set the candidates were recorded on)."""
    ids = [n.id for n in devset.needs if n.id in cands.rows]
    no_good = [i for i in ids if "no_good_offer" in devset.tags.get(i, set())]
    with_good = [i for i in ids if devset.relevant(i, 2)]
    chosen = {
        i: [o for o, s, x in cands.rows[i] if rule.recommends(s, x, cands.best(i, o))]
        for i in no_good + with_good
    }

    def share(ok: list[int], of: list[int]) -> float:
        return len(ok) / len(of) if of else 0.0

    return {
        "no_good_offer_needs": len(no_good),
        "needs_with_grade2": len(with_good),
        "silent": share([i for i in no_good if not chosen[i]], no_good),
        "grade2": share(
            [i for i in with_good if any(devset.qrels[i].get(o, 0) >= 2 for o in chosen[i])],
            with_good,
        ),
        "relevant": share(
            [i for i in with_good if any(devset.qrels[i].get(o, 0) >= 1 for o in chosen[i])],
            with_good,
        ),
    }


def objective(fig: dict[str, Any]) -> tuple[float, float]:
    """What calibration maximises: the smaller of ``silent`` and ``grade2`` (both must reach
    the bar), then their mean."""
    return min(fig["silent"], fig["grade2"]), (fig["silent"] + fig["grade2"]) / 2


THRESHOLDS = tuple(round(0.30 + 0.025 * i, 3) for i in range(23))  # 0.30 … 0.85
MARGINS = (-1.0, 0.0, 0.05, 0.1, 0.2)


def calibrate(
    cands: Candidates,
    tune: DevSet,
    thresholds: tuple[float, ...] = THRESHOLDS,
    margins: tuple[float, ...] = MARGINS,
) -> RecommendRule:
    """The rule of the grid that maximises :func:`objective` on ``tune`` (ties: the lower
    thresholds, then the smaller margin)."""
    best: tuple[tuple[float, float], RecommendRule] | None = None
    for t, tx, m in itertools.product(thresholds, thresholds, margins):
        rule = RecommendRule(t, tx, m)
        score = objective(figures(cands, rule, tune))
        if best is None or score > best[0]:
            best = (score, rule)
    assert best is not None
    return best[1]


def default_rule(config: EngineConfig) -> RecommendRule:
    """The engine's rule as a :class:`RecommendRule` (one threshold for every pair): the
    fitted fusion's threshold and margin when the engine ranks with it, else the hand-set
    fusion's."""
    from indexer.engine import fitted_fusion_of

    fitted = fitted_fusion_of(config)
    if fitted is not None:
        return RecommendRule(fitted.threshold, fitted.threshold, fitted.margin)
    f = config.fusion
    return RecommendRule(f.recommend_threshold, f.recommend_threshold, f.reciprocal_margin)


class AbstentionSection:
    """Silent / grade-2 / relevant shares per part (held-out first) for the engine's rule
    and for the rule calibrated on the tuning part."""

    key = "abstention"

    def compute(self, ctx: SectionContext) -> dict[str, Any]:
        config = EngineConfig()
        cands = record_candidates(shared_model(ctx.model, ctx.options), ctx.devset, config)
        rules = {"default": default_rule(config)}
        if "tune" in ctx.parts:
            rules["calibrated on tune"] = calibrate(cands, ctx.parts["tune"])
        return {
            name: {
                "rule": asdict(rule),
                "parts": {p: figures(cands, rule, ds) for p, ds in ctx.parts.items()},
            }
            for name, rule in rules.items()
        }

    def format(self, data: dict[str, Any]) -> list[str]:
        lines = [
            "#### abstention (needs without a good offer left silent; needs with a grade-2 "
            "offer that get a grade-2 / any relevant recommendation)",
            "",
            "| rule | threshold same / cross, margin | part | silent | grade-2 | relevant |",
            "|---|---|---|---|---|---|",
        ]
        for name, entry in data.items():
            r = entry["rule"]
            for part, f in entry["parts"].items():
                lines.append(
                    f"| {name} | {r['threshold']:.3f} / {r['cross_threshold']:.3f}, "
                    f"{r['margin']:.2f} | {part} ({f['no_good_offer_needs']} / "
                    f"{f['needs_with_grade2']}) | {f['silent']:.2f} | {f['grade2']:.2f} | "
                    f"{f['relevant']:.2f} |"
                )
        return lines + [""]
