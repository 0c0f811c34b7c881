"""Tech-transfer sessions through the real app on SQLite and PostgreSQL: sessions,
participants, scheduling (checked with ``service.scheduling.violations``), re-scheduling,
agenda exports, outcomes and who may do what."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from service.scheduling import CandidatePair, Meeting, ScheduleProblem, violations
from tests.service.conftest import Api, unique

START = "2026-12-05T08:30:00+07:00"

TOPICS = [
    ("Oxygen sensor for shrimp ponds", "Dissolved oxygen sensor with phone alerts for ponds."),
    ("Solar dryer for coffee beans", "Solar powered drying of coffee beans after harvest."),
    ("Welding robot for ship hulls", "Automated welding of steel hull blocks in shipyards."),
    ("Vaccine cold chain monitoring", "Temperature loggers for vaccine storage and transport."),
    ("Rice husk cement additive", "Using rice husk ash as an additive in cement and concrete."),
]


def make_posting(api: Api, kind: str, i: int, org: str, title: str | None = None) -> int:
    """A published posting of ``kind`` owned by ``org`` (created by a moderator)."""
    topic, description = TOPICS[i % len(TOPICS)]
    tag = unique("s")
    response = api.post(
        f"/{kind}s",
        "moderator",
        json={
            "title": title or f"{topic} {tag}",
            "description": f"{description} {tag}",
            "sector": "other",
            "language": "en",
            "organization": org,
        },
    )
    assert response.status_code == 201, response.text
    result: int = response.json()["id"]
    return result


def make_session(api: Api, **fields: Any) -> dict[str, Any]:
    body = {
        "name": f"Phiên kết nối {unique()}",
        "venue": "Hải Phòng",
        "start": START,
        "slot_minutes": 20,
        "slots": 3,
        "tables": 2,
        "max_meetings_per_participant": 2,
    }
    body.update(fields)
    response = api.post("/sessions", "moderator", json=body)
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


def register(api: Api, sid: int, pid: int, who: str = "moderator", slots: Any = ()) -> Any:
    return api.post(
        f"/sessions/{sid}/participants",
        who,
        json={"posting_id": pid, "unavailable_slots": list(slots)},
    )


def decide(api: Api, need: int, offer: int, decision: str) -> None:
    r = api.post(f"/pairs/{need}-{offer}/review", "moderator", json={"decision": decision})
    assert r.status_code == 200, r.text


def schedule(api: Api, sid: int, who: str = "moderator", **body: Any) -> Any:
    body.setdefault("time_limit_s", 5)
    return api.post(f"/sessions/{sid}/schedule", who, json=body)


def problem_from_api(api: Api, sid: int, session: dict[str, Any]) -> ScheduleProblem:
    """The scheduler's problem rebuilt from what the API says: participants and their
    unavailability, accepted and rejected pairs between them, the session's limits."""
    parts = api.get(f"/sessions/{sid}/participants", "moderator").json()["items"]
    ids = {p["posting_id"] for p in parts}
    pairs = []
    for decision in ("accepted", "rejected"):
        rows = api.get("/reviews", "moderator", params={"decision": decision, "limit": 1000})
        for item in rows.json()["items"]:
            if item["need_id"] in ids and item["offer_id"] in ids:
                pairs.append(
                    CandidatePair(
                        item["pair_id"],
                        item["need_id"],
                        item["offer_id"],
                        1.0,
                        accepted=decision == "accepted",
                        rejected=decision == "rejected",
                    )
                )
    return ScheduleProblem(
        pairs=tuple(pairs),
        slots=session["slots"],
        tables=session["tables"],
        max_meetings_per_participant=session["max_meetings_per_participant"],
        unavailable={p["posting_id"]: frozenset(p["unavailable_slots"]) for p in parts},
        fairness_k=session["fairness_k"],
    )


def as_meetings(items: list[dict[str, Any]]) -> list[Meeting]:
    return [
        Meeting(m["pair_id"], m["need_id"], m["offer_id"], m["slot"], m["table"]) for m in items
    ]


