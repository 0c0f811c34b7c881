"""Latency of ``GET /api/v1/needs/{id}/matches`` over HTTP for pools of N postings.

Starts ``techmatch serve`` on 127.0.0.1 (a random free port, a fresh data directory on
SQLite), loads N realistic bilingual postings through the import API, then times a
bounded number of match requests and reports median, p90 and p99 latency. Pools grow
in steps: the postings of the first size stay in the pool of the next.

The postings are variations of the demo data set (``service/demo``): same sectors,
languages, lengths and vocabulary, re-combined so that titles and texts differ.

    python benchmarks/bench_matches_http.py                          # hashing model, 1k and 10k
    python benchmarks/bench_matches_http.py --model multilingual-e5-small --sizes 1000

Models: ``hashing`` (256 dimensions, no semantics, fast to embed; the default),
``synthetic-mix`` (the server runs ``benchmarks/serve_synthetic.py``: 384-dimensional
mixes of real multilingual-e5-small embeddings, so that 100k postings load in minutes
while the index, scoring and recommendation work is that of the real model), or a real
model name (``multilingual-e5-small``: 100k postings would take hours to embed here).
The match path never embeds (vectors are stored at write time), so its latency does not
depend on the embedding backend. Which model ran is printed with the results, with the
server's peak resident memory (``VmHWM``).

    python benchmarks/bench_matches_http.py --model synthetic-mix --sizes 10000,100000 \
        --out benchmarks/results/matches_http_100k.json
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DEMO = ROOT / "service" / "demo"
ADMIN_KEY = "bench-admin-key"
CHUNK = 2000
PROVINCES = [
    "Hải Phòng",
    "Hà Nội",
    "TP. Hồ Chí Minh",
    "Đà Nẵng",
    "Quảng Ninh",
    "Cần Thơ",
    "Thái Nguyên",
    "Bắc Ninh",
    "Nghệ An",
    "Khánh Hòa",
    "Lâm Đồng",
    "An Giang",
]
QUALIFIERS = {
    "vi": [
        "giai đoạn 2",
        "cho hợp tác xã",
        "quy mô nhỏ",
        "quy mô công nghiệp",
        "bản nâng cấp",
        "cho doanh nghiệp vừa",
        "tích hợp IoT",
        "tiết kiệm năng lượng",
        "mô hình thí điểm",
    ],
    "en": [
        "phase 2",
        "for cooperatives",
        "small scale",
        "industrial scale",
        "upgraded version",
        "for SMEs",
        "with IoT integration",
        "energy-saving",
        "pilot model",
    ],
}
_SENTENCE = re.compile(r"(?<=[.!?])\s+")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def demo_rows() -> dict[str, list[dict[str, Any]]]:
    rows: dict[str, list[dict[str, Any]]] = {}
    for kind in ("need", "offer"):
        path = DEMO / f"{kind}s.jsonl"
        rows[kind] = [json.loads(line) for line in path.read_text("utf-8").splitlines() if line]
    return rows


def synthesize(
    n: int, start: int, rng: random.Random, demo: dict[str, list[dict[str, Any]]]
) -> dict[str, list[dict[str, Any]]]:
    """``n`` postings (about 40 % needs), each a variation of a demo posting."""
    sentences: dict[str, list[str]] = {"vi": [], "en": []}
    for kind_rows in demo.values():
        for row in kind_rows:
            sentences[row["language"]].extend(_SENTENCE.split(row["description"]))
    out: dict[str, list[dict[str, Any]]] = {"need": [], "offer": []}
    for i in range(start, start + n):
        kind = "need" if rng.random() < 0.4 else "offer"
        base = dict(rng.choice(demo[kind]))
        lang = base["language"]
        own = _SENTENCE.split(base["description"])
        rng.shuffle(own)
        extra = rng.sample(sentences[lang], k=2)
        base["title"] = f"{base['title']} – {rng.choice(QUALIFIERS[lang])} #{i}"[:200]
        base["description"] = " ".join(own[: max(2, len(own) - 1)] + extra)[:5000]
        base["keywords"] = rng.sample(base["keywords"], k=min(len(base["keywords"]), 4))
        base["province"] = rng.choice(PROVINCES)
        base["organization"] = f"{base['organization']} {i % 97}"[:200]
        base["trl"] = rng.randint(3, 9)
        base["external_id"] = f"bench-{i}"
        out[kind].append(base)
    return out


def start_server(data_dir: Path, model: str, cache: Path | None, port: int) -> subprocess.Popen:
    env = {
        **os.environ,
        "TECHMATCH_DATA_DIR": str(data_dir),
        "TECHMATCH_MODEL": model,
        "TECHMATCH_ADMIN_KEY": ADMIN_KEY,
        "TECHMATCH_INDEX_SAVE_DELAY": "30",
        # a chunk is imported at once (not as a job) and one organisation loads the whole pool
        "TECHMATCH_IMPORT_SYNC_ROWS": str(CHUNK),
        "TECHMATCH_MAX_IMPORT_ROWS": str(CHUNK),
        "TECHMATCH_MAX_POSTINGS_PER_ORGANIZATION": "0",
    }
    env.pop("TECHMATCH_DATABASE_URL", None)
    if cache is not None:
        env["TECHMATCH_MODEL_CACHE"] = str(cache)
    if model == "synthetic-mix":
        from benchmarks.bench_index_scale import base_vectors

        base_vectors("onnx-int8", 500, cache)  # embed (once, cached) before the server starts
        launcher = [str(ROOT / "benchmarks" / "serve_synthetic.py")]
        if cache is not None:
            launcher += ["--model-cache", str(cache)]
    else:
        launcher = ["-m", "service.cli", "serve"]
    command = [
        sys.executable,
        *launcher,
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--log-level",
        "warning",
    ]
    process = subprocess.Popen(command, cwd=ROOT, env=env)
    deadline = time.time() + 600
    while time.time() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"server exited with {process.returncode}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=2).status_code == 200:
                return process
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    process.kill()
    raise SystemExit("server did not become healthy")


def load(client: httpx.Client, postings: dict[str, list[dict[str, Any]]]) -> list[int]:
    """Upload ``postings`` through the import API; returns the new need ids."""
    need_ids: list[int] = []
    for kind, rows in postings.items():
        for first in range(0, len(rows), CHUNK):
            body = "\n".join(json.dumps(r, ensure_ascii=False) for r in rows[first : first + CHUNK])
            r = client.post(
                f"/api/v1/{kind}s/import",
                params={"format": "jsonl"},
                files={"file": ("chunk.jsonl", body.encode("utf-8"))},
                timeout=3600,
            )
            r.raise_for_status()
            report = r.json()
            if report["failed"]:
                raise SystemExit(f"import failed: {report['errors'][:3]}")
            if kind == "need":
                need_ids.extend(report["ids"])
    return need_ids


def measure_after_writes(
    client: httpx.Client, need_ids: list[int], writes: int, limit: int, rng: random.Random
) -> dict[str, float]:
    """Median times of ``writes`` rounds of: create one need, then the first match request
    (which pays for what a write invalidates: cached candidate lists, BM25 rebuild)."""
    write_ms, read_ms = [], []
    for n in range(writes):
        body = {
            "title": f"Cần hệ thống giám sát chất lượng nước ao nuôi #{n}",
            "description": "Doanh nghiệp cần cảm biến đo oxy hòa tan và pH, cảnh báo qua "
            "điện thoại cho các ao nuôi tôm.",
            "sector": "aquaculture_fisheries",
            "keywords": ["cảm biến", "ao nuôi"],
            "status": "published",
        }
        t0 = time.perf_counter()
        client.post("/api/v1/needs", json=body).raise_for_status()
        write_ms.append((time.perf_counter() - t0) * 1000)
        t0 = time.perf_counter()
        r = client.get(f"/api/v1/needs/{rng.choice(need_ids)}/matches", params={"limit": limit})
        read_ms.append((time.perf_counter() - t0) * 1000)
        r.raise_for_status()
    return {
        "writes": writes,
        "write_median_ms": round(statistics.median(write_ms), 1),
        "first_read_after_write_median_ms": round(statistics.median(read_ms), 1),
        "first_read_after_write_max_ms": round(max(read_ms), 1),
    }


def measure(
    client: httpx.Client,
    need_ids: list[int],
    requests: int,
    warmup: int,
    limit: int,
    rng: random.Random,
) -> list[float]:
    """Latencies in milliseconds of ``requests`` match requests for random needs."""
    for _ in range(warmup):
        client.get(f"/api/v1/needs/{rng.choice(need_ids)}/matches", params={"limit": limit})
    out = []
    for _ in range(requests):
        need = rng.choice(need_ids)
        t0 = time.perf_counter()
        r = client.get(f"/api/v1/needs/{need}/matches", params={"limit": limit})
        out.append((time.perf_counter() - t0) * 1000)
        r.raise_for_status()
    return out


def existing_ids(client: httpx.Client) -> list[int]:
    """Ids of the benchmark's needs already stored (for a reused data directory)."""
    found: list[int] = []
    offset = 0
    while True:
        r = client.get("/api/v1/needs", params={"limit": 100, "offset": offset})
        r.raise_for_status()
        items = r.json()["items"]
        found += [int(i["id"]) for i in items if str(i.get("external_id")).startswith("bench-")]
        if len(items) < 100:
            return sorted(found)
        offset += 100


