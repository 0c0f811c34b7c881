"""Recommendation rules compared on the dev set's tuning part, held-out reported (issue 15).

Indexes ``data/devset`` with the real model, scores every need × offer pair with the
committed fitted fusion (``indexer/resources/fusion.json``, the engine's default ranking) and,
for the tune needs, with the out-of-fold models of its cross-validation
(:func:`benchmarks.fit_fusion.out_of_fold`). Each rule family (threshold + reciprocity
margin, same / cross-language thresholds, a top-1 gate then a lower threshold, a logit
distance to the top-1, a cap of k) has its parameters chosen on the tune needs' out-of-fold
scores by an objective (``min,mean``: :func:`indexer.evaluation.abstention.objective`;
``mean,min``: the former one); a nested cross-validation over the tune needs (5 × 5 folds,
stratified by "no good offer") says how each family + objective generalises. The held-out
figures of every row are written too (they chose nothing).

    TECHMATCH_MODEL_CACHE=.cache/models python benchmarks/abstention_rules.py --backend torch
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.fit_fusion import out_of_fold, pair_table, scores_of  # noqa: E402
from indexer.engine import EngineConfig, MatchEngine  # noqa: E402
from indexer.evaluation.abstention import Candidates, candidates_from_pairs  # noqa: E402
from indexer.evaluation.devset import DevSet, load_devset, read_split  # noqa: E402
from indexer.fusion import FEATURES, default_fusion  # noqa: E402
from indexer.recommendation import TOLERANCE  # noqa: E402

RESULT = ROOT / "benchmarks" / "results" / "abstention_rules.json"
Rule = Callable[[list[tuple[int, float, bool]], Candidates, int], list[int]]
T = tuple(round(0.30 + 0.025 * i, 3) for i in range(28))  # 0.30 … 0.975


def _logit(p: float) -> float:
    p = min(max(p, 1e-9), 1 - 1e-9)
    return math.log(p / (1 - p))


def _recip(c: Candidates, n: int, o: int, s: float, m: float) -> bool:
    return m < 0 or s >= c.best(n, o) - m - TOLERANCE


def families() -> dict[str, tuple[Callable[..., Rule], list[tuple[float, ...]]]]:
    """Rule family name → (parameters → rule, parameter grid)."""

    def threshold(t: float, m: float) -> Rule:
        return lambda r, c, n: [o for o, s, _ in r if s >= t and _recip(c, n, o, s, m)]

    def same_cross(t: float, tx: float, m: float) -> Rule:
        return lambda r, c, n: [
            o for o, s, x in r if s >= (tx if x else t) and _recip(c, n, o, s, m)
        ]

    def gate(t: float, t2: float, m: float) -> Rule:
        return lambda r, c, n: (
            [o for o, s, _ in r if s >= t2 and _recip(c, n, o, s, m)] if r and r[0][1] >= t else []
        )

    def near_top(t: float, delta: float, m: float) -> Rule:
        return lambda r, c, n: [
            o
            for o, s, _ in r
            if s >= t and _logit(s) >= _logit(r[0][1]) - delta and _recip(c, n, o, s, m)
        ]

    def cap(t: float, k: float, m: float) -> Rule:
        return lambda r, c, n: [o for o, s, _ in r if s >= t and _recip(c, n, o, s, m)][: int(k)]

    return {
        "threshold + reciprocity margin": (
            threshold,
            list(itertools.product(T, (-1.0, 0.0, 0.05, 0.1))),
        ),
        "same / cross-language thresholds + margin": (
            same_cross,
            list(itertools.product(T, T, (-1.0, 0.0, 0.1))),
        ),
        "top-1 gate, then offers >= t2": (
            gate,
            [(t, t2, m) for t in T for t2 in (0.2, 0.3, 0.5) for m in (-1.0, 0.0, 0.1) if t2 <= t],
        ),
        "threshold + within a logit delta of the top-1": (
            near_top,
            list(itertools.product(T, (0.5, 1.0, 2.0, 4.0), (-1.0, 0.0))),
        ),
        "threshold + cap k": (cap, list(itertools.product(T, (1.0, 2.0, 3.0), (-1.0, 0.0)))),
    }


OBJECTIVES: dict[str, Callable[[tuple[float, float]], tuple[float, float]]] = {
    "min,mean": lambda f: (min(f), round((f[0] + f[1]) / 2, 9)),
    "mean,min": lambda f: (round((f[0] + f[1]) / 2, 9), min(f)),
}


def counts(cands: Candidates, rule: Rule, devset: DevSet, needs: list[int]) -> list[int]:
    """[silent, no-good needs, served with a grade-2, needs with a grade-2] over ``needs``."""
    out = [0, 0, 0, 0]
    for n in needs:
        chosen = rule(cands.rows[n], cands, n)
        if "no_good_offer" in devset.tags.get(n, set()):
            out[0] += not chosen
            out[1] += 1
        elif devset.relevant(n, 2):
            out[2] += any(devset.qrels[n].get(o, 0) >= 2 for o in chosen)
            out[3] += 1
    return out


def shares(c: list[int]) -> tuple[float, float]:
    return (c[0] / c[1] if c[1] else 0.0, c[2] / c[3] if c[3] else 0.0)


def choose(
    cands: Candidates, devset: DevSet, needs: list[int], family: Any, objective: Any
) -> tuple[float, ...]:
    """The grid's parameters that maximise ``objective`` on ``needs`` (ties: grid order)."""
    make, grid = family
    best: tuple[Any, tuple[float, ...]] | None = None
    for params in grid:
        key = objective(shares(counts(cands, make(*params), devset, needs)))
        if best is None or key > best[0]:
            best = (key, params)
    assert best is not None
    return best[1]