@pytest.fixture(scope="module")
def scheduled(api: Api) -> dict[str, Any]:
    """A session with 3 needs (Org A, Org B, Org A) and 3 offers (Inst A, Inst B, Inst A),
    7 accepted pairs, one rejected pair, some unavailability, scheduled once."""
    session = make_session(api)
    sid = session["id"]
    needs = [make_posting(api, "need", i, org) for i, org in enumerate(["Org A", "Org B", "Org A"])]
    offers = [
        make_posting(api, "offer", i, org) for i, org in enumerate(["Inst A", "Inst B", "Inst A"])
    ]
    unavailable = {needs[0]: [0], offers[2]: [1]}
    for pid in needs + offers:
        r = register(api, sid, pid, slots=unavailable.get(pid, ()))
        assert r.status_code == 201, r.text
    accepted = [(n, o) for n in needs for o in offers if (n, o) != (needs[1], offers[1])]
    for n, o in accepted[:7]:
        decide(api, n, o, "accepted")
    for n, o in accepted[7:]:
        decide(api, n, o, "maybe")
    decide(api, needs[1], offers[1], "rejected")
    r = schedule(api, sid)
    assert r.status_code == 200, r.text
    return {
        "session": session,
        "sid": sid,
        "needs": needs,
        "offers": offers,
        "accepted": accepted[:7],
        "rejected": (needs[1], offers[1]),
        "unavailable": unavailable,
        "result": r.json(),
    }


# -- sessions ------------------------------------------------------------------------


def test_session_crud(api: Api) -> None:
    created = make_session(api, fairness_k=2)
    sid = created["id"]
    assert created["start"] == "2026-12-05T08:30:00+07:00"
    assert created["end"] == "2026-12-05T09:30:00+07:00"
    assert created["fairness_k"] == 2 and created["participants"] == 0
    assert created["meetings"] == 0 and created["scheduled_at"] is None
    assert api.get(f"/sessions/{sid}", "company").json()["name"] == created["name"]
    assert sid in {s["id"] for s in api.get("/sessions", "institute").json()["items"]}
    r = api.patch(f"/sessions/{sid}", "admin", json={"tables": 5, "venue": None})
    assert r.status_code == 200, r.text
    assert r.json()["tables"] == 5 and r.json()["venue"] is None
    assert api.patch(f"/sessions/{sid}", "company", json={"tables": 6}).status_code == 403
    assert api.patch(f"/sessions/{sid}", json={"slots": None}).status_code == 422
    assert api.delete(f"/sessions/{sid}", "institute").status_code == 403
    assert api.delete(f"/sessions/{sid}", "moderator").status_code == 204
    assert api.get(f"/sessions/{sid}").status_code == 404
    assert api.delete(f"/sessions/{sid}").status_code == 404


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("slot_minutes", 4),
        ("slot_minutes", 241),
        ("slots", 0),
        ("slots", 65),
        ("tables", 501),
        ("max_meetings_per_participant", 0),
        ("start", "2026-12-05T08:30:00"),
        ("start", "tomorrow"),
        ("name", "   "),
        ("fairness_k", -1),
        ("colour", "blue"),
    ],
)
def test_invalid_sessions_are_422(api: Api, field: str, value: Any) -> None:
    body = {
        "name": "x",
        "start": START,
        "slot_minutes": 20,
        "slots": 3,
        "tables": 2,
        "max_meetings_per_participant": 2,
        field: value,
    }
    r = api.post("/sessions", "moderator", json=body)
    assert r.status_code == 422, r.text
    assert r.json()["detail"][0]["loc"][:2] == ["body", field]


@pytest.mark.parametrize("who", ["company", "institute"])
def test_only_staff_create_and_schedule(api: Api, who: str) -> None:
    body = {"name": "x", "start": START, "slot_minutes": 20, "slots": 3, "tables": 2}
    body["max_meetings_per_participant"] = 2
    assert api.post("/sessions", who, json=body).status_code == 403
    sid = make_session(api)["id"]
    assert schedule(api, sid, who).status_code == 403
    assert api.get(f"/sessions/{sid}/pairs", who).status_code == 403
    assert api.get(f"/sessions/{sid}/agenda", who).status_code == 403
    assert api.get("/outcomes", who).status_code == 403
    assert api.post("/sessions", None, json=body).status_code == 401


