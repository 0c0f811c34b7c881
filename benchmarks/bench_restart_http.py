"""Restart to healthy and first match after a write, over HTTP, at 100,000 postings.

What it measures (one run, one result file, ``benchmarks/results/restart_http.json``):

1. a real service data folder (``/tmp/techmatch-restart-http-*``): the SQLite database made
   by the service's migrations, holding the postings of ``bench_restart.build_pool``
   (synthetic texts, real tokens, random 384-d vectors), and the index saved beside it with
   the rows' fingerprints, as the service saves it. The index is written under the identity
   of the model the server loads (``multilingual-e5-small`` on the cache's recorded backend
   by default): a restart embeds nothing, so random vectors time it honestly, and a server
   that embedded or rebuilt at start would say so in ``/health`` (the run then fails);
2. **restart**, ``--rounds`` times: from spawning ``python -m service.cli serve`` (the real
   CLI, the real model, an explicit backend: the selector never runs) to the first
   ``/health`` 200 with ``status: ok`` (uvicorn answers only once the app's start-up,
   model, index load and reconcile included, is done), then the first
   ``/needs/{id}/matches``. Broken down from the server's start-up lines (timestamped as
   they arrive) and ``/health``'s ``index.start_seconds``: interpreter and imports, model
   load, app start-up (index load, reconcile, the rest), health; with the server's CPU
   seconds at ready (``/proc/PID/stat``) and its peak resident memory;
3. **first match after a write** (first round): ``--writes`` times, ``POST /needs`` (the real
   model embeds it) then ``GET`` its matches; and ``--writes`` times, a ``POST`` then the
   matches of another (random) need. Later rounds restart from the index the server itself
   saved at shutdown, with those postings in it.

Each server is stopped with SIGTERM (killed if it does not stop); the folder is removed on
exit, also on SIGTERM or Ctrl-C (``--keep`` keeps it). Every wait is bounded.

    python benchmarks/bench_restart_http.py [--postings 100000 --rounds 3 --writes 10 \
        --port 8201 --model-cache .cache/models --backend onnx-int8]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import date
from pathlib import Path
from types import FrameType
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.bench_restart import RandomModel, build_pool, fill_database  # noqa: E402
from benchmarks.machine import machine  # noqa: E402

RESULT = ROOT / "benchmarks" / "results" / "restart_http.json"
ADMIN_KEY = "bench-restart-admin-key"
FALLBACK_BACKEND = "onnx-int8"
#: Start-up lines of the server (``serve`` and uvicorn), by the name of their milestone.
MILESTONES = {
    "model_loaded": re.compile(r"techmatch: model .* loaded in ([0-9.]+) s"),
    "uvicorn_started": re.compile(r"Started server process"),
    "app_startup_begins": re.compile(r"Waiting for application startup"),
    "app_startup_complete": re.compile(r"Application startup complete"),
}


class StandInModel(RandomModel):
    """Random unit vectors under another model's identity (name, dimension, backend), so the
    saved index is the one the server's model accepts; only the index's key terms are
    embedded with it (nothing is embedded at restart)."""

    def __init__(self, name: str, dimension: int, backend: str) -> None:
        self.name = name
        self.dimension = dimension
        self.backend = backend


def recorded_backend(cache: Path, model: str) -> str:
    """The backend the cache's selector record chose for ``model`` (read, never measured),
    else ``onnx-int8``."""
    try:
        record = json.loads((cache / model / "backend-choice.json").read_text("utf-8"))
        return str(record["choice"])
    except (OSError, ValueError, KeyError, TypeError):
        return FALLBACK_BACKEND


def model_dimension(model: str) -> int:
    """The dimension of a built-in model (from the registry, without loading it)."""
    from models import list_models

    for spec in list_models():
        if spec.name == model:
            return spec.dimension
    raise SystemExit(f"{model!r} is not a built-in model")


def build_data_dir(data_dir: Path, n: int, model: StandInModel) -> dict[str, Any]:
    """The service data folder of step 1; returns its build figures and published need ids."""
    from service.core.config import EngineSettings
    from service.db.engine import Database
    from service.db.migrate import upgrade
    from service.matching import _fingerprint_arrays, engine_config

    started = time.perf_counter()
    engine, postings = build_pool(n, model=model, config=engine_config(EngineSettings()))
    build_s = time.perf_counter() - started
    data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    url = f"sqlite:///{data_dir / 'techmatch.db'}"
    database = Database(url)
    upgrade(database)  # the service's own schema (its migrations), then the rows
    database.dispose()
    prints = fill_database(url, postings)
    started = time.perf_counter()
    path = engine.save(data_dir / "index", extra=_fingerprint_arrays(prints))
    return {
        "build_s": round(build_s, 1),
        "save_s": round(time.perf_counter() - started, 2),
        "index_file_bytes": path.stat().st_size,
        "need_ids": [p.id for p in postings if p.kind == "need" and p.status == "published"],
    }


def process_cpu(pid: int) -> float:
    """User + system CPU seconds of a running process (``/proc/PID/stat``)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def peak_rss_mib(pid: int) -> float | None:
    """Peak resident memory (``VmHWM``) of a running process, MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)
    return None


def _die_with_parent() -> None:
    """In the child before exec: SIGTERM it when this benchmark dies (even by SIGKILL)."""
    import ctypes

    ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def children_cpu() -> float:
    """CPU seconds of the finished children of this process."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


