"""float16 against float32 raw vectors: does the store's storage type change any match?

Builds the engine twice over the whole dev set with the real model (texts embedded once,
the same vectors for both), once with a float32 and once with a float16 ``VectorTable``,
and compares each need's top 10: held-out nDCG@10 and how many top-10 lists (and sets) are
identical. Writes ``benchmarks/results/raw_precision.json``.

    python benchmarks/bench_raw_precision.py --cache /path/to/model-cache
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.machine import machine  # noqa: E402
from indexer.engine import MatchEngine  # noqa: E402
from indexer.evaluation.devset import load_devset, read_split  # noqa: E402
from indexer.evaluation.metrics import ndcg_at_k  # noqa: E402
from indexer.store import VectorTable  # noqa: E402
from models import load_model  # noqa: E402


class CachedModel:
    """The real model, each distinct text embedded once (both builds see equal vectors)."""

    def __init__(self, model: object) -> None:
        self.model = model
        self.name, self.dimension = model.name, model.dimension  # type: ignore[attr-defined]
        self.backend = getattr(model, "backend", "")
        self.cache: dict[str, np.ndarray] = {}

    def encode(self, texts: Sequence[str], batch_size: int = 32) -> np.ndarray:
        """Vectors of ``texts`` (new ones embedded by the real model)."""
        todo = [t for t in dict.fromkeys(texts) if t not in self.cache]
        if todo:
            vectors = self.model.encode(todo, batch_size=batch_size)  # type: ignore[attr-defined]
            self.cache.update(zip(todo, vectors, strict=True))
        return np.stack([self.cache[t] for t in texts])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cache", type=Path, default=os.environ.get("TECHMATCH_MODEL_CACHE"))
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks/results/raw_precision.json")
    args = parser.parse_args()
    model = CachedModel(load_model(cache_dir=args.cache))
    devset, split = load_devset(), read_split()
    report: dict[str, object] = {"load_average_before": [round(x, 2) for x in os.getloadavg()]}
    ranked: dict[str, dict[int, list[int]]] = {}
    for dtype in (np.float32, np.float16):
        engine = MatchEngine(model)
        engine.store.raw = VectorTable(engine.dimension, dtype)
        engine.upsert(devset.needs + devset.offers)
        top = {n.id: [m.offer_id for m in engine.match(n.id)][:10] for n in devset.needs}
        ranked[dtype.__name__] = top
        held = [i for i in top if split.get(i) == "heldout"]
        scores = [ndcg_at_k(top[i], devset.qrels.get(i, {}), 10) for i in held]
        ndcg = round(float(np.mean(scores)), 4)
        report[dtype.__name__] = {"heldout_ndcg10": ndcg, "needs": len(held)}
    a, b = ranked["float32"], ranked["float16"]
    report["identical_top10_lists"] = f"{sum(a[k] == b[k] for k in a)}/{len(a)}"
    report["identical_top10_sets"] = f"{sum(set(a[k]) == set(b[k]) for k in a)}/{len(a)}"
    report["machine"] = machine(model.backend or None)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