# -- participants --------------------------------------------------------------------


def test_participants(api: Api) -> None:
    sid = make_session(api)["id"]
    need = make_posting(api, "need", 0, "Org A")
    offer = make_posting(api, "offer", 0, "Inst A")
    r = register(api, sid, need, "company", [2, 0, 2])
    assert r.status_code == 201, r.text
    assert r.json()["unavailable_slots"] == [0, 2] and r.json()["kind"] == "need"
    assert register(api, sid, need, "moderator").status_code == 409
    assert register(api, sid, offer, "company").status_code == 403  # Inst A's offer
    assert register(api, sid, offer, "institute_b").status_code == 403
    r = register(api, sid, offer, "institute", [3])
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "unavailable_slots"]
    assert register(api, sid, offer, "institute", [-1]).status_code == 422
    assert register(api, sid, 10**12).status_code == 404
    assert register(api, 10**12, offer).status_code == 404
    assert register(api, sid, offer, "institute").status_code == 201
    items = api.get(f"/sessions/{sid}/participants", "company_b").json()["items"]
    assert [p["posting_id"] for p in items] == sorted([need, offer])
    assert api.get(f"/sessions/{sid}", "company").json()["participants"] == 2
    path = f"/sessions/{sid}/participants/{need}"
    r = api.patch(path, "company", json={"unavailable_slots": [1]})
    assert r.status_code == 200 and r.json()["unavailable_slots"] == [1]
    assert api.patch(path, "company_b", json={"unavailable_slots": []}).status_code == 403
    assert api.patch(path, "company", json={"unavailable_slots": [9]}).status_code == 422
    assert api.delete(path, "company_b").status_code == 403
    assert api.delete(path, "company").status_code == 204
    assert api.delete(path, "company").status_code == 404
    assert api.patch(path, json={"unavailable_slots": []}).status_code == 404


def test_session_pairs_are_restricted_to_participants(api: Api) -> None:
    sid = make_session(api)["id"]
    need = make_posting(api, "need", 1, "Org A")
    offer = make_posting(api, "offer", 1, "Inst A")
    outsider = make_posting(api, "offer", 1, "Inst B")
    assert api.get(f"/sessions/{sid}/pairs", "moderator").json() == {"items": []}
    register(api, sid, need)
    register(api, sid, offer)
    r = api.get(f"/sessions/{sid}/pairs", "moderator", params={"per_need": 5})
    assert r.status_code == 200, r.text
    items = r.json()["items"]
    assert [i["pair_id"] for i in items] == [f"{need}-{offer}"]
    assert {"need", "offer", "score", "review", "interest", "reasons"} <= set(items[0])
    assert outsider not in {i["offer_id"] for i in items}


# -- scheduling ----------------------------------------------------------------------


def test_schedule_respects_every_constraint(api: Api, scheduled: dict[str, Any]) -> None:
    result, sid = scheduled["result"], scheduled["sid"]
    session = api.get(f"/sessions/{sid}").json()
    meetings = result["meetings"]
    assert meetings and result["status"] in {"optimal", "feasible"}
    problem = problem_from_api(api, sid, session)
    assert violations(problem, as_meetings(meetings)) == []
    rejected = "{}-{}".format(*scheduled["rejected"])
    assert rejected not in {m["pair_id"] for m in meetings}
    for pid, slots in scheduled["unavailable"].items():
        assert not [
            m for m in meetings if pid in (m["need_id"], m["offer_id"]) and m["slot"] in slots
        ]
    counts: dict[int, int] = {}
    for m in meetings:
        for pid in (m["need_id"], m["offer_id"]):
            counts[pid] = counts.get(pid, 0) + 1
    assert max(counts.values()) <= 2
    assert len(meetings) + len(result["unscheduled"]) == result["candidates"] == 7
    assert all(m["source"] == "accepted" and m["value"] >= 1.0 for m in meetings)
    start = datetime.fromisoformat(START)
    for m in meetings:
        assert datetime.fromisoformat(m["start"]) == start + timedelta(minutes=20 * m["slot"])
        assert datetime.fromisoformat(m["end"]) - datetime.fromisoformat(m["start"]) == timedelta(
            minutes=20
        )
    assert "k = " in result["fairness_rule"] and "+ 1.0" in result["value_rule"]
    assert session["meetings"] == len(meetings) and session["scheduled_at"]
    stored = api.get(f"/sessions/{sid}/agenda", "moderator").json()["meetings"]
    assert [(m["pair_id"], m["slot"], m["table"]) for m in stored] == [
        (m["pair_id"], m["slot"], m["table"]) for m in meetings
    ]


