"""FAISS exact search: one thread vs OpenMP's default, per-query loop vs BLAS path.

Why ``indexer/ann.py`` searches small batches on one thread and sets FAISS's BLAS
threshold to 4 queries: times ``IndexFlatIP`` top-``k`` searches of 1 and 10 queries over
N random 384-dimensional vectors, with 1 and 2 threads, under both thresholds, optionally
while another process keeps one core busy (``--busy``, as a web server's other work
does). Writes ``benchmarks/results/faiss_threads.json``.

    python benchmarks/bench_faiss_threads.py [--vectors 50000] [--busy]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import sys
import time
from pathlib import Path

import faiss
import numpy as np

RESULT = Path(__file__).resolve().parent / "results" / "faiss_threads.json"


def _spin(seconds: float) -> None:
    end = time.time() + seconds
    while time.time() < end:
        pass


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--vectors", type=int, default=50_000)
    parser.add_argument("--k", type=int, default=100)
    parser.add_argument("--repeats", type=int, default=50)
    parser.add_argument("--busy", action="store_true", help="keep one core busy meanwhile")
    parser.add_argument("--out", type=Path, default=RESULT)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    x = rng.normal(size=(args.vectors, 384)).astype(np.float32)
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    index = faiss.IndexIDMap2(faiss.IndexFlatIP(384))
    index.add_with_ids(x, np.arange(args.vectors, dtype=np.int64))
    queries = x[:10].copy()
    busy = None
    if args.busy:
        busy = multiprocessing.Process(target=_spin, args=(3600,), daemon=True)
        busy.start()
    rows = []
    try:
        for threshold in (20, 4):  # FAISS's default, ours
            faiss.cvar.distance_compute_blas_threshold = threshold
            for threads in (1, 2):
                faiss.omp_set_num_threads(threads)
                for nq in (1, 10):
                    times = []
                    for _ in range(args.repeats):
                        started = time.perf_counter()
                        index.search(queries[:nq], args.k)
                        times.append((time.perf_counter() - started) * 1000)
                    rows.append(
                        {
                            "blas_threshold": threshold,
                            "threads": threads,
                            "queries": nq,
                            "p50_ms": round(float(np.median(times)), 2),
                            "p99_ms": round(float(np.percentile(times, 99)), 2),
                        }
                    )
                    print(json.dumps(rows[-1]), flush=True)
    finally:
        if busy is not None:
            busy.terminate()
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from benchmarks.machine import machine

    report = {
        "machine": machine(None),
        "vectors": args.vectors,
        "k": args.k,
        "busy_core": args.busy,
        "load_average": [round(v, 2) for v in os.getloadavg()],
        "rows": rows,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")


if __name__ == "__main__":
    main()
