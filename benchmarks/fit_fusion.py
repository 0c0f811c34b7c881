"""Fit the fusion on the dev set's tuning part, report the held-out part (issue 15).

Indexes ``data/devset`` once with the default engine and the real model, the hand-set
fusion ranking (``fitted_fusion`` off). Every need × offer pair's score parts
(:meth:`indexer.engine.MatchEngine.pair_parts`: the hand-set score, dense, BM25, field,
``reciprocal``, ``offer_z``) become features (:func:`indexer.fusion.fusion_features`). On
the *tune* needs only, a logistic model of relevance (grade >= 1) is chosen by 5-fold
cross-validation grouped by need (L2 strength ``C`` and whether grade-2 pairs weigh 3, the
nDCG gain, against 1; criterion: mean nDCG@10 of the held-out folds), fitted on all tune
pairs, and the recommendation rule on its probability scale (threshold, reciprocity margin)
is chosen on tune by :func:`indexer.evaluation.abstention.objective` (the smaller of the
silent and grade-2 shares, then their mean) over the tune needs' *out-of-fold* scores: each
tune need scored by the model of the cross-validation fold that did not see it (the pool's
best-need scores by the same fold model), as a held-out need is scored, not by the final
model that was fitted on its own pairs. Then the held-out and tune figures before
(hand-set) and after (fitted) are measured through the engine's own ``match`` (held-out first).

Writes the model to ``indexer/resources/fusion.json`` (the engine's default, loaded, never
fitted, at start) and the figures to ``benchmarks/results/fusion.json``:

    TECHMATCH_MODEL_CACHE=.cache/models python benchmarks/fit_fusion.py [--backend B]
"""

from __future__ import annotations

import argparse
import dataclasses
import itertools
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from indexer.engine import EngineConfig, MatchEngine  # noqa: E402
from indexer.evaluation.abstention import (  # noqa: E402
    MARGINS,
    Candidates,
    RecommendRule,
    candidates_from_pairs,
    figures,
    objective,
)
from indexer.evaluation.devset import DevSet, load_devset, read_split, split_parts  # noqa: E402
from indexer.evaluation.metrics import ndcg_at_k  # noqa: E402
from indexer.evaluation.ranking import rankings, score_rankings  # noqa: E402
from indexer.fusion import FEATURES, FittedFusion, fit_fusion, fusion_features  # noqa: E402

MODEL_FILE = ROOT / "indexer" / "resources" / "fusion.json"
RESULT = ROOT / "benchmarks" / "results" / "fusion.json"
C_GRID = (0.1, 0.3, 1.0, 3.0)
WEIGHTINGS = ("relevant", "gain")
#: 0.05 … 0.95 by 0.01: the 0.05 grid put the rule at the edge of the run of equally good
#: thresholds (just above a tune no-good need's best offer); :func:`choose_rule` takes its middle
THRESHOLDS = tuple(round(0.01 * i, 2) for i in range(5, 96))


def pair_table(engine: MatchEngine, devset: DevSet) -> dict[str, Any]:
    """Every need × offer pair: its need, offer, grade and features (numpy arrays)."""
    pairs = [(n.id, o.id) for n in devset.needs for o in devset.offers]
    parts = engine.pair_parts(pairs)
    rows = []
    for (need_id, offer_id), part in zip(pairs, parts, strict=True):
        need, offer = engine.get(need_id), engine.get(offer_id)
        assert need is not None and offer is not None
        rows.append(fusion_features(part, need.language != offer.language))
    return {
        "need": np.array([n for n, _ in pairs]),
        "offer": np.array([o for _, o in pairs]),
        "grade": np.array([devset.qrels.get(n, {}).get(o, 0) for n, o in pairs]),
        "x": np.array(rows, dtype=np.float64),
    }


def mean_ndcg(table: dict[str, Any], scores: np.ndarray, devset: DevSet, needs: list[int]) -> float:
    """Mean nDCG@10 over ``needs`` with a relevant offer, each ranking every offer by
    ``scores`` (ties: lower id, as the engine)."""
    values = []
    for need_id in needs:
        if not devset.relevant(need_id):
            continue
        mask = table["need"] == need_id
        offers, s = table["offer"][mask], scores[mask]
        order = offers[np.lexsort((offers, -s))]
        values.append(ndcg_at_k(order.tolist(), devset.qrels[need_id], 10))
    return float(np.mean(values)) if values else 0.0


def fit_on(table: dict[str, Any], mask: np.ndarray, c: float, weighting: str) -> FittedFusion:
    """The fusion fitted on the rows of ``mask``."""
    grade = table["grade"][mask]
    weight = np.where(grade >= 2, 3.0, 1.0) if weighting == "gain" else None
    rows = table["x"][mask]
    return fit_fusion(rows, (grade >= 1).astype(int), c, sample_weight=weight)


