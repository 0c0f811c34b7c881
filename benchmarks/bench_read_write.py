"""Match latency while a ``pairs`` over the whole pool runs, against idle (one run).

Builds the synthetic pool of ``bench_restart.build_pool`` (N postings, random vectors,
real-vocabulary tokens), then times ``--requests`` match requests of random published
needs, one at a time, each under the matcher's read lock (``service.rwlock``):

* ``idle``: nothing else runs;
* ``during pairs``: another thread runs ``pairs(limit=5000)`` over the pool, again and
  again, under the lock as a long read (what ``Matcher.pairs`` does);
* ``during pairs, one lock``: the same, with ``pairs`` holding the lock alone (what the
  single lock before issue 16 did), for comparison.

Reports median and p99 of each and the ratio of p99 to idle's (target ≤ 3×). Both threads
share the GIL and the 2 cores, so the ratio shows what CPU contention costs once the lock
no longer makes reads wait. Writes ``benchmarks/results/read_write.json``.

    python benchmarks/bench_read_write.py [--postings 20000 --requests 200]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.bench_restart import build_pool  # noqa: E402
from benchmarks.machine import machine  # noqa: E402
from indexer.postings import Filters  # noqa: E402
from service.rwlock import ReadWriteLock  # noqa: E402


def timed(engine: Any, lock: ReadWriteLock, needs: list[int], n: int, seed: int) -> list[float]:
    rng = np.random.default_rng(seed)
    filters = Filters(statuses=frozenset({"published"}))
    out = []
    for target in rng.choice(needs, n):
        started = time.perf_counter()
        with lock.read():
            engine.match(int(target), limit=10, filters=filters)
        out.append(time.perf_counter() - started)
    return out


def summary(times: list[float]) -> dict[str, float]:
    ordered = sorted(times)
    p99 = ordered[min(len(ordered) - 1, int(round(0.99 * (len(ordered) - 1))))]
    return {
        "median_ms": round(statistics.median(times) * 1000, 1),
        "p99_ms": round(p99 * 1000, 1),
        "max_ms": round(ordered[-1] * 1000, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postings", type=int, default=20_000)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks/results/read_write.json")
    args = parser.parse_args()
    engine, postings = build_pool(args.postings)
    needs = [p.id for p in postings if p.kind == "need" and p.status == "published"]
    timed(engine, ReadWriteLock(), needs, 20, 0)  # warm the caches
    report: dict[str, Any] = {"postings": args.postings, "requests": args.requests, "runs": {}}
    lock = ReadWriteLock()
    report["runs"]["idle"] = summary(timed(engine, lock, needs, args.requests, 1))
    for name, exclusive in (("during pairs", False), ("during pairs, one lock", True)):
        stop = threading.Event()
        rounds: list[float] = []

        def pairs(
            exclusive: bool = exclusive, stop: threading.Event = stop, rounds: list[float] = rounds
        ) -> None:
            while not stop.is_set():
                started = time.perf_counter()
                with lock.write() if exclusive else lock.read(long=True):
                    engine.pairs(limit=5000, with_reasons=False)
                rounds.append(time.perf_counter() - started)
                time.sleep(0.01)

        thread = threading.Thread(target=pairs, daemon=True)
        thread.start()
        time.sleep(0.5)
        times = timed(engine, lock, needs, args.requests, 2)
        stop.set()
        thread.join()
        report["runs"][name] = {
            **summary(times),
            "pairs_rounds": len(rounds),
            "pairs_median_s": round(statistics.median(rounds), 2) if rounds else None,
        }
    idle = report["runs"]["idle"]["p99_ms"]
    for run in report["runs"].values():
        run["p99_vs_idle"] = round(run["p99_ms"] / idle, 2)
    report["machine"] = machine(None)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
