"""Vector index at 10k and 100k postings: exact FAISS Flat vs HNSW vs IVF (ours).

Synthetic but realistic vectors: the real default model embeds a base set once (every
development-set posting's text and title, plus the first Tatoeba and IWSLT sentences in
both languages), cached as ``benchmarks/results/cache/base_<backend>.npy`` (git-ignored).
Embedding 100k texts with the real model on 2 cores would take hours, so each synthetic
posting is a *random mix of real embeddings*: ``normalise(w1·a + w2·b + w3·c + ε)`` with
three random base vectors, Dirichlet weights and small Gaussian noise (σ = 0.02 per
dimension). Queries are made the same way from different draws.

Per size and index: build time, index bytes per posting (``faiss.serialize_index``),
single-query top-10 latency p50/p99 (one query at a time, like ``MatchEngine.match``) and
recall@10 against exact search. Writes ``benchmarks/results/index_scale.json``.

    python benchmarks/bench_index_scale.py [--sizes 10000,100000] [--queries 300]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

import faiss
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.machine import machine  # noqa: E402
from indexer.ann import IVFIndex  # noqa: E402

CACHE = ROOT / "benchmarks" / "results" / "cache"
RESULT = ROOT / "benchmarks" / "results" / "index_scale.json"
BITEXT_DIR = ROOT.parent / "shared" / "data" / "bitext"


def base_vectors(backend: str, per_corpus: int, cache: Path | None = None) -> np.ndarray:
    """Real embeddings of dev-set postings and bitext sentences (cached .npy)."""
    path = CACHE / f"base_{backend}_{per_corpus}.npy"
    if path.is_file():
        return np.load(path)
    from indexer.evaluation.bitext import read_bitext
    from indexer.evaluation.devset import load_devset
    from models import load_model

    devset = load_devset()
    postings = devset.needs + devset.offers
    texts = [p.text() for p in postings] + [p.title for p in postings]
    for corpus in ("tatoeba.vie-eng", "iwslt15-tst2013"):
        if (BITEXT_DIR / f"{corpus}.vi").is_file():
            vi, en = read_bitext(BITEXT_DIR, corpus)
            texts += vi[:per_corpus] + en[:per_corpus]
    vectors = load_model(cache_dir=cache, backend=backend).encode(texts)
    CACHE.mkdir(parents=True, exist_ok=True)
    (CACHE / ".gitignore").write_text("*\n")
    np.save(path, vectors)
    return vectors


def synthetic(base: np.ndarray, n: int, seed: int) -> np.ndarray:
    """``n`` unit vectors, each a random Dirichlet mix of 3 base vectors plus noise."""
    rng = np.random.default_rng(seed)
    picks = rng.integers(0, len(base), size=(n, 3))
    weights = rng.dirichlet([1.0, 1.0, 1.0], size=n).astype(np.float32)
    out = np.einsum("nk,nkd->nd", weights, base[picks])
    out += rng.normal(scale=0.02, size=out.shape).astype(np.float32)
    out /= np.linalg.norm(out, axis=1, keepdims=True)
    return np.ascontiguousarray(out, dtype=np.float32)


def _latencies(search: Any, queries: np.ndarray, k: int) -> tuple[np.ndarray, dict[str, float]]:
    found, times = [], []
    for q in queries:
        started = time.perf_counter()
        _, ids = search(q[None, :], k)
        times.append(time.perf_counter() - started)
        found.append(ids[0])
    ms = np.array(times) * 1000
    return np.array(found), {
        "p50_ms": round(float(np.percentile(ms, 50)), 3),
        "p99_ms": round(float(np.percentile(ms, 99)), 3),
    }


def _recall(found: np.ndarray, exact: np.ndarray) -> float:
    return round(
        float(np.mean([len(set(f) & set(e)) / len(e) for f, e in zip(found, exact, strict=True)])),
        4,
    )


def measure(vectors: np.ndarray, queries: np.ndarray, k: int = 10) -> dict[str, Any]:
    """Flat, HNSW (M=32, efSearch 64/128) and IVF (nprobe 8/16/32) on one pool."""
    n, d = vectors.shape
    ids = np.arange(n, dtype=np.int64)
    out: dict[str, Any] = {}

    started = time.perf_counter()
    flat = faiss.IndexIDMap2(faiss.IndexFlatIP(d))
    flat.add_with_ids(vectors, ids)
    build = time.perf_counter() - started
    exact, lat = _latencies(lambda q, kk: flat.search(q, kk), queries, k)
    out["flat"] = {
        "build_s": round(build, 2),
        "bytes_per_posting": round(len(faiss.serialize_index(flat)) / n),
        **lat,
        "recall@10": 1.0,
        "supports_remove": True,
    }

    started = time.perf_counter()
    graph = faiss.IndexHNSWFlat(d, 32, faiss.METRIC_INNER_PRODUCT)
    graph.hnsw.efConstruction = 40
    hnsw = faiss.IndexIDMap2(graph)
    hnsw.add_with_ids(vectors, ids)
    build = time.perf_counter() - started
    size = len(faiss.serialize_index(hnsw)) / n
    for ef in (64, 128):
        graph.hnsw.efSearch = ef
        found, lat = _latencies(lambda q, kk: hnsw.search(q, kk), queries, k)
        out[f"hnsw_ef{ef}"] = {
            "build_s": round(build, 2),
            "bytes_per_posting": round(size),
            **lat,
            "recall@10": _recall(found, exact),
            "supports_remove": False,
        }

    started = time.perf_counter()
    ivf = IVFIndex(ids, vectors)
    build = time.perf_counter() - started
    size = len(faiss.serialize_index(ivf._index)) / n + 8  # + the Python id set, roughly
    for nprobe in (8, 16, 32):
        ivf.nprobe = nprobe
        found, lat = _latencies(lambda q, kk: ivf.search(q, kk), queries, k)
        out[f"ivf_nprobe{nprobe}"] = {
            "build_s": round(build, 2),
            "nlist": ivf.nlist,
            "bytes_per_posting": round(size),
            **lat,
            "recall@10": _recall(found, exact),
            "supports_remove": True,
        }
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--backend", default="onnx", help="model backend for the base set")
    parser.add_argument("--per-corpus", type=int, default=500)
    parser.add_argument("--cache", type=Path, default=None, help="model cache directory")
    parser.add_argument("--out", type=Path, default=RESULT)
    args = parser.parse_args()
    base = base_vectors(args.backend, args.per_corpus, args.cache)
    report: dict[str, Any] = {
        "base_vectors": int(len(base)),
        "how": "random Dirichlet mixes of 3 real embeddings + N(0, 0.02) noise, renormalised",
        "faiss_threads": faiss.omp_get_max_threads(),
        "load_average_start": [round(x, 2) for x in os.getloadavg()],
        "sizes": {},
        "machine": machine(args.backend),
    }
    queries = synthetic(base, args.queries, seed=1)
    for size in (int(s) for s in args.sizes.split(",")):
        vectors = synthetic(base, size, seed=size)
        report["sizes"][str(size)] = measure(vectors, queries)
        report["sizes"][str(size)]["load_average"] = [round(x, 2) for x in os.getloadavg()]
        print(json.dumps({size: report["sizes"][str(size)]}), file=sys.stderr, flush=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    print("| size | index | build s | bytes/posting | p50 ms | p99 ms | recall@10 | remove |")
    print("|---|---|---|---|---|---|---|---|")
    for size, rows in report["sizes"].items():
        for name, r in rows.items():
            if name == "load_average":
                continue
            print(
                f"| {size} | {name} | {r['build_s']} | {r['bytes_per_posting']} | "
                f"{r['p50_ms']} | {r['p99_ms']} | {r['recall@10']} | {r['supports_remove']} |"
            )
    print(f"\nload average {report['load_average_start']}")


if __name__ == "__main__":
    main()
