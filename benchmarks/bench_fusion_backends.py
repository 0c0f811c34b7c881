"""Held-out figures of the committed fitted fusion per embedding backend (int8 / bf16 vs fp32).

Indexes the dev set once per backend named on the command line with the default engine and
prints / writes its held-out figures (``benchmarks/fit_fusion.py``'s ``measure``) and the
hand-set score's nDCG@10 on the same index to ``benchmarks/results/fusion_backends.json``:

    python benchmarks/bench_fusion_backends.py torch onnx-int8 torch-bf16
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.fit_fusion import measure, summary  # noqa: E402
from indexer.engine import EngineConfig, MatchEngine  # noqa: E402
from indexer.evaluation.devset import load_devset, read_split, split_parts  # noqa: E402
from models import load_model  # noqa: E402


def main() -> None:
    cache = Path(os.environ.get("TECHMATCH_MODEL_CACHE") or ROOT / ".cache" / "models")
    devset = load_devset()
    held_out = {"heldout": split_parts(devset, read_split())["heldout"]}
    out: dict[str, Any] = {}
    for backend in sys.argv[1:]:
        started = time.perf_counter()
        model = load_model("multilingual-e5-small", cache, backend=backend)
        engine = MatchEngine(model, EngineConfig())
        engine.upsert(devset.needs + devset.offers)
        fitted = summary(measure(engine, devset, held_out)["heldout"])
        engine.set_rescore(lambda n, o, p: p["fusion"])  # the hand-set score on this index
        handset = summary(measure(engine, devset, held_out)["heldout"])["ndcg@10"]
        out[backend] = {
            "fitted": fitted,
            "hand_set_ndcg@10": handset,
            "seconds": time.perf_counter() - started,
            "load_average": list(os.getloadavg()),
        }
        print(backend, json.dumps(out[backend]), flush=True)
        path = ROOT / "benchmarks" / "results" / "fusion_backends.json"
        path.write_text(json.dumps(out, indent=2) + "\n", encoding="utf-8")  # after each


if __name__ == "__main__":
    main()
