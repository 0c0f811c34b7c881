"""CPU and latency of a match request with numpy's BLAS and OpenMP on 1 thread against 2.

Why ``TECHMATCH_BLAS_THREADS`` defaults to 1 (``service/core/threads.py``): builds the app
in process (SQLite, ``--postings`` realistic bilingual postings through the import API),
then times ``Matcher.matches`` (the engine's work of ``/needs/{id}/matches``) in phases that
alternate between thread settings in one run, one fresh process per phase (OpenBLAS and
OpenMP size their pools when they load), so the shared machine's load falls on every
setting alike. Records CPU seconds of
the whole process (every thread) per request, wall-clock p50/p99, CPU and load average.

    python benchmarks/bench_worker_threads.py --postings 1000 --requests 150 --rounds 3
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.bench_matches_http import demo_rows, load, synthesize  # noqa: E402
from benchmarks.machine import machine  # noqa: E402

#: name -> (TECHMATCH_BLAS_THREADS, TECHMATCH_WORKER_THREADS), set before the process starts:
#: OpenBLAS (FAISS's own copy too) and OpenMP read their thread counts when they load.
SETTINGS = {"blas 1, openmp 2 (default, 1 worker)": (1, 2), "blas 2, openmp 2": (2, 2)}
SETTINGS["blas 1, openmp 1 (default, 2 workers)"] = (1, 1)


def phase(matcher: Any, ids: list[int], requests: int, seed: int) -> dict[str, float]:
    """``requests`` match calls back to back: CPU ms per call (all threads), p50/p99 ms."""
    rng = random.Random(seed)
    times = []
    cpu = time.process_time()
    for _ in range(requests):
        started = time.perf_counter()
        matcher.matches(rng.choice(ids), limit=10)
        times.append(1000 * (time.perf_counter() - started))
    cpu = time.process_time() - cpu
    times.sort()
    return {
        "cpu_ms": 1000 * cpu / requests,
        "p50_ms": statistics.median(times),
        "p99_ms": times[min(len(times) - 1, int(0.99 * len(times)))],
    }


def child(data: Path, requests: int, seed: int) -> None:
    """One phase in this process (its thread settings came with the environment)."""
    from fastapi.testclient import TestClient

    from service.core.config import Settings
    from service.main import create_app

    app = create_app(Settings())
    with TestClient(app):
        ids = [int(x) for x in (data / "bench_need_ids.txt").read_text().split()]
        phase(app.state.matcher, ids, 20, 0)  # warm-up
        print(json.dumps(phase(app.state.matcher, ids, requests, seed)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postings", type=int, default=1000)
    parser.add_argument("--requests", type=int, default=150, help="per phase")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--data-dir", type=Path, default=None, help="reuse a loaded pool")
    parser.add_argument("--child", type=int, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks/results/worker_threads.json")
    args = parser.parse_args()
    data = args.data_dir or Path(tempfile.mkdtemp(prefix="bench-threads-"))
    os.environ.update(
        TECHMATCH_DATA_DIR=str(data),
        TECHMATCH_MODEL="hashing",
        TECHMATCH_ADMIN_KEY="bench-worker-threads-key",
        TECHMATCH_MAX_POSTINGS_PER_ORGANIZATION="0",
        TECHMATCH_IMPORT_SYNC_ROWS=str(max(500, args.postings)),
        TECHMATCH_INDEX_SAVE_DELAY="-1",
    )
    if args.child is not None:
        child(data, args.requests, args.child)
        return
    if not (data / "bench_need_ids.txt").exists():
        load_pool(data, args.postings)
    load_average = [os.getloadavg()]
    runs: dict[str, list[dict[str, float]]] = {name: [] for name in SETTINGS}
    for r in range(args.rounds):
        for name, (blas, omp) in SETTINGS.items():
            env = {
                **{k: v for k, v in os.environ.items() if not k.endswith("_NUM_THREADS")},
                "TECHMATCH_BLAS_THREADS": str(blas),
                "TECHMATCH_WORKER_THREADS": str(omp),
            }
            command = [sys.executable, __file__, "--data-dir", str(data)]
            command += ["--requests", str(args.requests), "--child", str(r)]
            done = subprocess.run(command, env=env, capture_output=True, text=True, check=True)
            runs[name].append(json.loads(done.stdout.strip().splitlines()[-1]))
            print(name, runs[name][-1], flush=True)
        load_average.append(os.getloadavg())
    result = {
        "benchmark": "bench_worker_threads",
        "command": " ".join([Path(sys.executable).name, *sys.argv]),
        "postings": args.postings,
        "requests_per_phase": args.requests,
        "rounds": args.rounds,
        "machine": machine(),
        "load_average": [[round(x, 2) for x in la] for la in load_average],
        "settings": {
            name: {
                key: round(statistics.median(p[key] for p in phases), 2)
                for key in ("cpu_ms", "p50_ms", "p99_ms")
            }
            | {"cpu_ms_by_round": [round(p["cpu_ms"], 2) for p in phases]}
            for name, phases in runs.items()
        },
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n", "utf-8")
    print(json.dumps(result["settings"], indent=1))


def load_pool(data: Path, postings: int) -> None:
    """``postings`` synthetic postings into the SQLite database in ``data``."""
    from fastapi.testclient import TestClient

    from service.core.config import Settings
    from service.main import create_app

    headers = {"Authorization": "Bearer bench-worker-threads-key"}
    with TestClient(create_app(Settings()), headers=headers) as client:
        rows = synthesize(postings, 0, random.Random(7), demo_rows())
        ids = load(client, rows)  # type: ignore[arg-type]  # TestClient is an httpx.Client
        (data / "bench_need_ids.txt").write_text(" ".join(map(str, ids)))


if __name__ == "__main__":
    main()