def test_reschedule_after_removal_keeps_other_meetings(api: Api) -> None:
    session = make_session(api, slots=4, tables=3, max_meetings_per_participant=3)
    sid = session["id"]
    needs = [make_posting(api, "need", i, "Org A") for i in range(3)]
    offers = [make_posting(api, "offer", i, "Inst A") for i in range(3)]
    for pid in needs + offers:
        register(api, sid, pid)
    for n in needs:
        for o in offers:
            decide(api, n, o, "accepted")
    first = schedule(api, sid).json()
    assert len(first["meetings"]) == 9
    gone = offers[0]
    assert api.delete(f"/sessions/{sid}/participants/{gone}", "institute").status_code == 204
    left = api.get(f"/sessions/{sid}/agenda", "moderator").json()["meetings"]
    assert gone not in {m["offer"]["id"] for m in left} and len(left) == 6
    again = schedule(api, sid)
    assert again.status_code == 200, again.text
    body = again.json()
    places = {m["pair_id"]: (m["slot"], m["table"]) for m in body["meetings"]}
    for m in first["meetings"]:
        if m["offer_id"] != gone:
            assert places[m["pair_id"]] == (m["slot"], m["table"])
    assert body["kept"] == 6 and gone not in {m["offer_id"] for m in body["meetings"]}
    # a pair rejected afterwards disappears at the next schedule; the rest stay in place
    victim = body["meetings"][0]
    decide(api, victim["need_id"], victim["offer_id"], "rejected")
    third = schedule(api, sid).json()
    assert victim["pair_id"] not in {m["pair_id"] for m in third["meetings"]}
    assert victim["pair_id"] in third["dropped"]
    places3 = {m["pair_id"]: (m["slot"], m["table"]) for m in third["meetings"]}
    for pid, place in places.items():
        if pid != victim["pair_id"]:
            assert places3[pid] == place
    problem = problem_from_api(api, sid, api.get(f"/sessions/{sid}").json())
    assert violations(problem, as_meetings(third["meetings"])) == []
    # new unavailability cancels that participant's meeting in the slot, nothing else
    need0 = needs[0]
    blocked = next(m["slot"] for m in third["meetings"] if m["need_id"] == need0)
    r = api.patch(
        f"/sessions/{sid}/participants/{need0}", "company", json={"unavailable_slots": [blocked]}
    )
    assert r.status_code == 200
    fourth = schedule(api, sid).json()
    assert not [m for m in fourth["meetings"] if m["need_id"] == need0 and m["slot"] == blocked]
    for m in fourth["meetings"]:
        if m["pair_id"] in places3 and m["need_id"] != need0:
            assert (m["slot"], m["table"]) == places3[m["pair_id"]]


