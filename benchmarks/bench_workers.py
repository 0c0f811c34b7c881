"""``techmatch serve --workers N`` over PostgreSQL: throughput of ``/needs/{id}/matches``
with 1 worker against 2 in one run, and the p99 of match requests while ``/pairs`` over
the whole pool runs against the idle p99.

It makes a throw-away schema in the PostgreSQL database of ``--database-url`` (default
``TECHMATCH_TEST_POSTGRES_URL``), loads ``--postings`` realistic bilingual postings
through the import API of a one-worker server, then starts a 1-worker and a 2-worker
server, opens one kept-alive connection per client (the kernel spreads them over the
workers; the spread is recorded), and runs a closed loop of match requests for
``--seconds`` per worker count, split into ``--rounds`` phases that alternate between a
1-worker and a 2-worker server running side by side (so the shared machine's other load
falls on both alike). Each phase records the CPU seconds of the server's processes and of
this client (its share says how much the load generator competes for the same cores).
Bounded: every phase has a fixed duration and concurrency. The CPU, core
count and load average before and after each phase go into the result file.

    python benchmarks/bench_workers.py                      # real model, 2,000 postings
    python benchmarks/bench_workers.py --model hashing --postings 1000 --seconds 10  # quick
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
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.bench_matches_http import demo_rows, free_port, load, synthesize  # noqa: E402
from benchmarks.machine import machine  # noqa: E402

ADMIN_KEY = "bench-workers-admin-key"
HEADERS = {"Authorization": f"Bearer {ADMIN_KEY}"}


def schema_url(base: str) -> tuple[str, str]:
    """A new schema in ``base``'s database and the URL that puts it on the search path."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    name = f"bench_workers_{uuid.uuid4().hex[:8]}"
    engine = create_engine(base)
    with engine.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{name}"'))
    engine.dispose()
    url = make_url(base).update_query_dict({"options": f"-csearch_path={name}"})
    return name, url.render_as_string(hide_password=False)


def drop_schema(base: str, name: str) -> None:
    from sqlalchemy import create_engine, text

    engine = create_engine(base)
    with engine.begin() as conn:
        conn.execute(text(f'DROP SCHEMA IF EXISTS "{name}" CASCADE'))
    engine.dispose()


class Server:
    """``techmatch serve --workers N`` in a subprocess."""

    def __init__(self, env: dict[str, str], workers: int, log: Path) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        command = [sys.executable, "-m", "service.cli", "serve", "--port", str(self.port)]
        command += ["--workers", str(workers), "--log-level", "warning"]
        with log.open("ab") as out:
            self.process = subprocess.Popen(
                command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT
            )
        self.workers = workers
        self.threads: dict[str, Any] = {}

    def clients(self, count: int, timeout: float = 600) -> list[tuple[int, httpx.Client]]:
        """``count`` kept-alive clients, once every worker answers, spread evenly over the
        workers (connections to a worker that already has its share are closed: the kernel
        hands connections out unevenly, which would leave a worker idle); (pid, client)."""
        deadline = time.time() + timeout
        seen: set[int] = set()
        out: list[tuple[int, httpx.Client]] = []
        share = -(-count // self.workers)  # connections per worker, rounded up
        while time.time() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"server exited with {self.process.returncode}")
            client = httpx.Client(base_url=self.base, headers=HEADERS, timeout=120)
            try:
                body = client.get("/health").json()
                pid = body["worker"]["pid"]
            except (httpx.HTTPError, KeyError, ValueError):
                client.close()
                time.sleep(0.5)
                continue
            if body["status"] != "ok" or body["worker"]["behind"]:
                client.close()
                time.sleep(0.5)
                continue
            seen.add(pid)
            self.threads[str(pid)] = body.get("threads")  # each worker's thread budget
            if sum(p == pid for p, _ in out) >= share:
                client.close()
                continue
            out.append((pid, client))
            if len(seen) >= self.workers and len(out) >= count:
                keep, extra = out[:count], out[count:]
                for _, c in extra:
                    c.close()
                return keep
        raise SystemExit(f"only workers {sorted(seen)} answered")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def closed_loop(
    clients: list[tuple[int, httpx.Client]], ids: list[int], seconds: float
) -> dict[str, Any]:
    """Every client sends match requests back to back for ``seconds``."""
    latencies: list[list[float]] = [[] for _ in clients]
    errors = [0] * len(clients)
    stop_at = time.monotonic() + seconds

    def run(i: int, client: httpx.Client) -> None:
        rng = random.Random(i)
        while time.monotonic() < stop_at:
            started = time.perf_counter()
            r = client.get(f"/api/v1/needs/{rng.choice(ids)}/matches", params={"limit": 10})
            if r.status_code == 200:
                latencies[i].append(time.perf_counter() - started)
            else:
                errors[i] += 1

    threads = [threading.Thread(target=run, args=(i, c)) for i, (_, c) in enumerate(clients)]
    started = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - started
    flat = sorted(x for lat in latencies for x in lat)
    per_pid: dict[str, int] = {}
    for (pid, _), lat in zip(clients, latencies, strict=True):
        per_pid[str(pid)] = per_pid.get(str(pid), 0) + len(lat)
    return {
        "requests": len(flat),
        "errors": sum(errors),
        "seconds": round(elapsed, 2),
        "requests_per_s": round(len(flat) / elapsed, 2),
        "p50_ms": round(1000 * _pct(flat, 0.5), 1),
        "p99_ms": round(1000 * _pct(flat, 0.99), 1),
        "requests_per_worker_pid": per_pid,
    }


