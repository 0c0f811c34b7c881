"""Eight clients create, update and delete postings at once over real HTTP (uvicorn on
127.0.0.1); afterwards every posting is in the database and in the index exactly once."""

from __future__ import annotations

import random
import threading
from typing import Any

import httpx
from sqlalchemy import select

from service.db.models import PostingRow
from tests.service.conftest import Api, posting
from tests.service.servers import ThreadServer

CLIENTS = 8
PER_CLIENT = 8


def worker(
    base: str,
    key: str,
    n: int,
    shared: list[int],
    errors: list[str],
    created: list[int],
    deleted: list[int],
) -> None:
    rng = random.Random(n)
    headers = {"Authorization": f"Bearer {key}"}
    with httpx.Client(base_url=f"{base}/api/v1", headers=headers, timeout=60) as client:
        mine: list[tuple[str, int]] = []
        for i in range(PER_CLIENT):
            kind = "need" if (n + i) % 2 else "offer"
            r = client.post(f"/{kind}s", json=posting(title=f"Client {n} posting {i} sensor"))
            if r.status_code != 201:
                errors.append(f"create {r.status_code} {r.text}")
                continue
            mine.append((kind, r.json()["id"]))
            created.append(r.json()["id"])
            kind, pid = mine[rng.randrange(len(mine))]
            r = client.patch(
                f"/{kind}s/{pid}",
                json={
                    "title": f"Client {n} updated {i}",
                    "status": rng.choice(["published", "draft"]),
                },
            )
            if r.status_code != 200:
                errors.append(f"update {r.status_code} {r.text}")
            target = shared[i % len(shared)]
            r = client.patch(f"/needs/{target}", json={"description": f"Edited by {n} at {i}."})
            if r.status_code != 200:
                errors.append(f"shared update {r.status_code} {r.text}")
            if i % 4 == 3:
                kind, pid = mine.pop(0)
                r = client.delete(f"/{kind}s/{pid}")
                if r.status_code != 204:
                    errors.append(f"delete {r.status_code} {r.text}")
                deleted.append(pid)
            if mine:
                kind, pid = mine[-1]
                r = client.get(f"/{kind}s/{pid}/matches")
                if r.status_code != 200:
                    errors.append(f"matches {r.status_code} {r.text}")


def test_eight_clients_at_once(fresh_api: Api) -> None:
    api = fresh_api
    shared = [api.create("need", who="moderator")["id"] for _ in range(3)]
    errors: list[str] = []
    created: list[int] = []
    deleted: list[int] = []
    with ThreadServer(api.app) as server:
        threads = [
            threading.Thread(
                target=worker,
                args=(server.base, api.keys["admin"], n, shared, errors, created, deleted),
            )
            for n in range(CLIENTS)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=300)
    assert not errors, errors[:5]
    with api.app.state.database.session() as session:
        rows: dict[int, Any] = {r.id: r for r in session.scalars(select(PostingRow))}
    assert set(rows) == (set(created) - set(deleted)) | set(shared)
    matcher = api.app.state.matcher
    assert matcher.indexed_ids() == set(rows)
    assert matcher.content_hashes() == {i: r.content_hash for i, r in rows.items()}
    for pid, row in rows.items():
        assert matcher.indexed(pid).status == row.status
        assert matcher.indexed(pid).title == row.title
    info = matcher.info()
    for kind in ("need", "offer"):  # every posting exactly once in each structure
        count = sum(1 for r in rows.values() if r.kind == kind)
        assert info.postings[kind] == info.dense[kind] == info.lexical[kind] == count
