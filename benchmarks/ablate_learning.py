"""Which score parts carry the learned ranking's gain (issue 17): forced held-out gain with
groups of parts taken away.

The same halves and simulated decisions as ``bench_learning.py`` (``--suggest`` 20, grade 1
accepted); for each group, its parts are set to 0 in the decisions (a constant part gets
weight 0 in the correction, so only the built-in ranking still reads it; the offer decision
features are left out by fitting without decisions for them), the correction is
fitted (:func:`indexer.learned.fit`) and always applied; the figure is the held-out half's
nDCG@10 with it minus without it, median over the seeds. No switch rule: this is about
signal, not about the decision.

    TECHMATCH_MODEL_CACHE=/work/main/.cache/models python benchmarks/ablate_learning.py \\
        --backend torch [--fusion handset|fitted] [--pool all|heldout] [--seeds 5] \\
        [--vectors /tmp/vectors.npz]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.bench_learning import (  # noqa: E402
    decisions,
    dev_engine,
    held_out_ndcg,
    pool_needs,
)
from indexer.engine import fitted_fusion_of  # noqa: E402
from indexer.learned import FEATURES, PARTS, Sample, base_of, fit  # noqa: E402
from indexer.offer_decisions import OFFER_PARTS  # noqa: E402

#: groups of parts taken away (the built-in score "fusion" is always kept; the offer
#: decision features, :data:`OFFER_PARTS`, are taken away together). Against the fitted
#: fusion, a group must keep a part the fusion's logit reads (here ``concept``): with all
#: of them at 0 the base logit is constant in the decisions, its scale is not identified,
#: and the forced ranking collapses (-0.90, whatever else is kept)
GROUPS: dict[str, tuple[str, ...]] = {
    "all parts": (),
    "no offer decisions": OFFER_PARTS,
    "no concept": ("concept", "concept_cross"),
    "no reciprocal": ("reciprocal",),
    "no lexical": ("lexical", "lexical_used"),
    "no field/sector/trl": ("field", "sector", "sector_known", "trl", "trl_known"),
    "no dense": ("dense", "dense_z", "offer_z"),
    "fusion + concept only": tuple(
        f for f in FEATURES if f not in ("fusion", "concept", "concept_cross")
    ),
    "fusion + concept + offer decisions": tuple(
        f for f in PARTS if f not in ("fusion", "concept", "concept_cross")
    ),
}


def without(samples: list[Sample], parts: tuple[str, ...]) -> list[Sample]:
    """``samples`` with ``parts`` set to 0."""
    drop = {PARTS.index(p) for p in parts if p in PARTS}
    return [
        Sample(
            s.need_id,
            s.offer_id,
            tuple(0.0 if i in drop else v for i, v in enumerate(s.features)),
            s.label,
            s.gain,
        )
        for s in samples
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--fusion", choices=("handset", "fitted"), default="handset")
    parser.add_argument("--pool", choices=("heldout", "all"), default="all")
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--backend", default="torch")
    parser.add_argument("--vectors", type=Path, default=None)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()

    devset, engine = dev_engine(args.backend, args.vectors, args.fusion == "fitted")
    need_ids = pool_needs(devset, args.pool)
    base = base_of(fitted_fusion_of(engine.config))
    gains: dict[str, list[float]] = {name: [] for name in GROUPS}
    for seed in range(args.seeds):
        order = np.random.default_rng(seed).permutation(need_ids).tolist()
        tune, held_out = sorted(order[: len(order) // 2]), sorted(order[len(order) // 2 :])
        real = decisions(engine, devset, tune, 20, "accept")
        engine.set_rescore(None)
        before = held_out_ndcg(engine, devset, held_out)
        for name, parts in GROUPS.items():
            offers = not set(OFFER_PARTS) <= set(parts)
            learned = fit(without(real, parts), base, offers=offers)
            engine.set_rescore(learned.rescore)
            gains[name].append(held_out_ndcg(engine, devset, held_out) - before)
            engine.set_rescore(None)
        print(seed, {k: round(v[-1], 4) for k, v in gains.items()}, flush=True)
    summary = {k: statistics.median(v) for k, v in gains.items()}
    result = {"fusion": args.fusion, "pool": args.pool, "seeds": args.seeds}
    result |= {"median_forced_gain": summary, "per_seed": gains, "load": os.getloadavg()}
    if args.out is not None:
        args.out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()