def scores_of(model: FittedFusion, table: dict[str, Any], mask: np.ndarray) -> np.ndarray:
    """The model's probabilities of the rows of ``mask``."""
    return np.array([model.probability(row) for row in table["x"][mask]])


def cross_validate(
    table: dict[str, Any], devset: DevSet, tune_needs: list[int], folds: int = 5
) -> dict[str, float]:
    """Tune-only grid: ``"C=…,weighting"`` → mean nDCG@10 of the held-out folds."""
    from sklearn.model_selection import GroupKFold

    out: dict[str, float] = {}
    tune_ids = np.array(sorted(tune_needs))
    for c, weighting in itertools.product(C_GRID, WEIGHTINGS):
        scores = np.zeros(len(table["need"]))
        for fit_idx, check_idx in GroupKFold(folds).split(tune_ids, groups=tune_ids):
            fit_mask = np.isin(table["need"], tune_ids[fit_idx])
            check_mask = np.isin(table["need"], tune_ids[check_idx])
            scores[check_mask] = scores_of(fit_on(table, fit_mask, c, weighting), table, check_mask)
        out[f"C={c},{weighting}"] = mean_ndcg(table, scores, devset, tune_needs)
    return out


def out_of_fold(
    table: dict[str, Any], tune_needs: list[int], c: float, weighting: str, folds: int = 5
) -> Candidates:
    """The tune needs' candidates under out-of-fold scores: the folds of
    :func:`cross_validate`; each fold's model scores every pair of the pool, its check
    needs' rows and every offer's best score with any need come from that model."""
    from sklearn.model_selection import GroupKFold

    tune_ids = np.array(sorted(tune_needs))
    cross = table["x"][:, FEATURES.index("cross_lingual")] > 0.5
    out = Candidates({}, {})
    best: dict[int, dict[int, float]] = {}  # check need → its fold's best-need scores
    for fit_idx, check_idx in GroupKFold(folds).split(tune_ids, groups=tune_ids):
        model = fit_on(table, np.isin(table["need"], tune_ids[fit_idx]), c, weighting)
        scores = scores_of(model, table, np.ones(len(table["need"]), dtype=bool))
        fold = candidates_from_pairs(
            table["need"].tolist(),
            table["offer"].tolist(),
            scores.tolist(),
            cross.tolist(),
            tune_ids[check_idx].tolist(),
        )
        out.rows.update(fold.rows)
        best.update(dict.fromkeys(fold.rows, fold.best_need))
    out.per_need = best  # an offer's best need is read in the need's own fold
    return out


def candidates(engine: MatchEngine, devset: DevSet) -> Candidates:
    """What the recommendation rule reads under the engine's active ranking."""
    rows = {}
    for need in devset.needs:
        indexed = engine.get(need.id)
        assert indexed is not None
        matches = engine.match(need.id, len(devset.offers), with_reasons=False)
        rows[need.id] = [
            (m.offer_id, m.score, (engine.get(m.offer_id) or indexed).language != indexed.language)
            for m in matches
        ]
    best = engine.ranker.best_needs(sorted(o.id for o in devset.offers))
    return Candidates(rows, best)


def choose_rule(cands: Candidates, tune: DevSet) -> tuple[RecommendRule, dict[str, Any]]:
    """The (threshold, margin) that maximises the abstention objective on ``tune`` and the
    grid's tune figures. Ties: the smaller margin, then the middle of the tying thresholds
    (:func:`middle_of_ties`), not the lowest: the lowest sits just above the best offer of a
    tune need without a good offer, the middle is as far from both sides as the grid allows."""
    scored: list[tuple[tuple[float, float], float, float]] = []
    grid: dict[str, Any] = {}
    for t, m in itertools.product(THRESHOLDS, MARGINS):
        fig = figures(cands, RecommendRule(t, t, m), tune)
        grid[f"{t:.2f},{m:.2f}"] = {"silent": fig["silent"], "grade2": fig["grade2"]}
        scored.append((objective(fig), t, m))
    threshold, margin = middle_of_ties(scored)
    return RecommendRule(threshold, threshold, margin), grid


