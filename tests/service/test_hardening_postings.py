"""Issue 13, postings: deleting a scheduled posting cancels its meetings (the session's
count and its agenda agree), and of concurrent DELETEs of one posting exactly one is 204."""

from __future__ import annotations

import threading

import httpx
from sqlalchemy import func, select

from service.db.models import SessionMeetingRow
from tests.service.conftest import Api
from tests.service.servers import ThreadServer
from tests.service.test_sessions import decide, make_posting, make_session, register


def test_deleting_a_scheduled_posting_cancels_its_meetings(api: Api) -> None:
    sid = make_session(api)["id"]
    need = make_posting(api, "need", 0, "Org A")
    offers = [make_posting(api, "offer", i, "Inst A") for i in range(2)]
    for pid in [need, *offers]:
        assert register(api, sid, pid).status_code == 201
    for offer in offers:
        decide(api, need, offer, "accepted")
    r = api.post(f"/sessions/{sid}/schedule", "moderator", json={"time_limit_s": 5})
    assert r.status_code == 200 and len(r.json()["meetings"]) == 2, r.text
    assert api.get(f"/sessions/{sid}").json()["meetings"] == 2
    assert api.delete(f"/offers/{offers[0]}", "institute").status_code == 204
    agenda = api.get(f"/sessions/{sid}/agenda").json()["meetings"]
    assert [m["offer"]["id"] for m in agenda] == [offers[1]]
    assert api.get(f"/sessions/{sid}").json()["meetings"] == 1
    with api.app.state.database.session() as session:
        left = session.scalar(
            select(func.count())
            .select_from(SessionMeetingRow)
            .where(SessionMeetingRow.offer_id == offers[0])
        )
    assert left == 0
    assert api.delete(f"/needs/{need}", "company").status_code == 204
    assert api.get(f"/sessions/{sid}").json()["meetings"] == 0
    assert api.get(f"/sessions/{sid}/agenda").json()["meetings"] == []


def test_concurrent_deletes_of_one_posting_exactly_one_204(fresh_api: Api) -> None:
    api = fresh_api
    targets = [api.create("need")["id"] for _ in range(3)]
    results: dict[int, list[int]] = {t: [] for t in targets}
    with ThreadServer(api.app) as server:
        for target in targets:
            barrier = threading.Barrier(12)

            def run(target: int = target, barrier: threading.Barrier = barrier) -> None:
                headers = {"Authorization": f"Bearer {api.keys['company']}"}
                with httpx.Client(base_url=server.base, headers=headers, timeout=60) as client:
                    barrier.wait()
                    results[target].append(client.delete(f"/api/v1/needs/{target}").status_code)

            threads = [threading.Thread(target=run) for _ in range(12)]
            for t in threads:
                t.start()
            for t in threads:
                t.join(timeout=120)
    for statuses in results.values():
        assert sorted(statuses) == [204] + [404] * 11, statuses
    for target in targets:
        assert api.get(f"/needs/{target}").status_code == 404
    assert not api.indexed() & set(targets)