class Server:
    """``python -m service.cli serve`` on 127.0.0.1, its output lines timestamped on arrival."""

    def __init__(self, data_dir: Path, port: int, env: dict[str, str], log: Path) -> None:
        self.base = f"http://127.0.0.1:{port}"
        self.command = [
            sys.executable, "-m", "service.cli", "serve", "--host", "127.0.0.1",
            "--port", str(port), "--data-dir", str(data_dir), "--log-level", "info",
        ]  # fmt: skip
        self.env = env
        self.log = log
        self.lines: list[tuple[float, float | None, str]] = []  # (wall, server CPU, line)
        self.process: subprocess.Popen[str] | None = None
        self.spawned = 0.0

    def start(self) -> None:
        """Spawn the server (its stdout and stderr read by a thread)."""
        self.spawned = time.perf_counter()
        self.process = subprocess.Popen(
            self.command, cwd=ROOT, env=self.env, text=True, bufsize=1,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, preexec_fn=_die_with_parent,
        )  # fmt: skip
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process is not None and self.process.stdout is not None
        with self.log.open("a", encoding="utf-8") as log:
            for line in self.process.stdout:
                at = time.perf_counter()
                try:
                    cpu: float | None = process_cpu(self.process.pid)
                except (OSError, IndexError, ValueError):  # it has just exited
                    cpu = None
                self.lines.append((at, cpu, line.rstrip("\n")))
                log.write(line)

    def wait_ready(self, client: httpx.Client, timeout: float) -> dict[str, Any]:
        """Poll ``/health`` until it answers 200 with ``status: ok``; returns the body."""
        assert self.process is not None
        deadline = time.perf_counter() + timeout
        while time.perf_counter() < deadline:
            if self.process.poll() is not None:
                tail = "\n".join(line for _, _, line in self.lines[-20:])
                raise SystemExit(f"server exited with {self.process.returncode}:\n{tail}")
            try:
                response = client.get(f"{self.base}/health", timeout=5)
                if response.status_code == 200 and response.json().get("status") == "ok":
                    body: dict[str, Any] = response.json()
                    return body
            except httpx.HTTPError:
                pass
            time.sleep(0.02)
        raise SystemExit(f"server not healthy after {timeout:.0f} s")

    def milestones(self) -> tuple[dict[str, float], dict[str, float | None]]:
        """Seconds from spawning to each start-up line seen (and the model's own load time),
        and the server's CPU seconds when each line arrived."""
        wall: dict[str, float] = {}
        cpu: dict[str, float | None] = {}
        for at, used, line in self.lines:
            for name, pattern in MILESTONES.items():
                found = pattern.search(line)
                if found and name not in wall:
                    wall[name] = round(at - self.spawned, 3)
                    cpu[name] = None if used is None else round(used, 2)
                    if name == "model_loaded":
                        wall["model_load_s"] = float(found.group(1))
        return wall, cpu

    def stop(self, timeout: float = 120.0) -> float:
        """SIGTERM (the server saves a changed index), SIGKILL after ``timeout``; seconds."""
        started = time.perf_counter()
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=30)
        return round(time.perf_counter() - started, 2)


