"""Vector stores in one run: FAISS Flat and IVF (indexer/ann.py) against pgvector HNSW.

pgvector runs in a throw-away PostgreSQL 16 + pgvector 0.6 server from the ``pgserver``
wheel (Unix socket, ``shared_buffers`` raised to ``--shared-buffers``), through
:class:`indexer.pgvector_store.PgVectorIndex` as the engine would use it.

Vectors: the same realistic synthetic 384-d vectors as ``bench_index_scale.py`` (Dirichlet
mixes of 3 real e5-small embeddings + noise). Rows: half needs, half offers; 90 % published;
half Vietnamese. Searches are the engine's: offers only (``kind``), and offers that are
published and Vietnamese (``kind, status, language``: ~22 % of the pool). FAISS holds one
index per kind (as the engine) and filters with an id selector; pgvector filters by columns.

Per size and store: build time, memory (FAISS: serialised bytes and process RSS growth;
pgvector: table + index bytes on disk), single-query p50/p99 at k 10 and k 100 (the
engine's candidate depth) with both filters, recall@10 against exact numpy search, and the
cost of one write (insert, update and delete of one posting, each committed). Records the
CPU (model name, flags) and the load (``uptime``). Merges into
``benchmarks/results/vector_store.json`` by size.

    python benchmarks/bench_vector_store.py [--sizes 100000[,1000000]] [--queries 200]
    python benchmarks/bench_vector_store.py --sizes 1000000 --maintenance-work-mem 3GB \
        --shared-buffers 2GB          # 32 min on 2 busy cores, ~10 GB of memory

Long runs print their progress (with the load) on stderr and save what they measured after
each stage (FAISS, each kind's HNSW build), so a stopped run keeps its figures; the load
average is sampled every 30 s into the result (``load``), with the ``machine`` block.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_index_scale import base_vectors, synthetic  # noqa: E402
from machine import machine  # noqa: E402

from indexer.ann import FlatIndex, IVFIndex  # noqa: E402
from indexer.pgvector_store import ColumnFilter, PgVectorIndex  # noqa: E402

RESULT = ROOT / "benchmarks" / "results" / "vector_store.json"
Search = Callable[[np.ndarray, int], tuple[np.ndarray, np.ndarray]]


def cpu() -> dict[str, str]:
    """The CPU model name and flags from /proc/cpuinfo."""
    info: dict[str, str] = {}
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        key, _, value = line.partition(":")
        key = key.strip()
        if key in ("model name", "flags") and key not in info:
            info[key] = value.strip()
    info["cores"] = str(psutil.cpu_count())
    return info


def uptime() -> str:
    """``uptime``'s line (load averages)."""
    return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()


LOADS: list[list[float]] = []  # [seconds since start, load 1 min, 5 min, 15 min]
_STARTED = time.perf_counter()


def sample_load(every_s: float = 30.0) -> None:
    """Append ``os.getloadavg()`` to ``LOADS`` every ``every_s`` seconds (a daemon thread)."""

    def loop() -> None:
        while True:
            elapsed = round(time.perf_counter() - _STARTED, 1)
            LOADS.append([elapsed, *(round(x, 2) for x in os.getloadavg())])
            time.sleep(every_s)

    threading.Thread(target=loop, daemon=True).start()


def progress(message: str) -> None:
    """One line on stderr: elapsed seconds, load average, ``message``."""
    elapsed = time.perf_counter() - _STARTED
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"[{elapsed:7.1f} s, load {load}] {message}", file=sys.stderr, flush=True)


def load_summary() -> dict[str, Any]:
    """Min / median / max of the sampled 1-minute load averages and the samples."""
    ones = [row[1] for row in LOADS] or [os.getloadavg()[0]]
    return {
        "load1_min": min(ones),
        "load1_median": float(np.median(ones)),
        "load1_max": max(ones),
        "samples": LOADS[-200:],
    }


def attributes(n: int, seed: int) -> dict[str, np.ndarray]:
    """kind (½ offer), status (90 % published) and language (½ vi) of ``n`` postings."""
    rng = np.random.default_rng(seed)
    return {
        "kind": np.where(rng.random(n) < 0.5, "offer", "need"),
        "status": np.where(rng.random(n) < 0.9, "published", "withdrawn"),
        "language": np.where(rng.random(n) < 0.5, "vi", "en"),
    }


