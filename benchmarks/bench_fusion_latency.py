"""CPU time of ``match()`` with the fitted fusion on and off, interleaved on one pool.

The pool and vectors are ``bench_engine_cpu.py``'s (recombined dev-set texts, ``MixModel``
vectors from the cached base set). Each round times ``--matches`` calls with the hand-set
fusion, then with the fitted one (``indexer.fusion``), the engine's caches cleared before
each (a fresh pool state: the fitted fusion's ``reciprocal`` part is computed then), so
the two are compared under the same machine load (``time.process_time``); a third mode
ranks with the fitted fusion but without the glossary ``concept`` part
(:mod:`indexer.concepts`, the scorer's ``concepts`` hook off), its cost on its own.

    python benchmarks/bench_fusion_latency.py [--size 5000] [--matches 100] [--rounds 3]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.bench_index_scale import base_vectors  # noqa: E402
from benchmarks.bench_pairs import MixModel, synthetic_postings  # noqa: E402
from benchmarks.machine import machine  # noqa: E402
from indexer.engine import MatchEngine  # noqa: E402
from indexer.fusion import default_fusion  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=5000, help="needs and offers each")
    parser.add_argument("--matches", type=int, default=100, help="match() calls per round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--backend", default="onnx", help="backend of the cached base set")
    parser.add_argument("--cache", type=Path, default=None, help="model cache directory")
    parser.add_argument("--out", type=Path, default=None, help="also write JSON here")
    args = parser.parse_args()

    engine = MatchEngine(MixModel(base_vectors(args.backend, 500, args.cache)))
    postings = synthetic_postings(args.size, args.size)
    engine.upsert(postings)
    needs = [p.id for p in postings if p.kind == "need"][: args.matches]
    times: dict[str, list[float]] = {"hand-set": [], "fitted, no concept part": [], "fitted": []}
    concepts = engine.ranker.scorer.concepts
    for need in needs[:20]:  # warm-up
        engine.match(need, limit=10)
    for _ in range(args.rounds):
        for mode in times:
            engine.fitted = default_fusion() if mode.startswith("fitted") else None
            engine.set_rescore(None)
            engine.ranker.scorer.concepts = concepts if mode == "fitted" else None
            engine.clear_caches()
            started = time.process_time()
            for need in needs:
                engine.match(need, limit=10)
            times[mode].append(round((time.process_time() - started) / len(needs) * 1000, 3))
    medians = {mode: statistics.median(values) for mode, values in times.items()}
    report = {
        "postings": 2 * args.size,
        "match_cpu_ms": times,
        "match_cpu_ms_median": medians,
        "ratio_fitted_to_hand_set": round(medians["fitted"] / medians["hand-set"], 3),
        "ratio_concept_part_on_to_off": round(
            medians["fitted"] / medians["fitted, no concept part"], 3
        ),
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "machine": machine(args.backend),
    }
    print(json.dumps(report, indent=2))
    if args.out:
        args.out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