def timed_get(client: httpx.Client, url: str) -> float:
    """Milliseconds of one GET that must answer 200."""
    started = time.perf_counter()
    client.get(url, params={"limit": 10}).raise_for_status()
    return (time.perf_counter() - started) * 1000


def new_need(n: int) -> dict[str, Any]:
    """A published bilingual-sector need, different text each time (the model embeds it)."""
    return {
        "title": f"Cần hệ thống giám sát chất lượng nước ao nuôi tôm số {n}",
        "description": "Doanh nghiệp cần cảm biến đo oxy hòa tan, pH và độ mặn, cảnh báo qua "
        f"điện thoại cho {n + 3} ao nuôi tôm thẻ chân trắng.",
        "sector": "aquaculture_fisheries",
        "keywords": ["cảm biến", "ao nuôi"],
        "status": "published",
    }


def after_writes(client: httpx.Client, need_ids: list[int], writes: int) -> dict[str, Any]:
    """Step 3: write-then-match of the new need, and write-then-match of another need."""
    rng = random.Random(3)
    post_ms: list[float] = []
    own_ms: list[float] = []
    other_ms: list[float] = []
    created: list[int] = []
    for n in range(2 * writes):
        started = time.perf_counter()
        response = client.post("/api/v1/needs", json=new_need(n))
        response.raise_for_status()
        post_ms.append((time.perf_counter() - started) * 1000)
        created.append(int(response.json()["id"]))
        if n % 2 == 0:  # its own matches, right after the write returned
            own_ms.append(timed_get(client, f"/api/v1/needs/{created[-1]}/matches"))
        else:
            other_ms.append(timed_get(client, f"/api/v1/needs/{rng.choice(need_ids)}/matches"))

    def summary(values: list[float]) -> dict[str, float]:
        return {"median_ms": round(statistics.median(values), 1), "max_ms": round(max(values), 1)}

    return {
        "writes": len(post_ms),
        "post_need": summary(post_ms),
        "own_matches_after_write": summary(own_ms),
        "other_need_matches_after_write": summary(other_ms),
        "created_ids": created,
    }


def restart_round(
    server: Server, client: httpx.Client, need_ids: list[int], timeout: float
) -> dict[str, Any]:
    """Step 2 for one spawn; the server is left running."""
    server.start()
    assert server.process is not None
    health = server.wait_ready(client, timeout)
    ready_s = time.perf_counter() - server.spawned
    cpu_at_ready = process_cpu(server.process.pid)
    first_ms = timed_get(client, f"/api/v1/needs/{need_ids[0]}/matches")
    first_s = time.perf_counter() - server.spawned
    steady = [timed_get(client, f"/api/v1/needs/{i}/matches") for i in need_ids[1:11]]
    index = health["index"]
    marks, cpu_marks = server.milestones()
    start = index.get("start_seconds", {})
    app_s = marks.get("app_startup_complete", 0.0) - marks.get("app_startup_begins", 0.0)
    return {
        "ready_s": round(ready_s, 2),
        "first_match_s": round(first_s, 2),
        "first_match_ms": round(first_ms, 1),
        "match_median_ms_next_10": round(statistics.median(steady), 1),
        "server_cpu_s_at_ready": round(cpu_at_ready, 2),
        "peak_rss_mib_at_ready": peak_rss_mib(server.process.pid),
        "breakdown_s": {
            "interpreter_and_imports": round(
                marks.get("model_loaded", 0.0) - marks.get("model_load_s", 0.0), 2
            ),
            "model_load": marks.get("model_load_s"),
            "app_startup": round(app_s, 2),
            "index_load": start.get("load"),
            "reconcile": start.get("reconcile"),
            "save_at_start": start.get("save", 0.0),
            "rest_to_ready": round(ready_s - marks.get("app_startup_complete", ready_s), 2),
        },
        "milestones_s": marks,
        "server_cpu_s_at_milestones": cpu_marks,
        "rebuilt_at_start": index["rebuilt_at_start"],
        "reconciled_at_start": index["reconciled_at_start"],
        "embedded_since_start": index["embedded_since_start"],
        "index_size": index["size"],
        "model": {k: health["model"].get(k) for k in ("name", "backend", "dimension")},
    }