def timed(search: Search, queries: np.ndarray, k: int) -> tuple[np.ndarray, dict[str, float]]:
    """Ids found for each query (one query per call) and p50/p99 latency in ms."""
    found, times = [], []
    for q in queries:
        started = time.perf_counter()
        _, ids = search(q[None, :], k)
        times.append(time.perf_counter() - started)
        found.append(ids[0][:k])
    ms = np.array(times) * 1000
    return np.array(found), {
        "p50_ms": round(float(np.percentile(ms, 50)), 3),
        "p99_ms": round(float(np.percentile(ms, 99)), 3),
    }


def recall(found: np.ndarray, exact: np.ndarray) -> float:
    """Mean share of the exact top-k found."""
    pairs = zip(found, exact, strict=True)
    return round(float(np.mean([len(set(f) & set(e)) / len(e) for f, e in pairs])), 4)


def write_costs(
    upsert: Callable[[np.ndarray, np.ndarray], None],
    remove: Callable[[list[int]], None],
    fresh: np.ndarray,
    first_id: int,
    existing: np.ndarray,
) -> dict[str, float]:
    """p50/p99 ms of inserting, updating and deleting one posting (``len(fresh)`` each)."""
    out: dict[str, float] = {}

    def run(name: str, calls: list[Callable[[], None]]) -> None:
        times = []
        for call in calls:
            started = time.perf_counter()
            call()
            times.append(time.perf_counter() - started)
        ms = np.array(times) * 1000
        out[f"{name}_p50_ms"] = round(float(np.percentile(ms, 50)), 3)
        out[f"{name}_p99_ms"] = round(float(np.percentile(ms, 99)), 3)

    new_ids = [first_id + i for i in range(len(fresh))]
    run(
        "insert",
        [
            lambda i=i, v=v: upsert(np.array([i]), v[None, :])
            for i, v in zip(new_ids, fresh, strict=True)
        ],
    )
    run(
        "update",
        [
            lambda i=int(i), v=v: upsert(np.array([i]), v[None, :])
            for i, v in zip(existing, fresh, strict=True)
        ],
    )
    run("delete", [lambda i=i: remove([i]) for i in new_ids])
    return out


def rss() -> int:
    """This process's resident set size in bytes."""
    return int(psutil.Process().memory_info().rss)


def measure_faiss(
    vectors: np.ndarray,
    attrs: dict[str, np.ndarray],
    queries: np.ndarray,
    truth: dict[str, np.ndarray],
    allowed: np.ndarray,
    fresh: np.ndarray,
) -> dict[str, Any]:
    """Flat and IVF over the offers (one index per kind, like the engine)."""
    offers = attrs["kind"] == "offer"
    ids = np.flatnonzero(offers).astype(np.int64)
    out: dict[str, Any] = {}
    for name in ("faiss_flat", "faiss_ivf_nprobe32"):
        progress(f"{name}: build over {len(ids)} offers")
        gc.collect()
        before = rss()
        started = time.perf_counter()
        index: FlatIndex | IVFIndex
        if name == "faiss_flat":
            index = FlatIndex(vectors.shape[1])
            index.upsert(ids, vectors[ids])
        else:
            index = IVFIndex(ids, vectors[ids], nprobe=32)
        build = time.perf_counter() - started
        row: dict[str, Any] = {
            "build_s": round(build, 2),
            "rows": len(ids),
            "index_bytes": len(index.to_bytes()) if isinstance(index, FlatIndex) else None,
            "rss_growth_bytes": rss() - before,
        }
        if isinstance(index, IVFIndex):
            import faiss

            row["index_bytes"] = len(faiss.serialize_index(index._index))
            row["nlist"] = index.nlist
        for label, allow in (("kind", None), ("kind_status_language", allowed)):
            for k in (10, 100):

                def search(
                    q: np.ndarray, kk: int, a: np.ndarray | None = allow, ix: Any = index
                ) -> Any:
                    return ix.search(q, kk, a)

                found, lat = timed(search, queries, k)
                row[f"{label}_k{k}"] = {**lat, "recall@10": recall(found[:, :10], truth[label])}
        row["write"] = write_costs(
            index.upsert, index.remove, fresh, int(len(vectors)) + 1, ids[: len(fresh)]
        )
        out[name] = row
        del index
    return out


