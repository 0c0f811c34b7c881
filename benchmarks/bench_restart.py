"""Restart, first match after a write, and memory, at 100,000 postings (in process).

What it measures (one run, one result file, ``benchmarks/results/restart.json``):

1. builds a pool of N synthetic postings straight into the engine's store: titles and
   descriptions recombined from dev-set sentences (``bench_pairs.synthetic_postings``),
   tokens and key terms drawn from the real underthesea features of 150 of them (so BM25
   sees a realistic vocabulary without 100,000 segmentations, which take hours here),
   384-dimensional random unit vectors (``RandomModel``: restart embeds nothing, so the
   vectors' meaning does not matter); then the bias fit, FAISS, BM25 and z statistics as
   a write would build them; the same rows go into a SQLite database, and the index is
   saved with the rows' fingerprints, as the service saves it;
2. **restart**: ``MatchEngine.load`` alone, then ``Matcher.start`` (load + reconcile with
   the 100,000 database rows: what ``techmatch serve`` does before it answers ``/health``,
   less loading the embedding model), then the first match;
3. **first match after a write**: ``--writes`` times, one new need is synced through the
   matcher (real segmentation of its text) and a match of a random published need is timed
   right after it (median, max), with the write's time;
4. **memory**: the deep size of the engine's parts (``bench_memory.measure``) and the
   growth of resident memory over the load, per posting.

Times are wall-clock and, where the machine is shared, also CPU seconds of the process
(load, start) or of the requesting thread (matches), which waiting for a core leaves out.

    python benchmarks/bench_restart.py [--postings 100000 --writes 10]
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.bench_memory import measure, rss_bytes  # noqa: E402
from benchmarks.bench_pairs import synthetic_postings  # noqa: E402
from benchmarks.machine import machine  # noqa: E402
from indexer.engine import MatchEngine  # noqa: E402
from indexer.features import featurise, prepare  # noqa: E402
from indexer.postings import Posting  # noqa: E402

RESULT = ROOT / "benchmarks" / "results" / "restart.json"


def thread_cpu() -> float:
    """CPU seconds of the calling thread (a busy machine's waits for a core not counted)."""
    return time.thread_time()


class RandomModel:
    """Text → a hash-seeded random unit vector (384-d): stands in where nothing is embedded."""

    name = "synthetic-random"
    dimension = 384

    def encode(self, texts: Sequence[str], batch_size: int = 32) -> np.ndarray:
        """One unit vector per text, the same for the same text."""
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for row, text in enumerate(texts):
            seed = int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "big")
            vector = np.random.default_rng(seed).normal(size=self.dimension)
            out[row] = vector / np.linalg.norm(vector)
        return out