def nested(cands: Candidates, devset: DevSet, needs: list[int], family: Any, objective: Any) -> Any:
    """Pooled silent / grade-2 of the check folds, each rule chosen on the other folds."""
    from sklearn.model_selection import StratifiedKFold

    ids = np.array(needs)
    y = np.array(["no_good_offer" in devset.tags.get(n, set()) for n in needs])
    runs = []
    for seed in range(5):
        total = np.zeros(4)
        for fit, check in StratifiedKFold(5, shuffle=True, random_state=seed).split(ids, y):
            params = choose(cands, devset, ids[fit].tolist(), family, objective)
            total += counts(cands, family[0](*params), devset, ids[check].tolist())
        runs.append(shares([int(v) for v in total]))
    return [float(np.mean([r[0] for r in runs])), float(np.mean([r[1] for r in runs]))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="multilingual-e5-small")
    parser.add_argument("--backend", default=None)
    parser.add_argument("--out", type=Path, default=RESULT)
    args = parser.parse_args()
    from benchmarks.machine import machine
    from models import load_model

    load_start, started = os.getloadavg(), time.process_time()
    cache = Path(os.environ.get("TECHMATCH_MODEL_CACHE") or ROOT / ".cache" / "models")
    model = load_model(args.model, cache, backend=args.backend)
    devset, split = load_devset(), read_split()
    tune = sorted(n for n, p in split.items() if p == "tune")
    heldout = sorted(n for n, p in split.items() if p == "heldout")
    engine = MatchEngine(model, EngineConfig(fitted_fusion=False))
    engine.upsert(devset.needs + devset.offers)
    table = pair_table(engine, devset)
    fusion = default_fusion()
    committed = json.loads((ROOT / "indexer" / "resources" / "fusion.json").read_text())
    c, weighting = float(committed["choice"]["C"]), str(committed["choice"]["weighting"])
    cross = (table["x"][:, FEATURES.index("cross_lingual")] > 0.5).tolist()
    full = scores_of(fusion, table, np.ones(len(table["need"]), dtype=bool))
    final = candidates_from_pairs(
        table["need"].tolist(), table["offer"].tolist(), full.tolist(), cross
    )
    oof = out_of_fold(table, tune, c, weighting)
    rows = []
    for (name, family), (oname, objective) in itertools.product(
        families().items(), OBJECTIVES.items()
    ):
        params = choose(oof, devset, tune, family, objective)
        rule = family[0](*params)
        row = {
            "family": name,
            "objective": oname,
            "params": list(params),
            "tune_out_of_fold": shares(counts(oof, rule, devset, tune)),
            "tune_in_sample": shares(counts(final, rule, devset, tune)),
            "heldout": shares(counts(final, rule, devset, heldout)),
            "tune_nested_cv": nested(oof, devset, tune, family, objective),
        }
        rows.append(row)
        print(
            f"{name:46} {oname:8} {str(params):24} "
            + "  ".join(
                f"{k} {row[k][0]:.2f}/{row[k][1]:.2f}"
                for k in ("tune_nested_cv", "tune_out_of_fold", "tune_in_sample", "heldout")
            ),
            flush=True,
        )
    result = {
        "benchmark": "abstention_rules",
        "command": " ".join(["python", "benchmarks/abstention_rules.py", *sys.argv[1:]]),
        "figures": "[silent, grade-2] shares",
        "machine": machine(getattr(model, "backend", None)),
        "load_average_start": list(load_start),
        "load_average_end": list(os.getloadavg()),
        "cpu_seconds": time.process_time() - started,
        "rows": rows,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