def test_empty_and_infeasible_schedules_are_4xx_or_explained(api: Api) -> None:
    sid = make_session(api)["id"]
    r = schedule(api, sid)
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "empty" and r.json()["meetings"] == []
    assert "no participants" in r.json()["note"]
    r = api.post(f"/sessions/{sid}/schedule", "moderator")  # no body: the defaults
    assert r.status_code == 200 and r.json()["status"] == "empty"
    need = make_posting(api, "need", 2, "Org A")
    offers = [make_posting(api, "offer", i, "Inst A") for i in range(2)]
    for pid in [need, *offers]:
        register(api, sid, pid)
    r = schedule(api, sid)
    assert r.json()["status"] == "empty" and "no candidate pairs" in r.json()["note"]
    for o in offers:
        decide(api, need, o, "accepted")
    assert len(schedule(api, sid).json()["meetings"]) == 2
    # fewer meetings allowed than the stored schedule keeps: 409, or start again with reset
    assert (
        api.patch(f"/sessions/{sid}", json={"max_meetings_per_participant": 1}).status_code == 200
    )
    r = schedule(api, sid)
    assert r.status_code == 409, r.text
    assert r.json()["detail"][0]["type"] == "infeasible_schedule"
    assert "reset" in r.json()["detail"][0]["msg"]
    r = schedule(api, sid, reset=True)
    assert r.status_code == 200 and len(r.json()["meetings"]) == 1
    # fewer slots: meetings outside them are re-placed, not errors
    assert api.patch(f"/sessions/{sid}", json={"slots": 1, "tables": 1}).status_code == 200
    r = schedule(api, sid)
    assert r.status_code == 200 and all(m["slot"] == 0 for m in r.json()["meetings"])
    for body in ({"time_limit_s": 0}, {"min_score": 2}, {"extra": 1}, {"time_limit_s": 1000}):
        assert api.post(f"/sessions/{sid}/schedule", "moderator", json=body).status_code == 422
    assert schedule(api, 10**12).status_code == 404


def test_include_suggested_takes_mutual_interest_but_never_rejected(api: Api) -> None:
    sid = make_session(api)["id"]
    need = make_posting(api, "need", 3, "Org A")
    liked, refused, lukewarm = (make_posting(api, "offer", 3, "Inst A") for _ in range(3))
    for pid in (need, liked, refused, lukewarm):
        register(api, sid, pid)
    for offer in (liked, refused):
        for who in ("company", "institute"):
            r = api.post(f"/pairs/{need}-{offer}/interest", who, json={"interested": True})
            assert r.status_code == 200, r.text
    api.post(f"/pairs/{need}-{lukewarm}/interest", "company", json={"interested": True})
    decide(api, need, refused, "rejected")
    assert schedule(api, sid).json()["status"] == "empty"
    r = schedule(api, sid, include_suggested=True, min_score=0.0)
    assert r.status_code == 200, r.text
    meetings = r.json()["meetings"]
    assert [m["pair_id"] for m in meetings] == [f"{need}-{liked}"]
    assert meetings[0]["source"] == "suggested" and meetings[0]["value"] >= 0.5
    too_high = schedule(api, sid, include_suggested=True, min_score=1.0).json()
    assert too_high["meetings"] == []


# -- agendas -------------------------------------------------------------------------


