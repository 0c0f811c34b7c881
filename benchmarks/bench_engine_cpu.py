"""CPU time of ``match()`` and ``pairs()`` on a synthetic pool (``time.process_time``).

Wall-clock medians move with whatever else runs on a shared machine; the process's own CPU
time moves much less, so this script is the one to compare two commits on a busy machine
(run it from each checkout in turn). Postings and vectors as ``bench_pairs.py``
(recombined dev-set texts, ``MixModel`` vectors from the cached base set).

    python benchmarks/bench_engine_cpu.py [--size 2000] [--matches 150] [--rounds 3]
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
from indexer.engine import MatchEngine  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=2000, help="needs and offers each")
    parser.add_argument("--matches", type=int, default=150, help="match() calls per round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--backend", default="onnx-int8", help="backend of the cached base set")
    parser.add_argument("--cache", type=Path, default=None, help="model cache directory")
    args = parser.parse_args()

    engine = MatchEngine(MixModel(base_vectors(args.backend, 500, args.cache)))
    postings = synthetic_postings(args.size, args.size)
    engine.upsert(postings)
    needs = [p.id for p in postings if p.kind == "need"][: args.matches]
    for need in needs[:20]:  # warm-up
        engine.match(need, limit=10)
    match_ms, pairs_s = [], []
    for _ in range(args.rounds):
        started = time.process_time()
        for need in needs:
            engine.match(need, limit=10)
        match_ms.append(round((time.process_time() - started) / len(needs) * 1000, 3))
        clear = getattr(engine, "clear_caches", None)  # before issue 10: a private dict
        clear() if clear else engine._best_need_cache.clear()  # type: ignore[attr-defined]
        started = time.process_time()
        engine.pairs(limit=args.size, per_need=3, per_offer=3)
        pairs_s.append(round(time.process_time() - started, 3))
    report = {
        "size": args.size,
        "match_cpu_ms": match_ms,
        "match_cpu_ms_median": statistics.median(match_ms),
        "pairs_cpu_s": pairs_s,
        "pairs_cpu_s_median": statistics.median(pairs_s),
        "load_average": [round(x, 2) for x in os.getloadavg()],
    }
    try:
        from benchmarks.machine import machine

        report["machine"] = machine(args.backend)
    except ImportError:  # an older checkout
        pass
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
