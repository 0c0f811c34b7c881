"""How much could the fair's own labels add at all? A bound for learning (issue 17).

``bench_learning.py`` learns from *decisions* (each decided need's top 20 suggestions).
This probe gives the learner far more: every pair of the decided half's needs with its
true grade — the whole ``qrels.tsv`` row set a fusion is fitted on — and refits the
fusion on it (``benchmarks/fit_fusion.py``'s ``fit_on``, grade-2 pairs weighing 3, each L2
strength of its grid reported, nothing chosen on the checked half), alone and pooled with
the built-in fusion's own training needs. Then the other half's nDCG@10 is compared with
the built-in ranking's, over the same random halves as ``bench_learning.py`` (same seeds).
If even these refits do not beat the built-in ranking, decisions on the same kind of
postings cannot either: the score parts hold no more than it already takes from them.

Settings (as ``bench_learning.py``):

* ``--setting default``: the shipped fusion, fitted on the tune part; halves of the held-out
  part's needs; "pooled" = tune needs + the decided half.
* ``--setting round1`` / ``round2``: the fusion fitted on that round of the dev set only
  (:mod:`benchmarks.earlier_fair`); halves of the other round's needs.

    TECHMATCH_MODEL_CACHE=.cache/models python benchmarks/probe_refit_bound.py \\
        --setting default|round1|round2 [--seeds 10] [--vectors /tmp/v.npz] [--out F]

An upper bound probe, not a result of the service: it reads labels a fair never has.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.bench_learning import dev_engine, pool_needs  # noqa: E402
from benchmarks.earlier_fair import earlier_fair_fusion, fair_needs  # noqa: E402
from benchmarks.fit_fusion import C_GRID, fit_on, mean_ndcg, pair_table, scores_of  # noqa: E402
from benchmarks.machine import machine  # noqa: E402
from indexer.evaluation.devset import read_split  # noqa: E402
from indexer.fusion import default_fusion  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--setting", choices=("default", "round1", "round2"), default="default")
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--backend", default="torch")
    parser.add_argument("--vectors", type=Path, default=None)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()

    devset, engine = dev_engine(args.backend, args.vectors, False)
    table = pair_table(engine, devset)  # the parts do not depend on the fitted fusion
    every = np.ones(len(table["need"]), dtype=bool)
    if args.setting == "default":
        builtin = default_fusion()
        trained = sorted(n for n, p in read_split().items() if p == "tune")
        need_ids = pool_needs(devset, "heldout")
    else:
        earlier = int(args.setting[-1])
        builtin, _ = earlier_fair_fusion(engine.model, devset, earlier)
        need_ids = fair_needs(devset, earlier)
        trained = sorted({n.id for n in devset.needs} - set(need_ids))
    builtin_scores = scores_of(builtin, table, every)

    runs: list[dict[str, Any]] = []
    for seed in range(args.seeds):
        order = np.random.default_rng(seed).permutation(need_ids).tolist()
        decided, held_out = sorted(order[: len(order) // 2]), sorted(order[len(order) // 2 :])
        row: dict[str, Any] = {
            "seed": seed,
            "built_in": mean_ndcg(table, builtin_scores, devset, held_out),
        }
        for c in C_GRID:
            refit = fit_on(table, np.isin(table["need"], decided), c, "gain")
            row[f"refit C={c}"] = mean_ndcg(table, scores_of(refit, table, every), devset, held_out)
        pooled = fit_on(table, np.isin(table["need"], trained + decided), 1.0, "gain")
        row["pooled C=1.0"] = mean_ndcg(table, scores_of(pooled, table, every), devset, held_out)
        runs.append(row)
        print(
            " ".join(f"{k} {v:.3f}" if isinstance(v, float) else f"{k} {v}" for k, v in row.items())
        )

    keys = [k for k in runs[0] if k != "seed"]
    summary = {
        k: {
            "median": statistics.median(r[k] for r in runs),
            "median_gain": statistics.median(r[k] - r["built_in"] for r in runs),
            "max_gain": max(r[k] - r["built_in"] for r in runs),
        }
        for k in keys
    }
    for k, v in summary.items():
        print(
            f"{k:14} median {v['median']:.3f}  gain median {v['median_gain']:+.3f}"
            f"  max {v['max_gain']:+.3f}"
        )
    if args.out is not None:
        result = {
            "benchmark": "refit_bound",
            "command": " ".join(["python", "benchmarks/probe_refit_bound.py", *sys.argv[1:]]),
            "setting": args.setting,
            "load_before": os.getloadavg(),
            "machine": machine(args.backend),
            "summary": summary,
            "runs": runs,
        }
        args.out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