def measure_pgvector(
    url: str,
    vectors: np.ndarray,
    attrs: dict[str, np.ndarray],
    queries: np.ndarray,
    truth: dict[str, np.ndarray],
    fresh: np.ndarray,
    maintenance_work_mem: str,
    checkpoint: Callable[[dict[str, Any]], None] | None = None,
) -> dict[str, Any]:
    """PgVectorIndex (HNSW m 16, ef_construction 64) over the whole pool, both kinds;
    ``checkpoint`` receives the partial row after each kind's build (for long runs)."""
    needs = PgVectorIndex(url, "need", table="bench_vectors")
    offers = PgVectorIndex(url, "offer", table="bench_vectors")
    ids = np.arange(len(vectors), dtype=np.int64)
    started = time.perf_counter()
    builds: dict[str, float] = {}
    for store, kind in ((needs, "need"), (offers, "offer")):
        progress(f"pgvector: bulk load + HNSW build of the {kind}s")
        kind_started = time.perf_counter()
        rows = attrs["kind"] == kind
        store.bulk_load(
            ids[rows],
            vectors[rows],
            status=list(attrs["status"][rows]),
            language=list(attrs["language"][rows]),
            maintenance_work_mem=maintenance_work_mem,
        )
        builds[kind] = round(time.perf_counter() - kind_started, 2)
        progress(f"pgvector: {kind}s built in {builds[kind]} s")
        if checkpoint is not None:
            checkpoint({"build_s_by_kind": dict(builds), "finished": False})
    build = time.perf_counter() - started
    sizes = offers._conn.execute(
        "SELECT pg_table_size('bench_vectors'),"
        " pg_relation_size('bench_vectors_hnsw_need')"
        " + pg_relation_size('bench_vectors_hnsw_offer'),"
        " pg_indexes_size('bench_vectors') - pg_relation_size('bench_vectors_hnsw_need')"
        " - pg_relation_size('bench_vectors_hnsw_offer')"
    ).fetchone()
    assert sizes is not None
    row: dict[str, Any] = {
        "build_s": round(build, 2),
        "build_s_by_kind": builds,
        "rows": len(vectors),
        "table_bytes": int(sizes[0]),
        "hnsw_bytes": int(sizes[1]),
        "other_index_bytes": int(sizes[2]),
        "note": "build = binary COPY + HNSW build of each kind (one partial index per kind)",
    }
    published_vi = ColumnFilter(statuses=frozenset({"published"}), languages=frozenset({"vi"}))
    for ef in (40, 100):
        progress(f"pgvector: searches at ef_search {ef}")
        offers.ef_search = ef
        for label, where in (
            ("kind", ColumnFilter(statuses=None)),
            ("kind_status_language", published_vi),
        ):
            for k in (10, 100):
                offers.last_plan = ""

                def search(q: np.ndarray, kk: int, w: ColumnFilter = where) -> Any:
                    return offers.search(q, kk, where=w)

                found, lat = timed(search, queries, k)
                row[f"ef{ef}_{label}_k{k}"] = {
                    **lat,
                    "recall@10": recall(found[:, :10], truth[label]),
                    "plan": offers.last_plan,
                }
    offers.ef_search = 100
    forced = PgVectorIndex(url, "offer", table="bench_vectors", exact_rows=10**9)
    for label, where in (
        ("kind", ColumnFilter(statuses=None)),
        ("kind_status_language", published_vi),
    ):
        found, lat = timed(lambda q, kk, w=where: forced.search(q, kk, where=w), queries[:20], 10)
        row[f"exact_{label}_k10"] = {**lat, "recall@10": recall(found, truth[label][:20])}
    forced.close()
    offer_ids = ids[attrs["kind"] == "offer"]
    progress("pgvector: write costs")
    row["write"] = write_costs(
        lambda i, v: offers.upsert(i, v, status="published", language="vi"),
        offers.remove,
        fresh,
        int(len(vectors)) + 1,
        offer_ids[: len(fresh)],
    )
    server = [p for p in psutil.process_iter(["name"]) if p.info["name"] == "postgres"]
    row["server_rss_bytes_sum"] = int(sum(p.memory_info().rss for p in server))
    needs._conn.execute("DROP TABLE bench_vectors")
    needs.close()
    offers.close()
    return row


def start_server(folder: Path, shared_buffers: str) -> Any:
    """A pgserver PostgreSQL with ``shared_buffers`` set (restarted once to apply it)."""
    import pgserver
    from pgserver._commands import pg_ctl  # type: ignore[attr-defined]

    server = pgserver.get_server(folder, cleanup_mode="delete")
    server.psql(f"ALTER SYSTEM SET shared_buffers = '{shared_buffers}';")
    server.psql("ALTER SYSTEM SET max_parallel_maintenance_workers = 2;")
    pg_ctl(["-w", "restart"], pgdata=folder, user=server.system_user, timeout=120)
    return server


