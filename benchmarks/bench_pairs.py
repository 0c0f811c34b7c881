"""``MatchEngine.pairs`` over 5,000 needs × 5,000 offers: time and peak memory.

Postings are recombined from the development set: each synthetic posting copies a
random dev posting of its kind (title, sector, TRL, language, keywords) and gets a
description of 2–4 sentences drawn from random dev postings of the same kind and
language, so BM25, key terms and language statistics see realistic text. Embedding
10,000 texts with the real model would take ~10 min here, so vectors come from
``MixModel``: each text maps (by a hash of the text) to a Dirichlet mix of 3 real
embeddings of the base set of ``bench_index_scale.py`` plus small noise.

Measures the indexing time (upsert; not the target), then ``pairs(limit, per_need=3,
per_offer=3)`` batched (one FAISS search per 1,024 needs) and, on a subset of needs,
the per-need path for the ratio. Peak memory: ``ru_maxrss`` (whole process) and the
tracemalloc peak of Python allocations during a second, untimed ``pairs`` run
(``--tracemalloc``). Writes
``benchmarks/results/pairs.json``.

    python benchmarks/bench_pairs.py [--needs 5000 --offers 5000] [--per-need-subset 300]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import resource
import sys
import time
import tracemalloc
from collections.abc import Sequence
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.bench_index_scale import base_vectors  # noqa: E402
from benchmarks.machine import machine  # noqa: E402
from indexer.engine import MatchEngine  # noqa: E402
from indexer.evaluation.devset import load_devset  # noqa: E402
from indexer.postings import Posting  # noqa: E402

RESULT = ROOT / "benchmarks" / "results" / "pairs.json"


class MixModel:
    """Deterministic text → unit vector: a hash-seeded mix of real base embeddings."""

    name = "synthetic-mix"

    def __init__(self, base: np.ndarray) -> None:
        self.base = base.astype(np.float32)
        self.dimension = int(base.shape[1])

    def encode(self, texts: Sequence[str], batch_size: int = 32) -> np.ndarray:
        """One mixed unit vector per text."""
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for row, text in enumerate(texts):
            seed = int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "big")
            rng = np.random.default_rng(seed)
            picks = rng.integers(0, len(self.base), 3)
            vector = rng.dirichlet([1.0, 1.0, 1.0]) @ self.base[picks]
            vector += rng.normal(scale=0.02, size=self.dimension)
            out[row] = vector / np.linalg.norm(vector)
        return out


def synthetic_postings(n_needs: int, n_offers: int, seed: int = 7) -> list[Posting]:
    """Needs (ids 1..) and offers (ids 1_000_001..) recombined from dev-set sentences."""
    devset = load_devset()
    rng = np.random.default_rng(seed)
    out: list[Posting] = []
    for kind, templates, count, first_id in (
        ("need", devset.needs, n_needs, 1),
        ("offer", devset.offers, n_offers, 1_000_001),
    ):
        sentences: dict[str | None, list[str]] = {}
        for p in templates:
            parts = [s.strip() for s in p.description.replace("\n", " ").split(". ") if s.strip()]
            sentences.setdefault(p.language, []).extend(parts)
        for n in range(count):
            t = templates[int(rng.integers(len(templates)))]
            pool = sentences[t.language]
            chosen = [pool[int(i)] for i in rng.integers(0, len(pool), int(rng.integers(2, 5)))]
            out.append(
                Posting(
                    id=first_id + n,
                    kind=t.kind,
                    title=t.title,
                    description=". ".join(chosen),
                    keywords=t.keywords,
                    sector=t.sector,
                    trl=t.trl,
                    language=t.language,
                )
            )
        assert kind in ("need", "offer")
    return out


def _rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--needs", type=int, default=5000)
    parser.add_argument("--offers", type=int, default=5000)
    parser.add_argument("--limit", type=int, default=5000)
    parser.add_argument("--per-need-subset", type=int, default=300)
    parser.add_argument("--tracemalloc", action="store_true", help="also measure peak allocations")
    parser.add_argument("--backend", default="onnx-int8", help="backend of the cached base set")
    parser.add_argument("--cache", type=Path, default=None, help="model cache directory")
    parser.add_argument("--out", type=Path, default=RESULT)
    args = parser.parse_args()

    report: dict = {"needs": args.needs, "offers": args.offers, "limit": args.limit}
    report["load_average_start"] = [round(x, 2) for x in os.getloadavg()]
    postings = synthetic_postings(args.needs, args.offers)
    engine = MatchEngine(MixModel(base_vectors(args.backend, 500, args.cache)))
    started = time.perf_counter()
    engine.upsert(postings)
    report["index_s"] = round(time.perf_counter() - started, 1)
    report["rss_after_index_mib"] = round(_rss_mib(), 1)

    started = time.perf_counter()
    pairs = engine.pairs(limit=args.limit, per_need=3, per_offer=3)
    report["pairs_batched_s"] = round(time.perf_counter() - started, 2)
    report["pairs_returned"] = len(pairs)
    report["rss_peak_mib"] = round(_rss_mib(), 1)
    if args.tracemalloc:  # a second run: tracemalloc slows Python code ~3x, so not timed
        clear = getattr(engine, "clear_caches", None)  # before issue 10: a private dict
        clear() if clear else engine._best_need_cache.clear()  # type: ignore[attr-defined]
        tracemalloc.start()
        engine.pairs(limit=args.limit, per_need=3, per_offer=3)
        report["pairs_tracemalloc_peak_mib"] = round(tracemalloc.get_traced_memory()[1] / 2**20, 1)
        tracemalloc.stop()

    if args.per_need_subset:
        subset = [p.id for p in postings if p.kind == "need"][: args.per_need_subset]
        timings = {}
        results = {}
        for batched in (False, True):
            started = time.perf_counter()
            results[batched] = engine.pairs(limit=args.limit, need_ids=subset, batched=batched)
            timings[batched] = time.perf_counter() - started
        report["subset_needs"] = len(subset)
        report["subset_per_need_s"] = round(timings[False], 2)
        report["subset_batched_s"] = round(timings[True], 2)
        report["subset_same_pairs"] = [(m.need_id, m.offer_id) for m in results[False]] == [
            (m.need_id, m.offer_id) for m in results[True]
        ]
    report["load_average_end"] = [round(x, 2) for x in os.getloadavg()]
    report["machine"] = machine(args.backend)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