def test_agenda_csv_json_and_ics(api: Api, scheduled: dict[str, Any]) -> None:
    sid, meetings = scheduled["sid"], scheduled["result"]["meetings"]
    r = api.get(f"/sessions/{sid}/agenda", "moderator", params={"format": "csv"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert len(rows) == len(meetings)
    assert {row["pair_id"] for row in rows} == {m["pair_id"] for m in meetings}
    assert all(row["location"] == f"Table {int(row['table']) + 1}" for row in rows)

    r = api.get(f"/sessions/{sid}/agenda", "moderator", params={"format": "ics"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/calendar")
    raw = r.content
    assert raw.endswith(b"\r\n") and b"\n" not in raw.replace(b"\r\n", b"")
    lines = raw.split(b"\r\n")[:-1]
    assert all(len(line) <= 75 for line in lines)
    text = raw.decode().replace("\r\n ", "")  # unfold
    unfolded = text.split("\r\n")[:-1]
    assert unfolded[0] == "BEGIN:VCALENDAR" and unfolded[-1] == "END:VCALENDAR"
    assert "VERSION:2.0" in unfolded and any(u.startswith("PRODID:") for u in unfolded)
    stack: list[str] = []
    for line in unfolded:
        if line.startswith("BEGIN:"):
            stack.append(line[6:])
        elif line.startswith("END:"):
            assert stack.pop() == line[4:]
    assert stack == []
    events = text.split("BEGIN:VEVENT")[1:]
    assert len(events) == len(meetings)
    for event in events:
        fields = dict(line.split(":", 1) for line in event.split("\r\n") if ":" in line)
        for name in ("DTSTART", "DTEND", "DTSTAMP"):
            assert re.fullmatch(r"\d{8}T\d{6}Z", fields[name]), fields[name]
        assert fields["UID"].startswith(f"techmatch-session-{sid}-")
        assert fields["LOCATION"].startswith("Table ") and fields["SUMMARY"]
    starts = sorted(
        datetime.fromisoformat(m["start"]).astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
        for m in meetings
    )
    assert sorted(e.split("DTSTART:")[1][:16] for e in events) == starts
    assert starts[0].startswith("20261205T0")  # 08:30+07:00 is 01:30Z

    body = api.get(f"/sessions/{sid}/agenda", "moderator").json()
    assert body["session"]["id"] == sid and len(body["meetings"]) == len(meetings)


def test_participant_agenda_and_its_permissions(api: Api, scheduled: dict[str, Any]) -> None:
    sid = scheduled["sid"]
    need = scheduled["needs"][0]  # Org A's
    r = api.get(f"/sessions/{sid}/agenda", "company", params={"posting_id": need})
    assert r.status_code == 200, r.text
    mine = r.json()["meetings"]
    assert mine and all(m["need"]["id"] == need for m in mine)
    r = api.get(f"/sessions/{sid}/agenda", "company", params={"posting_id": need, "format": "ics"})
    assert r.status_code == 200 and r.text.count("BEGIN:VEVENT") == len(mine)
    assert (
        api.get(f"/sessions/{sid}/agenda", "company_b", params={"posting_id": need}).status_code
        == 403
    )
    assert api.get(f"/sessions/{sid}/agenda", "company").status_code == 403
    outsider = make_posting(api, "need", 0, "Org A")
    r = api.get(f"/sessions/{sid}/agenda", "company", params={"posting_id": outsider})
    assert r.status_code == 404
    assert api.get(f"/sessions/{sid}/agenda", params={"format": "pdf"}).status_code == 422


def test_html_agenda_escapes_and_speaks_both_languages(api: Api) -> None:
    sid = make_session(api, venue="Hội trường <b>A</b>")["id"]
    evil = "<script>alert(1)</script>"
    need = make_posting(api, "need", 4, "Org A", title=evil)
    offer = make_posting(api, "offer", 4, "Inst A")
    register(api, sid, need)
    register(api, sid, offer)
    decide(api, need, offer, "accepted")
    assert len(schedule(api, sid).json()["meetings"]) == 1
    headers = api.headers("moderator")
    r = api.client.get(f"/sessions/{sid}/agenda.html", headers=headers, params={"lang": "vi"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    assert evil not in r.text and "&lt;script&gt;alert(1)&lt;/script&gt;" in r.text
    assert "<b>A</b>" not in r.text
    assert "Lịch gặp" in r.text and "Bàn 1" in r.text and "@media print" in r.text
    r = api.client.get(
        f"/sessions/{sid}/agenda.html",
        headers=api.headers("company"),
        params={"lang": "en", "posting_id": need},
    )
    assert r.status_code == 200 and "Meeting agenda" in r.text and evil not in r.text
    assert (
        api.client.get(f"/sessions/{sid}/agenda.html", headers=api.headers("company")).status_code
        == 403
    )
    assert api.client.get(f"/sessions/{sid}/agenda.html").status_code == 401
    assert (
        api.client.get(
            f"/sessions/{sid}/agenda.html", headers=headers, params={"lang": "fr"}
        ).status_code
        == 422
    )


# -- outcomes ------------------------------------------------------------------------


def test_outcomes_round_trip(api: Api, scheduled: dict[str, Any]) -> None:
    sid = scheduled["sid"]
    meeting = next(
        m for m in scheduled["result"]["meetings"] if m["need_id"] == scheduled["needs"][0]
    )
    path = f"/sessions/{sid}/meetings/{meeting['pair_id']}/outcome"
    r = api.post(path, "company", json={"outcome": "held", "note": "Gặp tốt"})
    assert r.status_code == 200, r.text
    assert r.json()["outcome"] == "held" and r.json()["recorded_by_org"] == "Org A"
    body = {"outcome": "follow_up", "follow_up": "pilot", "note": "Thử nghiệm, 3 ao"}
    r = api.post(path, "moderator", json=body)
    assert r.status_code == 200 and r.json()["follow_up"] == "pilot"
    assert api.post(path, "company_b", json={"outcome": "held"}).status_code == 403
    assert api.post(path, json={"outcome": "held", "follow_up": "mou"}).status_code == 422
    assert api.post(path, json={"outcome": "great"}).status_code == 422
    unscheduled = "{}-{}".format(*scheduled["rejected"])
    r = api.post(f"/sessions/{sid}/meetings/{unscheduled}/outcome", json={"outcome": "held"})
    assert r.status_code == 404
    r = api.post(f"/sessions/{sid}/meetings/abc/outcome", json={"outcome": "held"})
    assert r.status_code == 422
    items = api.get("/outcomes", "moderator", params={"session_id": sid}).json()["items"]
    assert [(i["pair_id"], i["outcome"], i["follow_up"], i["note"]) for i in items] == [
        (meeting["pair_id"], "follow_up", "pilot", "Thử nghiệm, 3 ao")
    ]
    r = api.get("/outcomes", "admin", params={"format": "csv", "session_id": sid})
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert (
        len(rows) == 1 and rows[0]["follow_up"] == "pilot" and rows[0]["note"] == "Thử nghiệm, 3 ao"
    )
    assert rows[0]["session_id"] == str(sid) and rows[0]["pair_id"] == meeting["pair_id"]
    shared = ("session_id", "pair_id", "need_id", "offer_id", "outcome", "follow_up", "note")
    assert [rows[0][c] for c in shared] == [str(items[0][c]) for c in shared]
    assert rows[0]["recorded_by_org"] == items[0]["recorded_by_org"] == "Fair"
    recorded = datetime.fromisoformat(items[0]["recorded_at"].replace("Z", "+00:00"))
    assert datetime.fromisoformat(rows[0]["recorded_at"]) == recorded


def test_ics_folding_never_splits_a_character() -> None:
    from icalendar import Event

    value = "Giám sát oxy hòa tan; cảnh báo, ao tôm\\ " * 8
    event = Event()
    event.add("summary", value)
    folded = event.to_ical()
    parts = folded.split(b"\r\n")[1:-2]  # between BEGIN:VEVENT and END:VEVENT
    assert len(parts) > 1 and all(len(p) <= 75 for p in parts)
    assert all(p.startswith(b" ") for p in parts[1:])
    for part in parts:
        part.decode("utf-8")  # each folded line is whole UTF-8: no character split
    line = b"".join(p[1:] if i else p for i, p in enumerate(parts)).decode("utf-8")
    assert line.startswith("SUMMARY:") and "\\;" in line and "\\," in line and "\\\\" in line
    assert str(Event.from_ical(folded)["SUMMARY"]) == value


def test_deleting_a_posting_unregisters_it(api: Api) -> None:
    sid = make_session(api)["id"]
    need = make_posting(api, "need", 0, "Org A")
    offers = [make_posting(api, "offer", i, "Inst A") for i in range(2)]
    for pid in [need, *offers]:
        register(api, sid, pid)
        if pid != need:
            decide(api, need, pid, "accepted")
    assert len(schedule(api, sid).json()["meetings"]) == 2
    assert api.delete(f"/offers/{offers[0]}", "institute").status_code == 204
    parts = api.get(f"/sessions/{sid}/participants").json()["items"]
    assert offers[0] not in {p["posting_id"] for p in parts}
    agenda = api.get(f"/sessions/{sid}/agenda").json()["meetings"]
    assert [m["offer"]["id"] for m in agenda] == [offers[1]]
    again = schedule(api, sid).json()
    assert [m["offer_id"] for m in again["meetings"]] == [offers[1]] and again["kept"] == 1
