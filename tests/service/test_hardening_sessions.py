"""Issue 13, sessions: impossible start/end times are 422 (create and PATCH) and never
stored; a row stored before the check does not break the session list; concurrent
schedules of one session never answer 500."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from service.db.models import SessionMeetingRow, SessionRow
from tests.service.conftest import Api, unique
from tests.service.servers import ThreadServer
from tests.service.test_sessions import decide, make_posting, make_session, register

BAD_WINDOWS = [
    {"start": "9999-12-31T23:00:00+00:00", "slot_minutes": 240, "slots": 64},
    {"start": "0001-01-01T00:00:00+14:00"},
    {"start": "2199-12-31T23:00:00+00:00", "slot_minutes": 240, "slots": 64},
    {"start": "1999-12-31T23:59:00+00:00"},
]


def session_body(**fields: Any) -> dict[str, Any]:
    body = {
        "name": f"Phiên {unique()}",
        "start": "2026-12-05T08:30:00+07:00",
        "slot_minutes": 20,
        "slots": 3,
        "tables": 2,
        "max_meetings_per_participant": 2,
    }
    body.update(fields)
    return body


@pytest.mark.parametrize("fields", BAD_WINDOWS)
def test_session_outside_the_window_is_422_and_not_stored(api: Api, fields: dict[str, Any]) -> None:
    before = len(api.get("/sessions").json()["items"])
    r = api.post("/sessions", "moderator", json=session_body(**fields))
    assert r.status_code == 422, r.text
    assert r.json()["detail"][0]["loc"] == ["body", "start"]
    assert "2000-01-01" in r.json()["detail"][0]["msg"]
    listing = api.get("/sessions")
    assert listing.status_code == 200
    assert len(listing.json()["items"]) == before


def test_patch_outside_the_window_is_422_and_keeps_the_session(api: Api) -> None:
    created = make_session(api)
    sid = created["id"]
    for body in (
        {"start": "9999-12-31T23:00:00+00:00"},
        {"start": "2199-12-31T20:00:00+00:00", "slot_minutes": 240, "slots": 64},
        {"start": "0001-01-01T00:00:00+14:00"},
    ):
        r = api.patch(f"/sessions/{sid}", "moderator", json=body)
        assert r.status_code == 422, r.text
    # only slots: the end would pass the window from a late start
    late = api.patch(f"/sessions/{sid}", "moderator", json={"start": "2199-12-31T00:00:00+00:00"})
    assert late.status_code == 200, late.text
    r = api.patch(f"/sessions/{sid}", "moderator", json={"slots": 64, "slot_minutes": 240})
    assert r.status_code == 422, r.text
    assert api.get(f"/sessions/{sid}").json()["slots"] == created["slots"]
    assert api.get("/sessions").status_code == 200


def test_the_message_is_also_vietnamese() -> None:
    from service.errors import Invalid
    from service.sessions.times import check_window

    with pytest.raises(Invalid) as caught:
        check_window(datetime(9999, 12, 31, tzinfo=UTC), 240, 64)
    assert "Phiên phải bắt đầu" in caught.value.message("vi")


def test_a_stored_bad_row_does_not_break_the_list(api: Api) -> None:
    good = make_session(api)
    with api.app.state.database.session(write=True) as session:
        bad = SessionRow(
            name="stored before the check",
            start=datetime(9999, 12, 31, 23, tzinfo=UTC),
            utc_offset_minutes=0,
            slot_minutes=240,
            slots=64,
            tables=2,
            max_meetings_per_participant=2,
            fairness_k=1,
            created_by_org="Fair",
        )
        session.add(bad)
        session.commit()
        bad_id = bad.id
    for who in ("company", "moderator"):
        listing = api.get("/sessions", who)
        assert listing.status_code == 200, listing.text
        ids = {s["id"] for s in listing.json()["items"]}
        assert good["id"] in ids and bad_id not in ids
    assert api.get(f"/sessions/{bad_id}").status_code == 422
    fixed = api.patch(f"/sessions/{bad_id}", "moderator", json={"start": "2027-01-01T08:00:00Z"})
    assert fixed.status_code == 200, fixed.text
    assert bad_id in {s["id"] for s in api.get("/sessions").json()["items"]}
    assert api.delete(f"/sessions/{bad_id}", "moderator").status_code == 204


def test_concurrent_schedules_are_200_or_409_never_500(fresh_api: Api) -> None:
    api = fresh_api
    sid = make_session(api, slots=4, tables=3)["id"]
    needs = [make_posting(api, "need", i, "Org A") for i in range(3)]
    offers = [make_posting(api, "offer", i, "Inst A") for i in range(3)]
    for pid in [*needs, *offers]:
        assert register(api, sid, pid).status_code == 201
    for need in needs:
        for offer in offers:
            decide(api, need, offer, "accepted")
    statuses: list[int] = []
    bodies: list[str] = []
    barrier = threading.Barrier(6)

    def run(base: str) -> None:
        headers = {"Authorization": f"Bearer {api.keys['moderator']}"}
        with httpx.Client(base_url=f"{base}/api/v1", headers=headers, timeout=120) as client:
            barrier.wait()
            for _ in range(3):
                r = client.post(f"/sessions/{sid}/schedule", json={"time_limit_s": 2})
                statuses.append(r.status_code)
                bodies.append(r.text)

    with ThreadServer(api.app) as server:
        threads = [threading.Thread(target=run, args=(server.base,)) for _ in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=300)
    assert len(statuses) == 18
    assert set(statuses) <= {200, 409}, [
        b for s, b in zip(statuses, bodies, strict=True) if s not in (200, 409)
    ]
    assert 200 in statuses
    for status, body in zip(statuses, bodies, strict=True):
        if status == 409:
            assert "schedule_running" in body
    with api.app.state.database.session() as session:
        rows = list(
            session.scalars(select(SessionMeetingRow).where(SessionMeetingRow.session_id == sid))
        )
    assert rows and len({(r.slot, r.table_no) for r in rows}) == len(rows)
    session_view = api.get(f"/sessions/{sid}").json()
    agenda = api.get(f"/sessions/{sid}/agenda").json()["meetings"]
    assert session_view["meetings"] == len(rows) == len(agenda)
    assert (
        api.post(f"/sessions/{sid}/schedule", "moderator", json={"time_limit_s": 2}).status_code
        == 200
    )