def server_env(cache: Path, model: str, backend: str) -> dict[str, str]:
    """The server's environment: explicit model and backend, this tree's code, no limits."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TECHMATCH_")}
    env.update(
        {
            "PYTHONPATH": str(ROOT),
            "PYTHONUNBUFFERED": "1",
            "TECHMATCH_MODEL": model,
            "TECHMATCH_MODEL_CACHE": str(cache.resolve()),
            "TECHMATCH_MODEL_BACKEND": backend,
            "TECHMATCH_ADMIN_KEY": ADMIN_KEY,
            "TECHMATCH_MAX_POSTINGS_PER_ORGANIZATION": "0",
        }
    )
    return env


def run(args: argparse.Namespace, tmp: Path) -> dict[str, Any]:
    """Steps 1–3 in ``tmp``; returns the report."""
    backend = args.backend or recorded_backend(args.model_cache, args.model)
    stand_in = StandInModel(args.model, model_dimension(args.model), backend)
    report: dict[str, Any] = {
        "postings": args.postings,
        "model": args.model,
        "backend": backend,
        "vectors": "random (restart embeds nothing); written under the model's identity",
        "database": "sqlite",
    }
    load_before = os.getloadavg()
    built = build_data_dir(tmp / "data", args.postings, stand_in)
    need_ids = built.pop("need_ids")
    report["data_dir"] = built
    env = server_env(args.model_cache, args.model, backend)
    rounds: list[dict[str, Any]] = []
    headers = {"Authorization": f"Bearer {ADMIN_KEY}"}
    for number in range(args.rounds):
        server = Server(tmp / "data", args.port, env, tmp / "server.log")
        cpu_before = children_cpu()
        with httpx.Client(base_url=server.base, headers=headers, timeout=60) as client:
            try:
                result = restart_round(server, client, need_ids, args.ready_timeout)
                if result["rebuilt_at_start"] or any(result["reconciled_at_start"].values()):
                    raise SystemExit(f"round {number + 1} did not start from the file: {result}")
                if number == 0 and args.writes:
                    report["after_writes"] = after_writes(client, need_ids, args.writes)
            finally:
                result_stop = server.stop()
        result["shutdown_s"] = result_stop
        result["server_cpu_s_whole_life"] = round(children_cpu() - cpu_before, 2)
        result["load_average_after"] = [round(x, 2) for x in os.getloadavg()]
        rounds.append(result)
        print(json.dumps({"round": number + 1, **result}), flush=True)
    report["rounds"] = rounds
    ready = [r["ready_s"] for r in rounds]
    report["ready_s"] = {"median": statistics.median(ready), "max": max(ready), "min": min(ready)}
    cpu = [r["server_cpu_s_at_ready"] for r in rounds]
    report["server_cpu_s_at_ready_median"] = statistics.median(cpu)
    first = [r["first_match_s"] for r in rounds]
    report["first_match_s"] = {"median": statistics.median(first), "max": max(first)}
    report["load_average_before"] = [round(x, 2) for x in load_before]
    report["load_average_after"] = [round(x, 2) for x in os.getloadavg()]
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postings", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--writes", type=int, default=10, help="of each kind (0: none)")
    parser.add_argument("--port", type=int, default=8201)
    parser.add_argument("--model", default="multilingual-e5-small")
    parser.add_argument("--model-cache", type=Path, default=ROOT / ".cache" / "models")
    parser.add_argument("--backend", default=None, help="default: the cache's recorded choice")
    parser.add_argument("--ready-timeout", type=float, default=300.0, help="seconds per round")
    parser.add_argument("--out", type=Path, default=RESULT)
    parser.add_argument("--keep", action="store_true", help="keep the temporary data folder")
    args = parser.parse_args()

    def on_term(signum: int, frame: FrameType | None) -> None:
        raise SystemExit(f"stopped by signal {signum}")

    signal.signal(signal.SIGTERM, on_term)
    tmp = Path(tempfile.mkdtemp(prefix="techmatch-restart-http-", dir="/tmp"))
    try:
        report = run(args, tmp)
    finally:
        if args.keep:
            print(f"kept {tmp}", file=sys.stderr)
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    report["date"] = date.today().isoformat()
    report["machine"] = machine(report["backend"])
    report["command"] = "python benchmarks/bench_restart_http.py " + " ".join(sys.argv[1:])
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps({k: v for k, v in report.items() if k != "rounds"}, indent=2))


if __name__ == "__main__":
    main()
