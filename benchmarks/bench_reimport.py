"""Re-importing unchanged postings embeds nothing: the numbers, over HTTP, real model.

Starts ``techmatch serve`` (default model and backend) on 127.0.0.1 with a fresh SQLite
data directory, then:

1. imports N postings (variations of the demo set, as in ``bench_matches_http.py``)
   through ``POST /api/v1/{needs,offers}/import``;
2. imports the very same files again (every row is an update with the same content);
3. imports them a third time with 10 % of the descriptions edited;
4. restarts the server (the saved index is loaded and reconciled with the database).

After each step it reads ``embedded_since_start`` from ``/health`` (texts the engine has
embedded since the process started) and times the step. Writes
``benchmarks/results/reimport.json``.

    python benchmarks/bench_reimport.py [--postings 500]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import subprocess
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
from benchmarks.machine import machine  # noqa: E402

RESULT = ROOT / "benchmarks" / "results" / "reimport.json"


def import_all(client: httpx.Client, postings: dict[str, list[dict[str, Any]]]) -> dict[str, int]:
    """Upload every kind as one JSONL file; returns summed created/updated/failed counts."""
    totals = {"created": 0, "updated": 0, "failed": 0}
    for kind, rows in postings.items():
        body = "\n".join(json.dumps(r, ensure_ascii=False) for r in rows)
        r = client.post(
            f"/api/v1/{kind}s/import",
            params={"format": "jsonl"},
            files={"file": (f"{kind}s.jsonl", body.encode("utf-8"))},
            timeout=3600,
        )
        r.raise_for_status()
        for key in totals:
            totals[key] += int(r.json()[key])
    return totals


def index_status(client: httpx.Client) -> dict[str, Any]:
    return dict(client.get("/health").json()["index"])


def stop(server: subprocess.Popen) -> None:
    server.send_signal(signal.SIGTERM)
    try:
        server.wait(timeout=120)
    except subprocess.TimeoutExpired:
        server.kill()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postings", type=int, default=500)
    parser.add_argument("--model", default="multilingual-e5-small")
    parser.add_argument("--model-cache", type=Path, default=None)
    parser.add_argument("--changed", type=float, default=0.1, help="share edited in step 3")
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--out", type=Path, default=RESULT)
    args = parser.parse_args()
    cache = args.model_cache or Path(
        os.environ.get("TECHMATCH_MODEL_CACHE", ROOT / ".cache" / "models")
    )
    rng = random.Random(args.seed)
    postings = synthesize(args.postings, 0, rng, demo_rows())
    report: dict[str, Any] = {
        "model": args.model,
        "postings": args.postings,
        "load_average_start": [round(x, 2) for x in os.getloadavg()],
        "steps": [],
    }
    headers = {"Authorization": f"Bearer {ADMIN_KEY}"}
    with tempfile.TemporaryDirectory(prefix="techmatch-reimport-") as tmp:
        port = free_port()
        server = start_server(Path(tmp), args.model, cache, port)
        base = f"http://127.0.0.1:{port}"
        try:
            with httpx.Client(base_url=base, headers=headers, timeout=600) as client:
                health = client.get("/health").json()
                report["backend"] = health["model"].get("backend")
                edited = {
                    kind: [
                        {**row, "description": row["description"] + " (cập nhật / updated)"}
                        if rng.random() < args.changed
                        else row
                        for row in rows
                    ]
                    for kind, rows in postings.items()
                }
                n_edited = sum(
                    a is not b
                    for k in postings
                    for a, b in zip(edited[k], postings[k], strict=True)
                )
                for step, data in (
                    ("first import", postings),
                    ("same file again", postings),
                    (f"again with {n_edited} descriptions edited", edited),
                ):
                    before = index_status(client)["embedded_since_start"]
                    started = time.perf_counter()
                    counts = import_all(client, data)
                    seconds = time.perf_counter() - started
                    embedded = index_status(client)["embedded_since_start"] - before
                    report["steps"].append(
                        {"step": step, **counts, "embedded": embedded, "seconds": round(seconds, 2)}
                    )
                    print(json.dumps(report["steps"][-1], ensure_ascii=False), flush=True)
        finally:
            stop(server)
        started = time.perf_counter()
        server = start_server(Path(tmp), args.model, cache, port)
        try:
            with httpx.Client(base_url=base, headers=headers) as client:
                status = index_status(client)
        finally:
            stop(server)
        report["steps"].append(
            {
                "step": "server restart",
                "rebuilt_at_start": status["rebuilt_at_start"],
                "reconciled_at_start": status["reconciled_at_start"],
                "embedded": status["embedded_since_start"],
                "seconds_to_healthy": round(time.perf_counter() - started, 2),
            }
        )
        print(json.dumps(report["steps"][-1]), flush=True)
    report["load_average_end"] = [round(x, 2) for x in os.getloadavg()]
    report["machine"] = machine(report.get("backend"))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