def with_pairs(
    clients: list[tuple[int, httpx.Client]], ids: list[int], seconds: float, base: str
) -> dict[str, Any]:
    """The closed loop while another client asks ``/pairs`` over the pool again and again."""
    stop = threading.Event()
    pairs_times: list[float] = []

    def pairs() -> None:
        with httpx.Client(base_url=base, headers=HEADERS, timeout=600) as client:
            while not stop.is_set():
                started = time.perf_counter()
                client.get("/api/v1/pairs", params={"limit": 1000}).raise_for_status()
                pairs_times.append(time.perf_counter() - started)

    thread = threading.Thread(target=pairs)
    thread.start()
    time.sleep(0.5)
    result = closed_loop(clients, ids, seconds)
    stop.set()
    thread.join()
    result["pairs_calls"] = len(pairs_times)
    result["pairs_median_s"] = round(statistics.median(pairs_times), 3) if pairs_times else None
    return result


def tree_cpu(pid: int) -> float:
    """CPU seconds used so far by process ``pid`` and its live descendants (from /proc)."""
    total, todo, tick = 0.0, [pid], os.sysconf("SC_CLK_TCK")
    while todo:
        current = todo.pop()
        try:
            stat = Path(f"/proc/{current}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(stat[11]) + int(stat[12])) / tick  # utime, stime
            for task in Path(f"/proc/{current}/task").iterdir():
                todo += [int(c) for c in (task / "children").read_text().split()]
        except (FileNotFoundError, ProcessLookupError, IndexError, ValueError):
            continue
    return total


def measured_loop(
    server: Server, clients: list[tuple[int, httpx.Client]], ids: list[int], seconds: float
) -> dict[str, Any]:
    """:func:`closed_loop` with the CPU seconds the server and this client process spent."""
    server_before, client_before = tree_cpu(server.process.pid), time.process_time()
    result = closed_loop(clients, ids, seconds)
    result["server_cpu_s"] = round(tree_cpu(server.process.pid) - server_before, 2)
    result["client_cpu_s"] = round(time.process_time() - client_before, 2)
    return result


def combine(phases: list[dict[str, Any]]) -> dict[str, Any]:
    """The interleaved phases of one worker count summed into one throughput figure."""
    requests = sum(p["requests"] for p in phases)
    seconds = sum(p["seconds"] for p in phases)
    server_cpu = sum(p["server_cpu_s"] for p in phases)
    client_cpu = sum(p["client_cpu_s"] for p in phases)
    return {
        "phases": len(phases),
        "requests": requests,
        "errors": sum(p["errors"] for p in phases),
        "seconds": round(seconds, 2),
        "requests_per_s": round(requests / seconds, 2),
        "requests_per_s_by_phase": [p["requests_per_s"] for p in phases],
        "p50_ms_by_phase": [p["p50_ms"] for p in phases],
        "server_cpu_ms_per_request": round(1000 * server_cpu / max(requests, 1), 1),
        "server_cores_used": round(server_cpu / seconds, 2),
        "client_cpu_share": round(client_cpu / max(client_cpu + server_cpu, 1e-9), 3),
        "requests_per_worker_pid": [p["requests_per_worker_pid"] for p in phases],
    }


def _pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    return values[min(len(values) - 1, int(q * len(values)))]


def _load() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postings", type=int, default=2000)
    parser.add_argument("--model", default="multilingual-e5-small")
    parser.add_argument("--model-cache", type=Path, default=None)
    parser.add_argument("--seconds", type=float, default=20.0, help="per throughput phase")
    parser.add_argument("--latency-seconds", type=float, default=10.0, help="per p99 phase")
    parser.add_argument("--concurrency", type=int, default=8, help="clients, throughput phases")
    parser.add_argument("--rounds", type=int, default=3, help="alternations of 1 and 2 workers")
    parser.add_argument("--latency-clients", type=int, default=2, help="clients, p99 phases")
    parser.add_argument(
        "--database-url",
        default=os.environ.get(
            "TECHMATCH_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
        ),
    )
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks/results/workers.json")
    args = parser.parse_args()

    name, url = schema_url(args.database_url)
    data_dir = Path(tempfile.mkdtemp(prefix="bench-workers-"))
    env = {
        **os.environ,
        "TECHMATCH_DATA_DIR": str(data_dir),
        "TECHMATCH_DATABASE_URL": url,
        "TECHMATCH_MODEL": args.model,
        "TECHMATCH_ADMIN_KEY": ADMIN_KEY,
        "TECHMATCH_MAX_POSTINGS_PER_ORGANIZATION": "0",
        "TECHMATCH_MAX_IMPORT_ROWS": str(max(10_000, args.postings)),
        "TECHMATCH_IMPORT_SYNC_ROWS": str(max(500, args.postings)),
    }
    if args.model_cache is not None:
        env["TECHMATCH_MODEL_CACHE"] = str(args.model_cache)
    log = data_dir / "server.log"
    result: dict[str, Any] = {
        "benchmark": "bench_workers",
        "command": " ".join([Path(sys.executable).name, *sys.argv]),
        "postings": args.postings,
        "model": args.model,
        "concurrency": args.concurrency,
        "latency_clients": args.latency_clients,
        "seconds": args.seconds,
        "rounds": args.rounds,
        "latency_seconds": args.latency_seconds,
        "machine": machine(),
        "runs": {},
    }
    try:
        server = Server(env, 1, log)
        try:
            (_, seeder), *_ = server.clients(1)
            started = time.monotonic()
            need_ids = load(seeder, synthesize(args.postings, 0, random.Random(7), demo_rows()))
            result["load_seconds"] = round(time.monotonic() - started, 1)
            seeder.close()
        finally:
            server.stop()
        # Both servers run at once; their throughput phases alternate (1, 2, 1, 2, ...), so
        # the other jobs' load on the shared cores falls on both alike.
        servers = {workers: Server(env, workers, log) for workers in (1, 2)}
        clients: dict[int, list[tuple[int, httpx.Client]]] = {}
        try:
            for w, server in servers.items():
                clients[w] = server.clients(args.concurrency)
            phases: dict[int, list[dict[str, Any]]] = {1: [], 2: []}
            loads: dict[int, list[list[float]]] = {1: [], 2: []}
            for w in servers:
                closed_loop(clients[w], need_ids, 2.0)  # warm-up
            for _ in range(args.rounds):
                for w, server in servers.items():
                    loads[w].append(_load())
                    phases[w].append(
                        measured_loop(server, clients[w], need_ids, args.seconds / args.rounds)
                    )
            for workers, server in servers.items():
                run: dict[str, Any] = {"load_average_before_phases": loads[workers]}
                run["threads_per_worker_pid"] = server.threads
                run["throughput"] = combine(phases[workers])
                few = clients[workers][: args.latency_clients]
                run["idle"] = closed_loop(few, need_ids, args.latency_seconds)
                run["during_pairs"] = with_pairs(few, need_ids, args.latency_seconds, server.base)
                run["p99_ratio_pairs_to_idle"] = round(
                    run["during_pairs"]["p99_ms"] / run["idle"]["p99_ms"], 2
                )
                run["load_average_after"] = _load()
                result["runs"][str(workers)] = run
                print(json.dumps({workers: run}, indent=1), flush=True)
        finally:
            for w, server in servers.items():
                for _, c in clients.get(w, []):
                    c.close()
                server.stop()
        one, two = (result["runs"][k]["throughput"]["requests_per_s"] for k in ("1", "2"))
        result["throughput_ratio_2_to_1"] = round(two / one, 2)
    finally:
        drop_schema(args.database_url, name)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", "utf-8")
    print(json.dumps({k: v for k, v in result.items() if k != "runs"}, indent=1))


if __name__ == "__main__":
    main()