def build_pool(
    n: int, seed: int = 5, model: Any = None, config: Any = None
) -> tuple[MatchEngine, list[Posting]]:
    """An engine over ``n`` synthetic postings (see the module docstring, step 1);
    ``model`` (default :class:`RandomModel`) names the index and embeds the key terms,
    ``config`` is the engine's (default: the engine's defaults)."""
    model = model if model is not None else RandomModel()
    postings = [prepare(p) for p in synthetic_postings(n // 2, n - n // 2, seed)]
    postings = [
        Posting(p.id, p.kind, f"{p.title} {p.id}", p.description, p.keywords, p.sector, p.trl,
                p.language, "published" if p.id % 10 else "draft")
        for p in postings
    ]  # fmt: skip
    rng = np.random.default_rng(seed)
    templates = [featurise(postings[int(i)], 8) for i in rng.integers(0, n, 150)]
    engine = MatchEngine(model, config)
    store = engine.store
    vectors = rng.normal(size=(n, model.dimension)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    for row, posting in enumerate(postings):
        a, b = (templates[int(i)] for i in rng.integers(0, len(templates), 2))
        tokens = a.tokens[: len(a.tokens) // 2] + b.tokens[len(b.tokens) // 2 :]
        terms = list(dict.fromkeys(a.terms[:4] + b.terms[:4]))
        store.put(posting)
        store.raw[posting.id] = vectors[row]
        store.hashes[posting.id] = posting.content_hash()
        store.tokens[posting.id] = tokens
        store.terms[posting.id] = terms
    for t in templates:
        for term in t.terms:
            store.term_vectors.setdefault(term, model.encode([term])[0])
    engine.concepts.reset(store.postings.values())  # as upserts would have kept it
    engine.indexer.refit()
    engine.match(postings[0].id)  # the first BM25 builds (synchronous when empty)
    engine.match(postings[-1].id)
    engine.wait_for_background()
    return engine, postings


def fill_database(url: str, postings: list[Posting]) -> dict[int, int]:
    """Insert the postings as rows; returns each row's fingerprint (what a save keeps)."""
    from sqlalchemy import insert, select

    from service.db.engine import Database
    from service.db.models import Base, PostingRow
    from service.matching import _PRINT_COLUMNS, row_fingerprint

    database = Database(url)
    Base.metadata.create_all(database.engine)
    rows = [
        {"id": p.id, "kind": p.kind, "title": p.title, "description": p.description,
         "keywords": list(p.keywords), "sector": p.sector, "trl": p.trl,
         "language": p.language or "", "status": p.status, "expires_on": None,
         "owner_org": "bench", "search_text": "", "content_hash": p.content_hash()}
        for p in postings
    ]  # fmt: skip
    with database.session(write=True) as session:
        for start in range(0, len(rows), 5000):
            session.execute(insert(PostingRow), rows[start : start + 5000])
        session.commit()
    with database.session() as session:  # the fingerprints of the rows as stored
        stored = session.execute(select(*_PRINT_COLUMNS))
        prints = {int(values[0]): row_fingerprint(values) for values in stored}
    database.engine.dispose()
    return prints


def add_need(database: Any, posting_id: int, n: int) -> None:
    """Insert one published need (a short bilingual text) as the API would."""
    from service.db.models import PostingRow
    from service.matching import content_hash

    with database.session(write=True) as session:
        row = PostingRow(
            id=posting_id, kind="need", title=f"Cảm biến oxy hoà tan cho ao tôm số {n}",
            description="Cần hệ thống cảm biến đo oxy và pH, cảnh báo qua điện thoại.",
            language="vi", sector="aquaculture_fisheries", keywords=["cảm biến"], trl=5,
            status="published", owner_org="bench", search_text="", content_hash="",
        )  # fmt: skip
        row.content_hash = content_hash(row)
        session.add(row)
        session.commit()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postings", type=int, default=100_000)
    parser.add_argument("--writes", type=int, default=10)
    parser.add_argument("--out", type=Path, default=RESULT)
    args = parser.parse_args()

    from service.db.engine import Database
    from service.matching import Matcher, _fingerprint_arrays

    report: dict[str, Any] = {"postings": args.postings, "model": RandomModel.name}
    started = time.perf_counter()
    engine, postings = build_pool(args.postings)
    report["build_s"] = round(time.perf_counter() - started, 1)
    with tempfile.TemporaryDirectory(prefix="techmatch-restart-") as tmp:
        url = f"sqlite:///{tmp}/bench.db"
        prints = fill_database(url, postings)
        started = time.perf_counter()
        path = engine.save(Path(tmp) / "index", extra=_fingerprint_arrays(prints))
        report["save_s"] = round(time.perf_counter() - started, 2)
        report["index_file_bytes_per_posting"] = round(path.stat().st_size / len(postings))
        model = engine.model
        del engine
        gc.collect()

        before = rss_bytes()
        started, cpu = time.perf_counter(), time.process_time()
        loaded = MatchEngine.load(Path(tmp) / "index", model)
        report["engine_load_s"] = round(time.perf_counter() - started, 2)
        report["engine_load_cpu_s"] = round(time.process_time() - cpu, 2)
        gc.collect()
        report["rss_delta_per_posting_after_load"] = round((rss_bytes() - before) / len(loaded))
        report["bytes_per_posting"] = {
            k: round(v / len(loaded)) for k, v in measure(loaded).items()
        }
        del loaded
        gc.collect()

        database = Database(url)
        matcher = Matcher(database, model.name, Path(tmp) / "index", model=model, save_delay=-1)
        started, cpu = time.perf_counter(), time.process_time()
        matcher.start()
        report["matcher_start_s"] = round(time.perf_counter() - started, 2)
        report["matcher_start_cpu_s"] = round(time.process_time() - cpu, 2)
        report["rebuilt_at_start"] = matcher.rebuilt
        report["reconciled_at_start"] = matcher.reconciled
        needs = [p.id for p in postings if p.kind == "need" and p.status == "published"]
        started = time.perf_counter()
        matcher.matches(needs[0])
        report["first_match_after_start_ms"] = round((time.perf_counter() - started) * 1000, 1)

        rng = np.random.default_rng(3)
        writes, reads, read_cpu = [], [], []
        for n in range(args.writes):
            new_id = 5_000_000 + n
            add_need(database, new_id, n)
            started = time.perf_counter()
            matcher.sync([new_id])
            writes.append(time.perf_counter() - started)
            target = needs[int(rng.integers(len(needs)))]
            started, cpu = time.perf_counter(), thread_cpu()
            matcher.matches(target)
            reads.append(time.perf_counter() - started)
            read_cpu.append(thread_cpu() - cpu)
        report["after_writes"] = {
            "writes": args.writes,
            "write_median_ms": round(statistics.median(writes) * 1000, 1),
            "first_match_after_write_median_ms": round(statistics.median(reads) * 1000, 1),
            "first_match_after_write_max_ms": round(max(reads) * 1000, 1),
            "first_match_after_write_cpu_median_ms": round(statistics.median(read_cpu) * 1000, 1),
            "own_posting_matched": bool(matcher.matches(5_000_000)),
        }
        steady, steady_cpu = [], []
        for target in rng.choice(needs, 30):
            started, cpu = time.perf_counter(), thread_cpu()
            matcher.matches(int(target))
            steady.append(time.perf_counter() - started)
            steady_cpu.append(thread_cpu() - cpu)
        report["match_without_writes_median_ms"] = round(statistics.median(steady) * 1000, 1)
        report["match_without_writes_cpu_median_ms"] = round(
            statistics.median(steady_cpu) * 1000, 1
        )
        matcher._engine.wait_for_background()  # type: ignore[union-attr]
        matcher.close()
        database.engine.dispose()
    report["date"] = date.today().isoformat()
    report["machine"] = machine(None)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
