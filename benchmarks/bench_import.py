"""Import time of N real-ish postings through the service's import path, per backend.

For each backend (``--backends``, default the old default ``onnx-int8`` and ``auto``)
starts ``techmatch serve`` on 127.0.0.1 with a fresh SQLite data directory and
``TECHMATCH_MODEL_BACKEND`` set, then imports N postings — variations of the demo set
(``service/demo``: Vietnamese and English needs and offers, re-combined sentences, as in
``bench_matches_http.py``) — through ``POST /api/v1/{needs,offers}/import`` in JSONL files
of ``--chunk`` rows (answered at once: the server runs with
``TECHMATCH_IMPORT_SYNC_ROWS=--chunk``). Every row is parsed, stored, embedded and indexed.
By default all servers run at once and the chunks are interleaved — chunk 1 to every
server in turn, then chunk 2, … — so that load from other processes hits every backend
alike (``--sequential``: one server after the other). Reports seconds (the sum of a
backend's chunk times), postings/s, texts embedded and the backend (and the auto
selection) from ``/health``, with the CPU it ran on. Writes
``benchmarks/results/import.json``.

    python benchmarks/bench_import.py [--postings 10000] [--backends onnx-int8,auto]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.bench_matches_http import (  # noqa: E402
    ADMIN_KEY,
    demo_rows,
    free_port,
    start_server,
    synthesize,
)
from benchmarks.bench_reimport import stop  # noqa: E402
from benchmarks.machine import machine  # noqa: E402

RESULT = ROOT / "benchmarks" / "results" / "import.json"


COUNTS = ("created", "updated", "failed")


def chunks(
    postings: dict[str, list[dict[str, Any]]], chunk: int
) -> list[tuple[str, list[dict[str, Any]]]]:
    """The import requests: (kind, rows) of at most ``chunk`` rows, needs first."""
    return [
        (kind, rows[first : first + chunk])
        for kind, rows in postings.items()
        for first in range(0, len(rows), chunk)
    ]


def post_chunk(client: httpx.Client, kind: str, rows: list[dict[str, Any]]) -> dict[str, int]:
    """Upload ``rows`` as one JSONL file; the created/updated/failed counts."""
    body = "\n".join(json.dumps(r, ensure_ascii=False) for r in rows)
    r = client.post(
        f"/api/v1/{kind}s/import",
        params={"format": "jsonl"},
        files={"file": (f"{kind}s.jsonl", body.encode("utf-8"))},
        timeout=3600,
    )
    r.raise_for_status()
    return {key: int(r.json()[key]) for key in COUNTS}


def import_chunks(
    client: httpx.Client, postings: dict[str, list[dict[str, Any]]], chunk: int
) -> dict[str, int]:
    """Upload every kind in JSONL files of ``chunk`` rows; summed created/updated/failed."""
    totals = dict.fromkeys(COUNTS, 0)
    for kind, rows in chunks(postings, chunk):
        for key, value in post_chunk(client, kind, rows).items():
            totals[key] += value
    return totals


def run_interleaved(
    backends: list[str],
    postings: dict[str, list[dict[str, Any]]],
    cache: Path,
    chunk: int,
    model: str,
) -> list[dict[str, Any]]:
    """One server per backend, all running; every chunk goes to each server in turn."""
    os.environ["TECHMATCH_IMPORT_SYNC_ROWS"] = str(chunk)
    headers = {"Authorization": f"Bearer {ADMIN_KEY}"}
    n = sum(len(rows) for rows in postings.values())
    with tempfile.TemporaryDirectory(prefix="techmatch-import-") as tmp:
        servers: dict[str, Any] = {}
        rows_out: dict[str, dict[str, Any]] = {}
        clients: dict[str, httpx.Client] = {}
        try:
            for backend in backends:
                os.environ["TECHMATCH_MODEL_BACKEND"] = backend
                port = free_port()
                started = time.perf_counter()
                (Path(tmp) / backend).mkdir()
                servers[backend] = start_server(Path(tmp) / backend, model, cache, port)
                clients[backend] = httpx.Client(
                    base_url=f"http://127.0.0.1:{port}", headers=headers, timeout=3600
                )
                health = clients[backend].get("/health").json()["model"]
                rows_out[backend] = {
                    "requested_backend": backend,
                    "backend": health.get("backend"),
                    "selection": health.get("selection"),
                    "server_start_s": round(time.perf_counter() - started, 1),
                    **dict.fromkeys(COUNTS, 0),
                    "seconds": 0.0,
                    "load_average_start": [round(x, 2) for x in os.getloadavg()],
                }
            for kind, rows in chunks(postings, chunk):
                for backend, client in clients.items():
                    started = time.perf_counter()
                    counts = post_chunk(client, kind, rows)
                    rows_out[backend]["seconds"] += time.perf_counter() - started
                    for key, value in counts.items():
                        rows_out[backend][key] += value
                print(f"{kind} chunk done: {_progress(rows_out)}", file=sys.stderr, flush=True)
            for backend, client in clients.items():
                row = rows_out[backend]
                row["embedded"] = client.get("/health").json()["index"]["embedded_since_start"]
                row["seconds"] = round(row["seconds"], 1)
                row["postings_per_s"] = round(n / row["seconds"], 1)
                row["load_average_end"] = [round(x, 2) for x in os.getloadavg()]
                row["machine"] = machine(row["backend"])
        finally:
            for client in clients.values():
                client.close()
            for server in servers.values():
                stop(server)
    return list(rows_out.values())


def _progress(rows: dict[str, dict[str, Any]]) -> str:
    return ", ".join(
        f"{b} {r['created'] + r['updated']} in {r['seconds']:.0f} s" for b, r in rows.items()
    )


def run_backend(
    backend: str, postings: dict[str, list[dict[str, Any]]], cache: Path, chunk: int, model: str
) -> dict[str, Any]:
    """Start a server on ``backend``, import ``postings``, return the figures."""
    os.environ["TECHMATCH_MODEL_BACKEND"] = backend
    os.environ["TECHMATCH_IMPORT_SYNC_ROWS"] = str(chunk)
    headers = {"Authorization": f"Bearer {ADMIN_KEY}"}
    with tempfile.TemporaryDirectory(prefix="techmatch-import-") as tmp:
        port = free_port()
        started = time.perf_counter()
        server = start_server(Path(tmp), model, cache, port)
        start_s = time.perf_counter() - started
        try:
            with httpx.Client(
                base_url=f"http://127.0.0.1:{port}", headers=headers, timeout=3600
            ) as client:
                health = client.get("/health").json()["model"]
                load_start = [round(x, 2) for x in os.getloadavg()]
                started = time.perf_counter()
                counts = import_chunks(client, postings, chunk)
                seconds = time.perf_counter() - started
                embedded = client.get("/health").json()["index"]["embedded_since_start"]
        finally:
            stop(server)
    n = sum(len(rows) for rows in postings.values())
    return {
        "requested_backend": backend,
        "backend": health.get("backend"),
        "selection": health.get("selection"),
        "server_start_s": round(start_s, 1),
        **counts,
        "embedded": embedded,
        "seconds": round(seconds, 1),
        "postings_per_s": round(n / seconds, 1),
        "load_average_start": load_start,
        "load_average_end": [round(x, 2) for x in os.getloadavg()],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postings", type=int, default=10000)
    parser.add_argument("--backends", default="onnx-int8,auto")
    parser.add_argument("--chunk", type=int, default=1000, help="rows per import request")
    parser.add_argument("--model", default="multilingual-e5-small")
    parser.add_argument("--model-cache", type=Path, default=None)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", type=Path, default=RESULT)
    parser.add_argument(
        "--sequential", action="store_true", help="one server after the other, not interleaved"
    )
    args = parser.parse_args()
    # A SIGTERM (a killed run) unwinds like Ctrl-C, so the servers are stopped and their
    # temporary data directories removed by the ``finally`` blocks.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    cache = args.model_cache or Path(
        os.environ.get("TECHMATCH_MODEL_CACHE", ROOT / ".cache" / "models")
    )
    postings = synthesize(args.postings, 0, random.Random(args.seed), demo_rows())
    report: dict[str, Any] = {
        "postings": args.postings,
        "chunk": args.chunk,
        "model": args.model,
        "interleaved": not args.sequential,
        "runs": [],
    }
    if not args.sequential:
        report["runs"] = run_interleaved(
            args.backends.split(","), postings, cache, args.chunk, args.model
        )
        for row in report["runs"]:
            print(json.dumps({k: v for k, v in row.items() if k not in ("selection", "machine")}))
        report["machine"] = machine(None)
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
        return
    for backend in args.backends.split(","):
        row = run_backend(backend, postings, cache, args.chunk, args.model)
        report["runs"].append(row)
        print(json.dumps({k: v for k, v in row.items() if k != "selection"}), flush=True)
        report["machine"] = machine(row["backend"])
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
