"""The glossary bridge (issue 15) measured on the dev set's TUNING part only.

Indexes ``data/devset`` once (hand-set fusion, real model), takes every need × offer pair's
fusion features (:func:`benchmarks.fit_fusion.pair_table`, which reads the ``concept`` part of
:mod:`indexer.concepts`) and compares, by 5-fold cross-validation grouped by need on the
tune needs (the grid of ``fit_fusion.py``), the fitted fusion without the bridge, with
``concept``, and with ``concept`` + ``concept_cross``; then, for the fusion fitted on tune
with the chosen features, an abstention rule on top of the recommendation rule: a need whose
best offer shares no concept (``concept == 0``) and has a dense z-score below ``z`` gets no
recommendation (grid of ``z`` on tune; reciprocity from the pair table's best need per
offer). No held-out label is read.

    TECHMATCH_MODEL_CACHE=.cache/models python benchmarks/bridge_levers.py [--table T.npz]
"""

from __future__ import annotations

import argparse
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

from benchmarks.fit_fusion import (  # noqa: E402
    THRESHOLDS,
    cross_validate,
    fit_on,
    pair_table,
    scores_of,
)
from indexer.evaluation.abstention import (  # noqa: E402
    MARGINS,
    Candidates,
    RecommendRule,
    figures,
    objective,
)
from indexer.evaluation.devset import load_devset, read_split, split_parts  # noqa: E402
from indexer.fusion import FEATURES  # noqa: E402

RESULT = ROOT / "benchmarks" / "results" / "bridge_levers.json"
BRIDGE = ("concept", "concept_cross")
VARIANTS = {
    "without the bridge": [f for f in FEATURES if f not in BRIDGE],
    "+ concept": [f for f in FEATURES if f != "concept_cross"],
    "+ concept + concept_cross": list(FEATURES),
}
Z_GRID = (-99.0, 0.0, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0)


def columns(table: dict[str, Any], names: list[str]) -> dict[str, Any]:
    """The table with only the feature columns ``names``."""
    return {**table, "x": table["x"][:, [FEATURES.index(n) for n in names]]}


def candidates_of(table: dict[str, Any], scores: np.ndarray) -> Candidates:
    """The rule's input from the pair table: every need's offers with their score and
    language pair; an offer's best need is its best score over all needs."""
    cross = table["x"][:, FEATURES.index("cross_lingual")] > 0.5
    rows: dict[int, list[tuple[int, float, bool]]] = {}
    best: dict[int, float] = {}
    for need, offer, s, x in zip(table["need"], table["offer"], scores, cross, strict=True):
        rows.setdefault(int(need), []).append((int(offer), float(s), bool(x)))
        best[int(offer)] = max(best.get(int(offer), 0.0), float(s))
    for values in rows.values():
        values.sort(key=lambda r: (-r[1], r[0]))
    return Candidates(rows, best)


def abstaining(table: dict[str, Any], scores: np.ndarray, z_below: float) -> set[int]:
    """Needs whose best offer shares no concept and has a dense z-score under ``z_below``."""
    out = set()
    concept = table["x"][:, FEATURES.index("concept")]
    dense_z = table["x"][:, FEATURES.index("dense_z")]
    for need in np.unique(table["need"]):
        mask = np.flatnonzero(table["need"] == need)
        top = mask[np.argmax(scores[mask])]
        if concept[top] <= 0.0 and dense_z[top] < z_below:
            out.add(int(need))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--table", type=Path, default=None, help="cache of the pair table")
    parser.add_argument("--out", type=Path, default=RESULT)
    args = parser.parse_args()
    started, load_start = time.perf_counter(), os.getloadavg()
    devset = load_devset()
    split = read_split()
    parts = split_parts(devset, split)
    tune_needs = sorted(n for n, p in split.items() if p == "tune")
    if args.table is not None and args.table.exists():
        table = dict(np.load(args.table))
    else:
        from indexer.engine import EngineConfig, MatchEngine
        from models import load_model

        cache = Path(os.environ.get("TECHMATCH_MODEL_CACHE") or ROOT / ".cache" / "models")
        engine = MatchEngine(
            load_model("multilingual-e5-small", cache), EngineConfig(fitted_fusion=False)
        )
        engine.upsert(devset.needs + devset.offers)
        table = pair_table(engine, devset)
        if args.table is not None:
            np.savez(args.table, **table)

    cv = {
        name: cross_validate(columns(table, cols), devset, tune_needs)
        for name, cols in VARIANTS.items()
    }
    best_cv = {name: max(grid.values()) for name, grid in cv.items()}
    chosen = max(best_cv, key=lambda k: best_cv[k])
    choice = max(cv[chosen], key=lambda k: (cv[chosen][k], k))
    c, weighting = float(choice.split(",")[0].removeprefix("C=")), choice.split(",")[1]
    sub = columns(table, VARIANTS[chosen])
    tune_mask = np.isin(table["need"], tune_needs)
    model = fit_on(sub, tune_mask, c, weighting)
    scores = scores_of(model, sub, np.ones(len(table["need"]), dtype=bool))
    cands = candidates_of(table, scores)
    tune = parts["tune"]
    grid: dict[str, Any] = {}
    best: tuple[tuple[float, float], str] | None = None
    for t, m, z in itertools.product(THRESHOLDS, MARGINS, Z_GRID):
        silent = abstaining(table, scores, z) if z > -99 else set()
        rows = {n: ([] if n in silent else r) for n, r in cands.rows.items()}
        fig = figures(Candidates(rows, cands.best_need), RecommendRule(t, t, m), tune)
        key = f"t={t:.2f},m={m:.2f},z={z}"
        grid[key] = {"silent": fig["silent"], "grade2": fig["grade2"]}
        if best is None or objective(fig) > best[0]:
            best = (objective(fig), key)
    assert best is not None
    no_rule = max(
        (k for k in grid if k.endswith("z=-99.0")),
        key=lambda k: (grid[k]["silent"] + grid[k]["grade2"]) / 2,
    )
    report = {
        "benchmark": "bridge_levers",
        "command": " ".join(["python", "benchmarks/bridge_levers.py", *sys.argv[1:]]),
        "part": "tune only (cross-validated by need for the features)",
        "glossary_concepts": None,
        "cv_tune_ndcg@10": cv,
        "best_cv_tune_ndcg@10": best_cv,
        "chosen_features": chosen,
        "choice": {"C": c, "weighting": weighting},
        "abstention_best_on_tune": {"rule": best[1], **grid[best[1]]},
        "abstention_best_without_the_concept_rule": {"rule": no_rule, **grid[no_rule]},
        "load_average_start": list(load_start),
        "load_average_end": list(os.getloadavg()),
        "seconds": time.perf_counter() - started,
    }
    from vocabulary.glossary import glossary

    report["glossary_concepts"] = len(glossary())
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(json.dumps({k: v for k, v in report.items() if k != "cv_tune_ndcg@10"}, indent=2))


if __name__ == "__main__":
    main()
