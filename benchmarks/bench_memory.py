"""Memory per posting of the match engine, by part: what 100k postings cost in RAM.

Builds a ``MatchEngine`` over N synthetic postings (``bench_pairs.synthetic_postings``:
dev-set sentences recombined; vectors from ``MixModel``, 384-dimensional like the real
model) and reports bytes per posting of:

* ``faiss``: both FAISS indexes (serialised size = their memory for Flat/IVF-Flat);
* ``raw_vectors``: the uncorrected vectors kept for refitting the bias correction (one
  float16 matrix, ``indexer.store.VectorTable``);
* ``vector_index``: the two together, i.e. everything dense search needs;
* ``lexical``: BM25 (every array of the build: scores by column and by row, vocabulary,
  id order; and the documents' id → tokens map);
* ``text_and_reasons``: postings, tokens, display forms, key terms and their vectors,
  per-posting z statistics (what explanations and scoring need beside the indexes);
* ``engine_total``: the sum; and ``rss_delta``: growth of the process's resident memory
  over the build (after garbage collection; segmentation models loaded beforehand), which
  adds the allocator's slack and what the BM25 builds leave behind;
* the time to save the engine to its one file and to load it back, and the file's size.

Sizes are deep ``sys.getsizeof`` sums (shared objects counted once). Writes
``benchmarks/results/memory.json``.

    python benchmarks/bench_memory.py [--postings 20000]
"""

from __future__ import annotations

import argparse
import dataclasses
import gc
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.bench_index_scale import base_vectors  # noqa: E402
from benchmarks.bench_pairs import MixModel, synthetic_postings  # noqa: E402
from benchmarks.machine import machine  # noqa: E402
from indexer.engine import MatchEngine  # noqa: E402

RESULT = ROOT / "benchmarks" / "results" / "memory.json"


def deep_size(obj: Any, seen: set[int]) -> int:
    """Bytes of ``obj`` and everything it references (each object once; numpy data incl.)."""
    if id(obj) in seen:
        return 0
    seen.add(id(obj))
    size = sys.getsizeof(obj)
    if isinstance(obj, np.ndarray):
        return size if obj.base is None else size + obj.nbytes
    if isinstance(obj, dict):
        size += sum(deep_size(k, seen) + deep_size(v, seen) for k, v in obj.items())
    elif isinstance(obj, list | tuple | set | frozenset):
        size += sum(deep_size(v, seen) for v in obj)
    elif hasattr(obj, "__dict__"):
        size += deep_size(vars(obj), seen)
    elif hasattr(obj, "__slots__"):
        size += sum(deep_size(getattr(obj, s), seen) for s in obj.__slots__ if hasattr(obj, s))
    return size


def rss_bytes() -> int:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def measure(engine: MatchEngine) -> dict[str, int]:
    """Bytes of each part of ``engine`` (see module docstring)."""
    seen: set[int] = set()
    ann, lexes = engine.retriever.ann, engine.retriever.lex
    faiss_bytes = sum(len(ann[k].to_bytes()) for k in ann)  # type: ignore[attr-defined]
    raw = deep_size(engine.store.raw, seen)
    store, bias = engine.store, engine.bias
    tokens = deep_size(store.tokens, seen)  # the arrays the BM25 documents share
    lexical = 0
    for lex in lexes.values():
        build = lex.snapshot()
        for part in dataclasses.fields(build):  # column- and row-wise scores, vocabulary
            lexical += deep_size(getattr(build, part.name), seen)
        lexical += deep_size(lex._docs, seen)  # the documents' id → tokens map
    text = tokens + sum(
        deep_size(part, seen)
        for part in (
            store.postings,
            store.hashes,
            store.terms,
            store.surfaces,
            store.term_vectors,
            bias.zstats,
            bias.reference,
            bias.stats,
        )
    )
    return {
        "faiss": faiss_bytes,
        "raw_vectors": raw,
        "vector_index": faiss_bytes + raw,
        "lexical": lexical,
        "text_and_reasons": text,
        "engine_total": faiss_bytes + raw + lexical + text,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postings", type=int, default=20000)
    parser.add_argument("--backend", default="onnx-int8", help="backend of the cached base set")
    parser.add_argument("--cache", type=Path, default=None, help="model cache directory")
    parser.add_argument("--out", type=Path, default=RESULT)
    args = parser.parse_args()
    postings = synthetic_postings(args.postings // 2, args.postings - args.postings // 2)
    model = MixModel(base_vectors(args.backend, 500, args.cache))
    MatchEngine(model).upsert(postings[:50])  # load underthesea's models etc. beforehand
    gc.collect()
    before = rss_bytes()
    engine = MatchEngine(model)
    for start in range(0, len(postings), 5000):
        engine.upsert(postings[start : start + 5000])
    engine.match(postings[0].id)  # builds the lazily built BM25 indexes
    engine.match(postings[-1].id)
    gc.collect()
    rss_delta = rss_bytes() - before
    parts = measure(engine)
    n = len(engine)
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        path = engine.save(Path(tmp))
        save_s = time.perf_counter() - started
        file_bytes = path.stat().st_size
        started = time.perf_counter()
        MatchEngine.load(Path(tmp), model)
        load_s = time.perf_counter() - started
    report = {
        "machine": machine(getattr(model, "backend", None)),
        "postings": n,
        "dimension": engine.dimension,
        "save_s": round(save_s, 2),
        "load_s": round(load_s, 2),
        "index_file_bytes_per_posting": round(file_bytes / n),
        "bytes_per_posting": {k: round(v / n) for k, v in parts.items()},
        "rss_delta_per_posting": round(rss_delta / n),
        "projected_mib_at_100k": {k: round(v / n * 100_000 / 2**20) for k, v in parts.items()},
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
