"""SIGKILL during a burst of writes: after a restart, database and index agree.

The server runs as ``techmatch serve`` in a subprocess on a random free port of
127.0.0.1, with index saves every 50 ms so that the kill can land in the middle of one.
"""

from __future__ import annotations

import random
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from models import load_model
from service.db.engine import Database
from service.db.models import PostingRow
from tests.service.conftest import ADMIN_KEY, database_url_for, posting
from tests.service.servers import ServerProcess

WRITERS = 4


def writer(base: str, n: int, stop: threading.Event, acked: dict[str, Any]) -> None:
    rng = random.Random(n)
    headers = {"Authorization": f"Bearer {ADMIN_KEY}"}
    mine: list[tuple[str, int]] = []
    with httpx.Client(base_url=f"{base}/api/v1", headers=headers, timeout=10) as client:
        i = 0
        while not stop.is_set():
            i += 1
            try:
                action = rng.random()
                if action < 0.6 or not mine:
                    kind = rng.choice(["need", "offer"])
                    r = client.post(
                        f"/{kind}s",
                        json=posting(
                            title=f"Writer {n} item {i} {rng.choice(['solar', 'shrimp', 'robot'])}"
                        ),
                    )
                    if r.status_code == 201:
                        mine.append((kind, r.json()["id"]))
                        acked["created"].add(r.json()["id"])
                elif action < 0.85:
                    kind, pid = rng.choice(mine)
                    title = f"Writer {n} changed {i}"
                    acked["sent_titles"].setdefault(pid, []).append(title)
                    r = client.patch(f"/{kind}s/{pid}", json={"title": title})
                    if r.status_code == 200:
                        acked["titles"][pid] = title
                else:
                    kind, pid = mine.pop(rng.randrange(len(mine)))
                    acked["delete_sent"].add(pid)
                    r = client.delete(f"/{kind}s/{pid}")
                    if r.status_code == 204:
                        acked["deleted"].add(pid)
            except httpx.HTTPError:
                time.sleep(0.01)  # the server is gone: keep trying until told to stop


@pytest.mark.parametrize(
    "backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def test_sigkill_during_writes(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    url = database_url_for(backend, tmp_path, request)
    env = {
        "TECHMATCH_DATA_DIR": str(tmp_path / "data"),
        "TECHMATCH_DATABASE_URL": url,
        "TECHMATCH_MODEL": "hashing",
        "TECHMATCH_ADMIN_KEY": ADMIN_KEY,
        "TECHMATCH_INDEX_SAVE_DELAY": "0.05",
    }
    log = tmp_path / "server.log"
    server = ServerProcess(env, log).start()
    acked: dict[str, Any] = {
        "created": set(),
        "titles": {},
        "deleted": set(),
        "delete_sent": set(),
        "sent_titles": {},
    }
    stop = threading.Event()
    threads = [
        threading.Thread(target=writer, args=(server.base, n, stop, acked)) for n in range(WRITERS)
    ]
    try:
        for t in threads:
            t.start()
        deadline = time.time() + 30
        while len(acked["created"]) < 40 and time.time() < deadline:
            time.sleep(0.05)
        server.kill()  # mid-burst: writers are still sending
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=30)
    assert len(acked["created"]) >= 40, log.read_text()

    restarted = ServerProcess(env, log).start()
    try:
        headers = {"Authorization": f"Bearer {ADMIN_KEY}"}
        health = httpx.get(f"{restarted.base}/health").json()
        database = Database(url)
        try:
            with database.session() as session:
                rows = {r.id: r for r in session.scalars(select(PostingRow))}
        finally:
            database.dispose()
        # every acknowledged write survived (an unacknowledged one may have, too)
        assert acked["created"] - acked["delete_sent"] <= set(rows)
        assert not acked["deleted"] & set(rows)
        for pid, title in acked["titles"].items():
            if pid in rows:
                sent = acked["sent_titles"][pid]
                assert rows[pid].title in sent[sent.index(title) :]
        # the index holds exactly the database's postings
        assert health["index"]["size"] == len(rows)
        published = {i for i, r in rows.items() if r.status == "published"}
        with httpx.Client(base_url=f"{restarted.base}/api/v1", headers=headers, timeout=30) as c:
            for pid, row in list(rows.items())[:20]:
                r = c.get(f"/{row.kind}s/{pid}/matches", params={"limit": 100})
                assert r.status_code == 200, r.text
                other = "offer" if row.kind == "need" else "need"
                got = {item[other]["id"] for item in r.json()["items"]}
                assert got <= published
                assert all(rows[i].kind == other for i in got)
    finally:
        restarted.stop()

    # after a graceful stop the saved index equals the database
    from indexer.engine import MatchEngine

    engine = MatchEngine.load(tmp_path / "data" / "index", load_model("hashing", None))
    assert engine.content_hashes() == {i: r.content_hash for i, r in rows.items()}
