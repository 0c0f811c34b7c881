"""Building a session's schedule problem, scores included: 300 participants, 1,500 pairs.

Times what ``POST /sessions/{id}/schedule`` does before the solver runs, through the
service's planning path: :func:`service.sessions.planning.session_pairs`, the scores of
those pairs from :meth:`service.matching.Matcher.scores`, then ``candidates`` and
``schedule_problem``. The postings (150 needs, 150 offers) are recombined from the dev set
(``bench_pairs.synthetic_postings``) and stored in a temporary SQLite database; the
model is ``hashing`` (no weights) unless ``--model`` names another (the real one is
loaded from ``--cache``). Pairs: 1,500 distinct need–offer pairs drawn with skewed
popularity (as ``bench_schedule.py``), a third of them with mutual interest. Each repeat
starts with the engine's per-pool caches cleared. Prints the median seconds as JSON.

    python benchmarks/bench_schedule_problem.py [--repeats 5] [--model hashing] [--cache DIR]

Runs on the code before issue 10 as well (its ``Matcher.scores`` built full matches).
"""

from __future__ import annotations

import argparse
import json
import platform
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.bench_pairs import synthetic_postings  # noqa: E402
from models import load_model  # noqa: E402
from service.db.engine import Database  # noqa: E402
from service.db.models import Base, PostingRow  # noqa: E402
from service.matching import Matcher, content_hash  # noqa: E402
from service.sessions.planning import candidates, schedule_problem, session_pairs  # noqa: E402


def store_postings(database: Database, needs: int, offers: int) -> tuple[list[int], list[int]]:
    """Synthetic postings written to the database; their need ids and offer ids."""
    postings = synthetic_postings(needs, offers)
    with database.session(write=True) as session:
        for p in postings:
            row = PostingRow(
                id=p.id,
                kind=p.kind,
                title=p.title[:200],
                description=p.description,
                language=p.language or "other",
                sector=p.sector,
                keywords=list(p.keywords),
                trl=p.trl,
                status="published",
                owner_org="bench",
                search_text="",
                content_hash="",
            )
            row.content_hash = content_hash(row)
            session.add(row)
        session.commit()
    need_ids = [p.id for p in postings if p.kind == "need"]
    return need_ids, [p.id for p in postings if p.kind == "offer"]


def draw_pairs(
    need_ids: list[int], offer_ids: list[int], count: int, seed: int
) -> list[tuple[int, int]]:
    """``count`` distinct pairs, some postings much more popular than others."""
    rng = random.Random(seed)
    need_w = [rng.lognormvariate(0.0, 0.8) for _ in need_ids]
    offer_w = [rng.lognormvariate(0.0, 0.8) for _ in offer_ids]
    chosen: set[tuple[int, int]] = set()
    while len(chosen) < count:
        chosen.add((rng.choices(need_ids, need_w)[0], rng.choices(offer_ids, offer_w)[0]))
    return sorted(chosen)


def clear_caches(matcher: Matcher) -> None:
    """Empty the engine's per-pool caches (public since issue 10, private dicts before)."""
    engine: Any = matcher._engine  # noqa: SLF001 (a benchmark of both versions)
    if hasattr(engine, "clear_caches"):
        engine.clear_caches()
        return
    for name in ("_best_need_cache", "_allowed_cache", "_prepared"):
        getattr(engine, name).clear()


def build_once(matcher: Matcher, accepted: list[tuple[int, int]], mutual: set[tuple[int, int]]):
    """The planning path of one schedule request, up to the solver."""
    pairs = session_pairs(accepted, mutual)
    found = candidates(pairs, matcher.scores(pairs.to_score), 0.0)
    return schedule_problem(
        found,
        slots=16,
        tables=60,
        max_meetings_per_participant=8,
        fairness_k=2,
        unavailable={},
        previous=(),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--needs", type=int, default=150)
    parser.add_argument("--offers", type=int, default=150)
    parser.add_argument("--pairs", type=int, default=1500)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--model", default="hashing")
    parser.add_argument("--cache", type=Path, default=None, help="model cache directory")
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args()

    model = load_model(args.model, args.cache)
    with tempfile.TemporaryDirectory() as tmp:
        database = Database(f"sqlite:///{tmp}/bench.db")
        Base.metadata.create_all(database.engine)
        need_ids, offer_ids = store_postings(database, args.needs, args.offers)
        matcher = Matcher(database, model.name, Path(tmp) / "index", model=model, save_delay=-1)
        started = time.perf_counter()
        matcher.start()
        index_s = time.perf_counter() - started
        accepted = draw_pairs(need_ids, offer_ids, args.pairs, args.seed)
        mutual = set(random.Random(args.seed).sample(accepted, len(accepted) // 3))
        times: list[float] = []
        problem = None
        for _ in range(args.repeats):
            clear_caches(matcher)
            started = time.perf_counter()
            problem = build_once(matcher, accepted, mutual)
            times.append(time.perf_counter() - started)
        matcher.close()
        database.dispose()
    assert problem is not None
    print(
        json.dumps(
            {
                "participants": args.needs + args.offers,
                "pairs": len(accepted),
                "candidates": len(problem.pairs),
                "value_sum": round(sum(c.value for c in problem.pairs), 4),
                "model": model.name,
                "repeats": args.repeats,
                "median_s": round(statistics.median(times), 4),
                "times_s": [round(t, 4) for t in times],
                "index_s": round(index_s, 2),
                "python": platform.python_version(),
            }
        )
    )


if __name__ == "__main__":
    main()
