"""Server time of the moderators' ``/review`` page over a pool of at least 2,000 pairs.

Seeds a fresh SQLite app (hashing model: the ranking's cost does not depend on the
embedder) with the synthetic pool of ``tests/web/review_pool.py`` (``--needs`` needs and
``--offers`` offers, three offers per need in the queue), signs a moderator in, then asks
``GET /review`` ``--requests`` times over pages 1–10 and filters, taking a decision every
fifth request (decisions never re-rank: the snapshot stays). Server time is measured
inside the ASGI app, from the request to the last byte of the answer. The first view
after a posting change ranks the pool; it is reported apart ("cold").

Prints the figures and writes ``benchmarks/results/review_page.json``.

    python benchmarks/bench_review_page.py [--needs 1100] [--offers 1100] [--requests 60]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from fastapi.testclient import TestClient  # noqa: E402

from models import load_model  # noqa: E402
from service.main import create_app  # noqa: E402
from service.ranked_pairs import QueueFilters, RankedPairs  # noqa: E402
from service.reviews import ReviewService  # noqa: E402
from tests.web.conftest import Web, make_keys, web_settings  # noqa: E402
from tests.web.review_pool import seed_pool  # noqa: E402

RESULT = ROOT / "benchmarks" / "results" / "review_page.json"
QUERIES = ["", "&status=all", "&lang_pair=vi-en", "&min_score=0.2", "&status=all&lang=en"]


class Timed:
    """An ASGI wrapper recording each HTTP request's server time (seconds)."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.times: list[tuple[str, float]] = []

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()

        async def timed_send(message: Any) -> None:
            await send(message)
            if message["type"] == "http.response.body" and not message.get("more_body"):
                self.times.append((scope["path"], time.perf_counter() - started))

        await self.app(scope, receive, timed_send)


def cpu() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor()


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--needs", type=int, default=1100)
    parser.add_argument("--offers", type=int, default=1100)
    parser.add_argument("--requests", type=int, default=60)
    args = parser.parse_args()
    directory = Path(tempfile.mkdtemp(prefix="bench-review-"))
    app = create_app(web_settings(directory), model=load_model("hashing", None))
    timed = Timed(app)
    with TestClient(timed) as client:
        started = time.perf_counter()
        seed_pool(app.state.postings, args.needs, args.offers)
        seeded_s = time.perf_counter() - started
        reviews = ReviewService(app.state.database)
        ranked = RankedPairs(app.state.postings, app.state.matcher, reviews)
        web = Web(client, make_keys(app.state.database))
        web.sign_in("moderator")
        timed.times.clear()
        client.get("/review")  # the first view after the seeding ranks the pool
        cold = timed.times[-1][1]
        queue = ranked.queue(QueueFilters())
        token = web.csrf("/review")
        times: list[float] = []
        for n in range(args.requests):
            page = n % 10 + 1
            query = QUERIES[n % len(QUERIES)]
            timed.times.clear()
            response = client.get(f"/review?page={page}{query}")
            assert response.status_code == 200, response.status_code
            times.append(timed.times[-1][1])
            if n % 5 == 4:
                pair = ranked.queue(QueueFilters(), offset=n * 3, limit=1).pairs[0]
                client.post(
                    "/review/decide",
                    data={
                        "csrf_token": token,
                        "pair_id": pair.match.pair_id,
                        "decision": "accepted",
                        "expected_revision": "",
                    },
                    headers={"Accept": "application/json"},
                )
        after = ranked.queue(QueueFilters())
    result = {
        "pool_pairs": queue.pool,
        "postings": args.needs + args.offers,
        "requests": len(times),
        "p50_ms": round(1000 * statistics.median(times), 1),
        "p95_ms": round(1000 * percentile(times, 0.95), 1),
        "max_ms": round(1000 * max(times), 1),
        "cold_first_view_ms": round(1000 * cold, 1),
        "decisions": args.requests // 5,
        "unreviewed_before_after": [queue.unreviewed, after.unreviewed],
        "seed_s": round(seeded_s, 1),
        "cpu": cpu(),
        "cores": os.cpu_count(),
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "python": platform.python_version(),
    }
    RESULT.parent.mkdir(parents=True, exist_ok=True)
    RESULT.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