def measure(
    size: int,
    base: np.ndarray,
    queries: np.ndarray,
    url: str,
    work_mem: str,
    save: Callable[[dict[str, Any]], None],
) -> dict[str, Any]:
    """Every store at ``size`` postings; ``save`` receives the partial result after each
    stage, so that a run stopped during the (long) HNSW build keeps what it measured."""
    progress(f"{size}: vectors")
    vectors = synthetic(base, size, seed=size)
    attrs = attributes(size, seed=size)
    offers = attrs["kind"] == "offer"
    keep = offers & (attrs["status"] == "published") & (attrs["language"] == "vi")
    truth = {}
    for label, rows in (("kind", offers), ("kind_status_language", keep)):
        chosen = np.flatnonzero(rows)
        sims = queries @ vectors[chosen].T
        truth[label] = chosen[np.argsort(-sims, axis=1)[:, :10]]
    fresh = synthetic(base, 100, seed=size + 7)
    started = time.perf_counter()
    out: dict[str, Any] = {
        "uptime_start": uptime(),
        "offers": int(offers.sum()),
        "offers_published_vi": int(keep.sum()),
    }
    out.update(measure_faiss(vectors, attrs, queries, truth, np.flatnonzero(keep), fresh))
    out["load"] = load_summary()
    save(out)
    gc.collect()

    def checkpoint(partial: dict[str, Any]) -> None:
        save({**out, "pgvector_hnsw": partial, "load": load_summary()})

    out["pgvector_hnsw"] = measure_pgvector(
        url, vectors, attrs, queries, truth, fresh, work_mem, checkpoint
    )
    out["uptime_end"] = uptime()
    out["load"] = load_summary()
    out["wall_s"] = round(time.perf_counter() - started, 1)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100000")
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--backend", default="onnx", help="model backend for the base set")
    parser.add_argument("--per-corpus", type=int, default=500)
    parser.add_argument("--cache", type=Path, default=None, help="model cache directory")
    parser.add_argument("--shared-buffers", default="1GB")
    parser.add_argument("--maintenance-work-mem", default="1GB", help="HNSW build memory")
    parser.add_argument("--out", type=Path, default=RESULT)
    args = parser.parse_args()
    sample_load()
    base = base_vectors(args.backend, args.per_corpus, args.cache)
    queries = synthetic(base, args.queries, seed=1)
    report: dict[str, Any] = json.loads(args.out.read_text()) if args.out.is_file() else {}
    report.update(
        {
            "how": "python benchmarks/bench_vector_store.py --sizes " + args.sizes,
            "vectors": "Dirichlet mixes of 3 real e5-small embeddings + N(0, 0.02), 384-d",
            "cpu": cpu(),
            "machine": machine(args.backend),
            "pgvector": {
                "server": "pgserver wheel: PostgreSQL 16.2, pgvector 0.6.2, Unix socket",
                "shared_buffers": args.shared_buffers,
                "maintenance_work_mem": args.maintenance_work_mem,
                "hnsw": "m 16, ef_construction 64, vector_ip_ops",
            },
            "queries": args.queries,
        }
    )
    report.setdefault("sizes", {})
    with tempfile.TemporaryDirectory(prefix="bench-pgvector-") as folder:
        server = start_server(Path(folder), args.shared_buffers)
        try:
            for size in (int(s) for s in args.sizes.split(",")):

                def save(result: dict[str, Any], key: str = str(size)) -> None:
                    report["sizes"][key] = result
                    args.out.parent.mkdir(parents=True, exist_ok=True)
                    args.out.write_text(json.dumps(report, indent=2) + "\n")

                result = measure(
                    size, base, queries, server.get_uri(), args.maintenance_work_mem, save
                )
                save(result)
                print(json.dumps({size: result}, indent=1), file=sys.stderr, flush=True)
        finally:
            from pgserver._commands import pg_ctl  # type: ignore[attr-defined]

            # the restart gave the server a new pid, which pgserver's cleanup does not know
            pg_ctl(["-w", "stop"], pgdata=Path(folder), user=server.system_user, timeout=120)
            server.cleanup()


if __name__ == "__main__":
    main()