def middle_of_ties(scored: list[tuple[tuple[float, float], float, float]]) -> tuple[float, float]:
    """``(threshold, margin)`` from ``(objective, threshold, margin)`` rows: among the rows of
    the best objective, the smallest margin, then the middle one of its thresholds in
    ascending order (the lower middle of an even count)."""
    best = max(score for score, _, _ in scored)
    margin = min(m for score, _, m in scored if score == best)
    tied = sorted(t for score, t, m in scored if score == best and m == margin)
    return tied[(len(tied) - 1) // 2], margin


def measure(engine: MatchEngine, devset: DevSet, parts: dict[str, DevSet]) -> dict[str, Any]:
    """Ranking figures (:func:`score_rankings`) and the active rule's silent / grade-2 /
    relevant shares (:func:`indexer.evaluation.abstention.figures`) per part."""
    ranked = rankings(engine, devset)
    config = engine.ranker.recommender.config
    rule = RecommendRule(
        config.recommend_threshold, config.recommend_threshold, config.reciprocal_margin
    )
    cands = candidates(engine, devset)
    return {
        part: {**score_rankings(ranked, ds), "abstention": figures(cands, rule, ds)}
        for part, ds in parts.items()
    }


def summary(block: dict[str, Any]) -> dict[str, float]:
    """The four figures the issue asks for (and recall@10), from one part's :func:`measure`."""
    return {
        "ndcg@10": block["overall"]["ndcg@10"],
        "recall@10": block["overall"]["recall@10"],
        "cross_lingual_ndcg@10": block["cross_lingual_only"]["ndcg@10"],
        "silent": block["abstention"]["silent"],
        "grade2": block["abstention"]["grade2"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="multilingual-e5-small")
    parser.add_argument("--backend", default=None)
    parser.add_argument("--out", type=Path, default=RESULT)
    parser.add_argument("--model-out", type=Path, default=MODEL_FILE)
    args = parser.parse_args()
    from benchmarks.machine import machine
    from models import load_model

    load_start = os.getloadavg()
    started = time.perf_counter()
    cache = Path(os.environ.get("TECHMATCH_MODEL_CACHE") or ROOT / ".cache" / "models")
    model = load_model(args.model, cache, backend=args.backend)
    devset = load_devset()
    split = read_split()
    parts = split_parts(devset, split)
    tune_needs = sorted(n for n, p in split.items() if p == "tune")
    engine = MatchEngine(model, EngineConfig(fitted_fusion=False))
    engine.upsert(devset.needs + devset.offers)
    before = measure(engine, devset, parts)

    table = pair_table(engine, devset)
    grid = cross_validate(table, devset, tune_needs)
    choice = max(grid, key=lambda k: (grid[k], k))
    c = float(choice.split(",")[0].removeprefix("C="))
    weighting = choice.split(",")[1]
    tune_mask = np.isin(table["need"], tune_needs)
    fitted = fit_on(table, tune_mask, c, weighting)

    engine.fitted = fitted
    engine.set_rescore(None)
    rule, rule_grid = choose_rule(out_of_fold(table, tune_needs, c, weighting), parts["tune"])
    in_sample_rule, in_sample_grid = choose_rule(candidates(engine, devset), parts["tune"])
    fitted = dataclasses.replace(fitted, threshold=rule.threshold, margin=rule.margin)
    engine.fitted = fitted
    engine.set_rescore(None)
    after = measure(engine, devset, parts)

    model_doc = {
        "what": "fitted fusion of indexer/fusion.py; written by benchmarks/fit_fusion.py",
        "fitted_on": "data/devset tune part (split.tsv), every need x offer pair",
        "choice": {
            "C": c,
            "weighting": weighting,
            "threshold": rule.threshold,
            "margin": rule.margin,
            "rule_chosen_on": "tune needs' out-of-fold scores (5 folds by need)",
        },
        "model": fitted.to_json(),
    }
    args.model_out.write_text(json.dumps(model_doc, indent=2) + "\n", encoding="utf-8")
    ordered = [p for p in ("heldout", "tune", "all") if p in parts]
    result = {
        "benchmark": "fusion",
        "command": " ".join(["python", "benchmarks/fit_fusion.py", *sys.argv[1:]]),
        "model": args.model,
        "machine": machine(getattr(model, "backend", None)),
        "load_average_start": list(load_start),
        "load_average_end": list(os.getloadavg()),
        "seconds": time.perf_counter() - started,
        "cv_tune_ndcg@10": grid,
        "choice": model_doc["choice"],
        "weights": dict(zip(FEATURES, fitted.weights, strict=True)),
        "intercept": fitted.intercept,
        "rule_grid_tune_out_of_fold": rule_grid,
        "rule_grid_tune_in_sample": in_sample_grid,
        "rule_in_sample_choice": {
            "threshold": in_sample_rule.threshold,
            "margin": in_sample_rule.margin,
        },
        "summary": {p: {"before": summary(before[p]), "after": summary(after[p])} for p in ordered},
        "before": before,
        "after": after,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print("cv on tune:", json.dumps(grid), "→", choice, "rule", rule)
    for p in ordered:
        b, a = result["summary"][p]["before"], result["summary"][p]["after"]
        print(
            f"{p:8} " + "  ".join(f"{k} {b[k]:.3f} → {a[k]:.3f}" for k in b),
            flush=True,
        )


if __name__ == "__main__":
    main()