def wait_until_saved(client: httpx.Client, timeout: float = 900) -> float:
    """Wait for the server's delayed index save after the last write (reads measured in a
    settled state; a save holds the index lock); returns the seconds waited."""
    started = time.perf_counter()
    while time.perf_counter() - started < timeout:
        if not client.get("/health").json()["index"]["unsaved_changes"]:
            break
        time.sleep(1)
    return time.perf_counter() - started


def peak_rss_mib(pid: int) -> float | None:
    """Peak resident memory of a process (Linux ``VmHWM``), or ``None`` elsewhere."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return None


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1000,10000", help="pool sizes, comma-separated")
    parser.add_argument("--model", default="hashing", help="hashing | multilingual-e5-small")
    parser.add_argument(
        "--model-cache",
        type=Path,
        default=None,
        help="model cache (default: TECHMATCH_MODEL_CACHE or <repo>/.cache/models)",
    )
    parser.add_argument("--requests", type=int, default=200, help="timed requests per size")
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument(
        "--after-writes",
        type=int,
        default=0,
        help="also time N rounds of (create a need, first match request) at the last size",
    )
    parser.add_argument("--limit", type=int, default=10, help="matches per request")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", type=Path, default=None, help="also write results as JSON here")
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=None,
        help="keep the server's data here; a later run with the same folder and sizes "
        "reuses the loaded pool (the server loads its saved index) instead of importing",
    )
    args = parser.parse_args()
    sizes = sorted(int(s) for s in args.sizes.split(","))
    cache = args.model_cache or Path(
        os.environ.get("TECHMATCH_MODEL_CACHE", ROOT / ".cache" / "models")
    )
    rng = random.Random(args.seed)
    demo = demo_rows()
    port = free_port()
    results: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="techmatch-bench-") as tmp:
        data_dir = args.data_dir or Path(tmp)
        data_dir.mkdir(parents=True, exist_ok=True)
        t0 = time.perf_counter()
        server = start_server(data_dir, args.model, cache, port)
        started = time.perf_counter() - t0
        try:
            headers = {"Authorization": f"Bearer {ADMIN_KEY}"}
            with httpx.Client(
                base_url=f"http://127.0.0.1:{port}", headers=headers, timeout=120
            ) as client:
                health = client.get("/health").json()
                model = health["model"]
                print(
                    f"model: {model['name']} (dimension {model['dimension']}); "
                    f"server start {started:.1f}s; 127.0.0.1:{port}",
                    flush=True,
                )
                need_ids: list[int] = []
                have = 0
                for size in sizes:
                    t0 = time.perf_counter()
                    added = size - have
                    present = client.get("/health").json()["index"]["size"]
                    if present >= size:  # reused --data-dir: the needs already there
                        need_ids = existing_ids(client)
                        added = 0
                    else:
                        need_ids += load(client, synthesize(added, have, rng, demo))
                    load_s = time.perf_counter() - t0
                    have = size
                    settled = wait_until_saved(client)
                    pool = client.get("/health").json()["index"]["size"]
                    lat = measure(client, need_ids, args.requests, args.warmup, args.limit, rng)
                    row = {
                        "model": model["name"],
                        "postings": pool,
                        "needs": len(need_ids),
                        "requests": len(lat),
                        "limit": args.limit,
                        "median_ms": round(statistics.median(lat), 2),
                        "p90_ms": round(percentile(lat, 90), 2),
                        "p99_ms": round(percentile(lat, 99), 2),
                        "mean_ms": round(statistics.fmean(lat), 2),
                        "load_s": round(load_s, 1),
                        "server_start_s": round(started, 1),
                        "wait_for_index_save_s": round(settled, 1),
                        "server_peak_rss_mib": peak_rss_mib(server.pid),
                        "load_average": [round(x, 2) for x in os.getloadavg()],
                    }
                    if args.after_writes and size == sizes[-1]:
                        row["after_writes"] = measure_after_writes(
                            client, need_ids, args.after_writes, args.limit, rng
                        )
                        print(json.dumps(row["after_writes"]), flush=True)
                    results.append(row)
                    print(
                        f"N={pool:>6}  median {row['median_ms']:>7.2f} ms  "
                        f"p90 {row['p90_ms']:>7.2f} ms  p99 {row['p99_ms']:>7.2f} ms  "
                        f"({row['requests']} requests, limit {args.limit}; "
                        f"{added} loaded in {load_s:.1f}s)",
                        flush=True,
                    )
        finally:
            server.send_signal(signal.SIGTERM)
            try:
                server.wait(timeout=60)
            except subprocess.TimeoutExpired:
                server.kill()
    from benchmarks.machine import machine

    for row in results:  # the server's backend is in its /health; this is the CPU it ran on
        row.setdefault("machine", machine(args.model))
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(results))


if __name__ == "__main__":
    main()
