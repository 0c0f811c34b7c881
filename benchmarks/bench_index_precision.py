"""float16 against float32 vector index: does FlatIndex's storage type change any match?

Builds the engine twice over the whole dev set with the real model (texts embedded once,
the same vectors for both): once with a float32 ``IndexFlatIP`` and corrected vectors as
computed (what the engine did before), once with the default float16 index
(``indexer.ann.INDEX_DTYPE``: corrected vectors rounded to float16, a FAISS
``IndexScalarQuantizer`` ``QT_fp16``), and compares each need's top 10: held-out nDCG@10,
how many top-10 lists and sets are identical, and the largest score difference of a
pair both lists hold. Writes ``benchmarks/results/index_precision.json``.

    python benchmarks/bench_index_precision.py --cache /path/to/model-cache
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import indexer.ann as ann  # noqa: E402
from benchmarks.bench_raw_precision import CachedModel  # noqa: E402
from benchmarks.machine import machine  # noqa: E402
from indexer.engine import MatchEngine  # noqa: E402
from indexer.evaluation.devset import load_devset, read_split  # noqa: E402
from indexer.evaluation.metrics import ndcg_at_k  # noqa: E402
from models import load_model  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cache", type=Path, default=os.environ.get("TECHMATCH_MODEL_CACHE"))
    parser.add_argument(
        "--out", type=Path, default=ROOT / "benchmarks/results/index_precision.json"
    )
    args = parser.parse_args()
    model = CachedModel(load_model(cache_dir=args.cache))
    devset, split = load_devset(), read_split()
    report: dict[str, object] = {"load_average_before": [round(x, 2) for x in os.getloadavg()]}
    ranked: dict[str, dict[int, dict[int, float]]] = {}
    default = ann.INDEX_DTYPE
    try:
        for dtype in (np.float32, np.float16):
            ann.INDEX_DTYPE = dtype
            engine = MatchEngine(model)
            engine.upsert(devset.needs + devset.offers)
            top = {
                n.id: {m.offer_id: m.score for m in engine.match(n.id)[:10]} for n in devset.needs
            }
            ranked[dtype.__name__] = top
            held = [i for i in top if split.get(i) == "heldout"]
            scores = [ndcg_at_k(list(top[i]), devset.qrels.get(i, {}), 10) for i in held]
            ndcg = round(float(np.mean(scores)), 4)
            report[dtype.__name__] = {"heldout_ndcg10": ndcg, "needs": len(held)}
    finally:
        ann.INDEX_DTYPE = default
    a, b = ranked["float32"], ranked["float16"]
    report["identical_top10_lists"] = f"{sum(list(a[k]) == list(b[k]) for k in a)}/{len(a)}"
    report["identical_top10_sets"] = f"{sum(set(a[k]) == set(b[k]) for k in a)}/{len(a)}"
    report["max_score_difference"] = float(
        max((abs(a[k][o] - b[k][o]) for k in a for o in a[k] if o in b[k]), default=0.0)
    )
    report["machine"] = machine(model.backend or None)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
