"""Pair reviews, the audit log, interest marks and their effect on ``/pairs``, through the
real app on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io
import shutil
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from service.auth.roles import Principal, Role
from service.main import create_app
from service.reviews import CSV_COLUMNS, ReviewService, accepted_pairs
from service.schemas.reviews import ReviewIn
from tests.service.conftest import (
    BACKENDS,
    Api,
    add_keys,
    database_url_for,
    make_settings,
    unique,
)

#: Unrelated topics, so that each pair's need and offer match each other best.
TOPICS = [
    ("Oxygen sensor for shrimp ponds", "Dissolved oxygen sensor with phone alerts for ponds."),
    ("Solar dryer for coffee beans", "Solar powered drying of coffee beans after harvest."),
    ("Welding robot for ship hulls", "Automated welding of steel hull blocks in shipyards."),
    ("Vaccine cold chain monitoring", "Temperature loggers for vaccine storage and transport."),
    ("Rice husk cement additive", "Using rice husk ash as an additive in cement and concrete."),
    ("Port crane scheduling software", "Software that schedules container cranes at the port."),
]
_topic = iter(range(10**9))


def make_pair(api: Api, need_org: str = "Org A", offer_org: str = "Inst A") -> tuple[int, int]:
    """A need and an offer about the same thing (owned by the given organizations)."""
    tag = unique("pair")
    title, description = TOPICS[next(_topic) % len(TOPICS)]
    need = api.post(
        "/needs",
        "moderator",
        json={
            "title": f"{title} {tag}",
            "description": f"We need: {description} {tag}",
            "sector": "other",
            "language": "en",
            "organization": need_org,
        },
    )
    offer = api.post(
        "/offers",
        "moderator",
        json={
            "title": f"{title} {tag}",
            "description": f"We offer: {description} {tag}",
            "sector": "other",
            "language": "en",
            "organization": offer_org,
        },
    )
    assert need.status_code == 201 and offer.status_code == 201, (need.text, offer.text)
    return need.json()["id"], offer.json()["id"]


def review(api: Api, pair_id: str, who: str = "moderator", **body: Any) -> Any:
    return api.post(f"/pairs/{pair_id}/review", who, json=body)


def pair_ids(response: Any) -> set[str]:
    assert response.status_code == 200, response.text
    return {item["pair_id"] for item in response.json()["items"]}


# -- decisions and the audit log -------------------------------------------------------


def test_review_transitions_are_audited(api: Api) -> None:
    need_id, offer_id = make_pair(api)
    pid = f"{need_id}-{offer_id}"
    r = review(api, pid, decision="accepted", note="Cùng lĩnh vực, TRL phù hợp.")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["pair_id"] == pid and body["need_id"] == need_id and body["offer_id"] == offer_id
    assert body["need"]["id"] == need_id and body["offer"]["id"] == offer_id
    assert body["review"]["decision"] == "accepted"
    assert body["review"]["note"] == "Cùng lĩnh vực, TRL phù hợp."
    assert body["review"]["reason"] is None
    assert body["review"]["changed_since_review"] is False
    assert body["review"]["reviewer_org"] == "Fair"
    assert body["interest"] == {"need": None, "offer": None, "mutual": False}

    r = review(api, pid, "admin", decision="rejected", reason="trl_mismatch")
    assert r.json()["review"]["decision"] == "rejected"
    assert r.json()["review"]["reason"] == "trl_mismatch" and r.json()["review"]["note"] is None
    r = review(api, pid, decision="maybe", reason="other", note="hỏi lại")
    assert r.status_code == 200

    log = api.get("/reviews/audit", "moderator", params={"need_id": need_id})
    assert log.status_code == 200, log.text
    assert log.json()["total"] == 3
    entries = log.json()["items"]
    assert [e["after"]["decision"] for e in entries] == ["maybe", "rejected", "accepted"]
    newest, middle, oldest = entries
    assert oldest["before"] is None
    assert oldest["after"] == {
        "decision": "accepted",
        "reason": None,
        "note": "Cùng lĩnh vực, TRL phù hợp.",
    }
    assert middle["before"] == oldest["after"]
    assert middle["after"] == {"decision": "rejected", "reason": "trl_mismatch", "note": None}
    assert newest["before"] == middle["after"]
    assert newest["after"] == {"decision": "maybe", "reason": "other", "note": "hỏi lại"}
    assert [e["reviewer"]["role"] for e in entries] == ["moderator", "admin", "moderator"]
    assert all(e["reviewer"]["organization"] == "Fair" for e in entries)
    assert oldest["reviewer"]["key_id"] is not None
    assert all(e["pair_id"] == pid for e in entries)
    assert newest["at"] >= middle["at"] >= oldest["at"]

    # the current decision is the last one, once
    listed = api.get("/reviews", "moderator", params={"need_id": need_id}).json()
    assert listed["total"] == 1
    assert listed["items"][0]["review"]["decision"] == "maybe"

    # the same decision again is still logged
    review(api, pid, decision="maybe", reason="other", note="hỏi lại")
    again = api.get("/reviews/audit", "moderator", params={"need_id": need_id}).json()
    assert again["total"] == 4 and again["items"][0]["before"] == again["items"][0]["after"]


def test_audit_log_is_newest_first_and_paginated(api: Api) -> None:
    need_id, offer_id = make_pair(api)
    for decision in ("accepted", "maybe", "rejected", "accepted"):
        assert review(api, f"{need_id}-{offer_id}", decision=decision).status_code == 200
    whole = api.get("/reviews/audit", "admin").json()
    assert whole["total"] >= 4
    ids = [e["id"] for e in whole["items"]]
    assert ids == sorted(ids, reverse=True)
    assert whole["items"][0]["need_id"] == need_id  # the newest decision is ours
    page = api.get("/reviews/audit", "admin", params={"offer_id": offer_id, "limit": 2})
    assert page.json()["total"] == 4 and page.json()["limit"] == 2
    first = [e["after"]["decision"] for e in page.json()["items"]]
    rest = api.get("/reviews/audit", "admin", params={"offer_id": offer_id, "offset": 2}).json()
    assert first + [e["after"]["decision"] for e in rest["items"]] == [
        "accepted",
        "rejected",
        "maybe",
        "accepted",
    ]


def test_review_listing_filters(api: Api) -> None:
    a = make_pair(api)
    b = make_pair(api)
    c = make_pair(api)
    review(api, f"{a[0]}-{a[1]}", decision="accepted")
    review(api, f"{b[0]}-{b[1]}", decision="rejected", reason="duplicate_posting")
    review(api, f"{c[0]}-{c[1]}", decision="rejected", reason="already_in_contact")
    ours = {f"{a[0]}-{a[1]}", f"{b[0]}-{b[1]}", f"{c[0]}-{c[1]}"}

    def listed(**params: Any) -> set[str]:
        return pair_ids(api.get("/reviews", "moderator", params={"limit": 1000, **params})) & ours

    assert listed() == ours
    assert listed(decision="accepted") == {f"{a[0]}-{a[1]}"}
    assert listed(decision="rejected") == {f"{b[0]}-{b[1]}", f"{c[0]}-{c[1]}"}
    assert listed(reason="duplicate_posting") == {f"{b[0]}-{b[1]}"}
    assert listed(need_id=c[0]) == {f"{c[0]}-{c[1]}"}
    assert listed(offer_id=b[1]) == {f"{b[0]}-{b[1]}"}
    assert listed(changed=False) == ours
    assert listed(changed=True) == set()

    page = api.get("/reviews", "moderator", params={"limit": 2}).json()
    assert len(page["items"]) == 2 and page["total"] >= 3
    assert page["limit"] == 2 and page["offset"] == 0
    stamps = [i["review"]["reviewed_at"] for i in page["items"]]
    assert stamps == sorted(stamps, reverse=True)
    second = api.get("/reviews", "moderator", params={"limit": 2, "offset": 2}).json()
    assert not pair_ids_of(page) & pair_ids_of(second)


def pair_ids_of(page: dict[str, Any]) -> set[str]:
    return {item["pair_id"] for item in page["items"]}


def test_changed_since_review(api: Api) -> None:
    need_id, offer_id = make_pair(api)
    pid = f"{need_id}-{offer_id}"
    review(api, pid, decision="accepted")

    def state() -> bool:
        items = api.get("/reviews", "moderator", params={"need_id": need_id}).json()["items"]
        changed: bool = items[0]["review"]["changed_since_review"]
        return changed

    # edits that leave the text alone do not count
    for change in ({"trl": 3}, {"status": "archived"}, {"status": "published"}):
        assert api.patch(f"/needs/{need_id}", "company", json=change).status_code == 200
    assert state() is False
    changed = {"changed": True, "limit": 1000}
    assert pid not in pair_ids(api.get("/reviews", "moderator", params=changed))

    new_text = "Now we need ammonia sensors as well, for 80 ponds."
    r = api.patch(f"/needs/{need_id}", "company", json={"description": new_text})
    assert r.status_code == 200
    assert state() is True
    assert pid in pair_ids(api.get("/reviews", "moderator", params=changed))
    unchanged = api.get("/reviews", "moderator", params={"changed": False, "limit": 1000})
    assert pid not in pair_ids(unchanged)

    # reviewing again takes the new content as reviewed
    assert review(api, pid, decision="accepted").json()["review"]["changed_since_review"] is False
    # an edit of the offer counts too
    r = api.patch(f"/offers/{offer_id}", "institute", json={"keywords": ["buoy", "oxygen"]})
    assert r.status_code == 200
    assert state() is True


def test_deleted_posting_keeps_the_review(api: Api) -> None:
    need_id, offer_id = make_pair(api)
    review(api, f"{need_id}-{offer_id}", decision="accepted")
    assert api.delete(f"/offers/{offer_id}", "institute").status_code == 204
    item = api.get("/reviews", "moderator", params={"need_id": need_id}).json()["items"][0]
    assert item["offer"] is None and item["need"]["id"] == need_id
    assert item["review"]["changed_since_review"] is True
    # a deleted posting can no longer be reviewed
    assert review(api, f"{need_id}-{offer_id}", decision="rejected").status_code == 404


# -- who may review -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "code"),
    [
        ("company", 403),
        ("institute", 403),
        ("company_b", 403),
        ("revoked", 401),
        (None, 401),
        ("moderator", 200),
        ("admin", 200),
        ("env_admin", 200),
    ],
)
def test_only_staff_review(api: Api, who: str | None, code: int) -> None:
    need_id, offer_id = make_pair(api)
    pid = f"{need_id}-{offer_id}"
    assert review(api, pid, who, decision="accepted").status_code == code
    assert api.get("/reviews", who).status_code == code
    assert api.get("/reviews", who, params={"format": "csv"}).status_code == code
    assert api.get("/reviews/audit", who).status_code == code
    if code != 200:
        listed = api.get("/reviews", "admin", params={"need_id": need_id}).json()
        assert listed["total"] == 0


# -- interest ---------------------------------------------------------------------------


def interest(api: Api, pair_id: str, who: str | None, **body: Any) -> Any:
    return api.post(f"/pairs/{pair_id}/interest", who, json=body)


def test_interest_by_owners(api: Api) -> None:
    need_id, offer_id = make_pair(api)
    pid = f"{need_id}-{offer_id}"
    r = interest(api, pid, "company", interested=True)
    assert r.status_code == 200, r.text
    assert r.json() == {
        "pair_id": pid,
        "need_id": need_id,
        "offer_id": offer_id,
        "interest": {"need": True, "offer": None, "mutual": False},
    }
    r = interest(api, pid, "institute", side="offer", interested=True)
    assert r.json()["interest"] == {"need": True, "offer": True, "mutual": True}
    r = interest(api, pid, "institute", interested=False)
    assert r.json()["interest"] == {"need": True, "offer": False, "mutual": False}

    # a third organization, or the wrong side
    for who in ("company_b", "institute_b"):
        assert interest(api, pid, who, interested=True).status_code == 403
        assert interest(api, pid, who, side="need", interested=True).status_code == 403
    assert interest(api, pid, "company", side="offer", interested=True).status_code == 403
    assert interest(api, pid, "institute", side="need", interested=False).status_code == 403
    assert interest(api, pid, None, interested=True).status_code == 401

    # staff on behalf of either side; they must say which
    r = interest(api, pid, "moderator", interested=True)
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "side"]
    r = interest(api, pid, "moderator", side="offer", interested=True)
    assert r.status_code == 200
    assert r.json()["interest"] == {"need": True, "offer": True, "mutual": True}

    review(api, pid, decision="accepted")
    item = api.get("/reviews", "moderator", params={"need_id": need_id}).json()["items"][0]
    assert item["interest"] == {"need": True, "offer": True, "mutual": True}


def test_interest_on_hidden_postings_is_404(api: Api) -> None:
    need_id, offer_id = make_pair(api)
    r = api.patch(f"/offers/{offer_id}", "institute", json={"status": "draft"})
    assert r.status_code == 200
    assert interest(api, f"{need_id}-{offer_id}", "company", interested=True).status_code == 404
    r = interest(api, f"{need_id}-{offer_id}", "institute", interested=True)
    assert r.status_code == 200 and r.json()["interest"]["offer"] is True


# -- /pairs -----------------------------------------------------------------------------


@contextmanager
def running(url: str, directory: Path, model: Any) -> Iterator[Api]:
    app = create_app(make_settings(directory, url), model=model)
    with TestClient(app) as client:
        yield Api(client, add_keys(client), "")


@pytest.fixture(params=BACKENDS)
def database(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh database URL that outlives one app (for restarts)."""
    return database_url_for(request.param, tmp_path, request)


def warm_up(api: Api) -> None:
    """Unrelated postings first: the indexer calibrates a need's scores against the offers
    present when the need is indexed (at least 5), so early needs would score oddly."""
    for i in range(6):
        api.create("offer", title=f"Laser cutting of steel {i}", description="Laser cutting.")
    for i in range(2):
        api.create("need", title=f"Hotel booking chatbot {i}", description="Chatbot for hotels.")


def suggested(api: Api, **params: Any) -> dict[str, dict[str, Any]]:
    r = api.get("/pairs", "moderator", params={"limit": 1000, **params})
    assert r.status_code == 200, r.text
    return {item["pair_id"]: item for item in r.json()["items"]}


def test_pairs_show_review_and_interest_and_filter(
    database: str, tmp_path: Path, hashing_model: Any
) -> None:
    with running(database, tmp_path, hashing_model) as api:
        warm_up(api)
        pairs = [make_pair(api) for _ in range(4)]
        ids = [f"{n}-{o}" for n, o in pairs]
        before = suggested(api)
        assert set(ids) <= set(before)
        assert all(before[p]["review"] is None for p in ids)
        assert before[ids[0]]["interest"] == {"need": None, "offer": None, "mutual": False}

        review(api, ids[0], decision="accepted", note="ok")
        review(api, ids[1], decision="maybe")
        review(api, ids[2], decision="rejected", reason="not_relevant")
        interest(api, ids[0], "company", interested=True)
        interest(api, ids[0], "institute", interested=True)
        interest(api, ids[1], "company", interested=True)

        now = suggested(api)
        assert ids[2] not in now
        assert now[ids[0]]["review"]["decision"] == "accepted"
        assert now[ids[0]]["review"]["note"] == "ok"
        assert now[ids[0]]["review"]["changed_since_review"] is False
        assert now[ids[0]]["interest"] == {"need": True, "offer": True, "mutual": True}
        assert now[ids[1]]["interest"] == {"need": True, "offer": None, "mutual": False}
        assert now[ids[3]]["review"] is None

        assert set(suggested(api, status="accepted")) & set(ids) == {ids[0]}
        assert set(suggested(api, status="maybe")) & set(ids) == {ids[1]}
        assert set(suggested(api, status="unreviewed")) & set(ids) == {ids[3]}
        rejected = suggested(api, status="rejected")
        assert set(rejected) & set(ids) == {ids[2]}
        assert rejected[ids[2]]["review"]["reason"] == "not_relevant"
        assert set(suggested(api, mutual_interest=True)) == {ids[0]}
        assert ids[0] not in suggested(api, mutual_interest=False)
        assert set(suggested(api, mutual_interest=True, status="maybe")) == set()
        assert len(api.get("/pairs", "moderator", params={"limit": 1}).json()["items"]) == 1
        limited = api.get("/pairs", "moderator", params={"limit": 1, "status": "unreviewed"})
        assert len(limited.json()["items"]) == 1


def test_rejected_pairs_stay_out_after_reindexing(
    database: str, tmp_path: Path, hashing_model: Any
) -> None:
    with running(database, tmp_path, hashing_model) as api:
        warm_up(api)
        need_id, offer_id = make_pair(api)
        other_need, other_offer = make_pair(api)
        pid = f"{need_id}-{offer_id}"
        assert pid in suggested(api)
        review(api, pid, decision="rejected", reason="already_in_contact")
        review(api, f"{other_need}-{other_offer}", decision="accepted")
        assert pid not in suggested(api)
        # an edit re-indexes the need; the decision stays
        api.patch(f"/needs/{need_id}", "company", json={"title": "Oxygen sensor, new title"})
        assert pid not in suggested(api)
    shutil.rmtree(tmp_path / "index", ignore_errors=True)  # force a full rebuild
    with running(database, tmp_path, hashing_model) as api:
        assert api.app.state.matcher.rebuilt
        pairs = suggested(api)
        assert pid not in pairs
        assert pairs[f"{other_need}-{other_offer}"]["review"]["decision"] == "accepted"
        assert pid in suggested(api, status="rejected")
        item = api.get("/reviews", "moderator", params={"need_id": need_id}).json()["items"][0]
        assert item["review"]["decision"] == "rejected"
        assert item["review"]["changed_since_review"] is True  # the title changed
        assert api.get("/reviews/audit", "moderator").json()["total"] == 2


# -- CSV --------------------------------------------------------------------------------


def test_csv_export(api: Api) -> None:
    need_id, offer_id = make_pair(api)
    other = make_pair(api)
    note = 'Gặp nhau "sớm", trước 10h;\ndòng hai'
    review(api, f"{need_id}-{offer_id}", decision="accepted", reason="other", note=note)
    review(api, f"{other[0]}-{other[1]}", decision="rejected", reason="sector_mismatch")
    interest(api, f"{need_id}-{offer_id}", "company", interested=True)

    r = api.get("/reviews", "moderator", params={"format": "csv"})
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/csv")
    assert "attachment" in r.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(r.text)))
    assert tuple(rows[0]) == CSV_COLUMNS
    by_pair = {row["pair_id"]: row for row in csv.DictReader(io.StringIO(r.text))}
    ours = by_pair[f"{need_id}-{offer_id}"]
    assert ours["decision"] == "accepted" and ours["reason"] == "other"
    assert ours["note"] == note
    assert ours["need_id"] == str(need_id) and ours["offer_id"] == str(offer_id)
    assert ours["need_title"] == api.get(f"/needs/{need_id}").json()["title"]
    assert ours["need_organization"] == "Org A" and ours["offer_organization"] == "Inst A"
    assert ours["changed_since_review"] == "false"
    assert (ours["need_interested"], ours["offer_interested"]) == ("true", "")
    assert ours["mutual_interest"] == "false"
    assert ours["reviewer_org"] == "Fair" and ours["reviewed_at"]
    assert by_pair[f"{other[0]}-{other[1]}"]["decision"] == "rejected"

    filtered = api.get("/reviews", "moderator", params={"format": "csv", "decision": "rejected"})
    decisions = {row["decision"] for row in csv.DictReader(io.StringIO(filtered.text))}
    assert decisions == {"rejected"}
    empty = api.get("/reviews", "moderator", params={"format": "csv", "need_id": 2**40})
    assert list(csv.reader(io.StringIO(empty.text))) == [list(CSV_COLUMNS)]


# -- accepted_pairs() -------------------------------------------------------------------


def test_accepted_pairs_function(api: Api) -> None:
    a = make_pair(api)
    b = make_pair(api)
    c = make_pair(api)
    review(api, f"{a[0]}-{a[1]}", decision="accepted", note="x")
    review(api, f"{b[0]}-{b[1]}", decision="accepted")
    review(api, f"{c[0]}-{c[1]}", decision="rejected")
    interest(api, f"{a[0]}-{a[1]}", "company", interested=True)
    interest(api, f"{a[0]}-{a[1]}", "institute", interested=True)
    interest(api, f"{b[0]}-{b[1]}", "institute", interested=False)
    with api.app.state.database.session() as session:
        found = accepted_pairs(session, need_ids=[a[0], b[0], c[0]])
        only_b = accepted_pairs(session, offer_ids=[b[1]])
        everything = accepted_pairs(session)
    assert [p.pair_id for p in found] == [f"{a[0]}-{a[1]}", f"{b[0]}-{b[1]}"]
    first, second = found
    assert first.mutual_interest and first.note == "x" and not first.changed_since_review
    assert (second.need_interested, second.offer_interested) == (None, False)
    assert not second.mutual_interest
    assert [p.pair_id for p in only_b] == [f"{b[0]}-{b[1]}"]
    assert {p.pair_id for p in found} <= {p.pair_id for p in everything}
    assert f"{c[0]}-{c[1]}" not in {p.pair_id for p in everything}


# -- bad input --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "loc"),
    [
        ({}, ["body", "decision"]),
        ({"decision": "yes"}, ["body", "decision"]),
        ({"decision": None}, ["body", "decision"]),
        ({"decision": "rejected", "reason": "boring"}, ["body", "reason"]),
        ({"decision": "accepted", "note": "x" * 2001}, ["body", "note"]),
        ({"decision": "accepted", "note": 5}, ["body", "note"]),
        ({"decision": "accepted", "extra": 1}, ["body", "extra"]),
    ],
)
def test_bad_review_bodies(api: Api, body: dict[str, Any], loc: list[str]) -> None:
    need_id, offer_id = make_pair(api)
    r = review(api, f"{need_id}-{offer_id}", **body)
    assert r.status_code == 422, r.text
    assert r.json()["detail"][0]["loc"] == loc
    log = api.get("/reviews/audit", "moderator", params={"need_id": need_id}).json()
    assert log["total"] == 0


def test_bad_pair_ids(api: Api) -> None:
    need_id, offer_id = make_pair(api)
    other_need, _ = make_pair(api)
    for bad in ("abc", f"{need_id}", f"{need_id}-", f"{need_id}-{offer_id}-1", "0-5", "-1-2"):
        r = api.post(f"/pairs/{bad}/review", "moderator", json={"decision": "accepted"})
        assert r.status_code == 422, (bad, r.text)
        assert r.json()["detail"][0]["loc"] == ["path", "pair_id"]
        r = api.post(f"/pairs/{bad}/interest", "company", json={"interested": True})
        assert r.status_code == 422, (bad, r.text)
    for missing in (
        f"{2**40}-{offer_id}",
        f"{need_id}-{2**40}",
        f"{offer_id}-{need_id}",  # kinds the wrong way round
        f"{need_id}-{other_need}",  # two needs
        "99999999999999999-1",
    ):
        r = review(api, missing, decision="accepted")
        assert r.status_code == 404, (missing, r.text)
        assert r.json()["detail"][0]["loc"] == ["path", "pair_id"]
        assert interest(api, missing, "moderator", side="need", interested=True).status_code == 404
    r = api.post(f"/pairs/{need_id}-{offer_id}/review", "moderator", content=b"decision=accepted")
    assert r.status_code == 415
    r = api.post(
        f"/pairs/{need_id}-{offer_id}/review",
        "moderator",
        content=b"{not json",
        headers={"Content-Type": "application/json"},
    )
    assert r.status_code == 422 and r.json()["detail"][0]["type"] == "json_invalid"


@pytest.mark.parametrize(
    ("body", "loc"),
    [
        ({}, ["body", "interested"]),
        ({"interested": "maybe"}, ["body", "interested"]),
        ({"interested": True, "side": "both"}, ["body", "side"]),
        ({"interested": True, "extra": 1}, ["body", "extra"]),
    ],
)
def test_bad_interest_bodies(api: Api, body: dict[str, Any], loc: list[str]) -> None:
    need_id, offer_id = make_pair(api)
    r = interest(api, f"{need_id}-{offer_id}", "company", **body)
    assert r.status_code == 422, r.text
    assert r.json()["detail"][0]["loc"] == loc


@pytest.mark.parametrize(
    ("path", "params", "loc"),
    [
        ("/reviews", {"decision": "yes"}, ["query", "decision"]),
        ("/reviews", {"reason": "boring"}, ["query", "reason"]),
        ("/reviews", {"changed": "perhaps"}, ["query", "changed"]),
        ("/reviews", {"need_id": 0}, ["query", "need_id"]),
        ("/reviews", {"limit": 0}, ["query", "limit"]),
        ("/reviews", {"offset": -1}, ["query", "offset"]),
        ("/reviews", {"format": "xml"}, ["query", "format"]),
        ("/reviews/audit", {"limit": 5000}, ["query", "limit"]),
        ("/pairs", {"status": "done"}, ["query", "status"]),
        ("/pairs", {"mutual_interest": "perhaps"}, ["query", "mutual_interest"]),
    ],
)
def test_bad_query_parameters(api: Api, path: str, params: dict[str, Any], loc: list[str]) -> None:
    r = api.get(path, "moderator", params=params)
    assert r.status_code == 422, r.text
    assert r.json()["detail"][0]["loc"] == loc


def test_openapi_lists_the_review_endpoints(api: Api) -> None:
    paths = api.client.get("/openapi.json").json()["paths"]
    for path in (
        "/api/v1/pairs/{pair_id}/review",
        "/api/v1/pairs/{pair_id}/interest",
        "/api/v1/reviews",
        "/api/v1/reviews/audit",
    ):
        assert path in paths


# -- concurrency ------------------------------------------------------------------------


def test_concurrent_decisions_form_one_audit_chain(api: Api) -> None:
    """Simultaneous first reviews of one pair: one current row, every decision logged, and
    each log entry's ``before`` is the previous entry's ``after``."""
    need_id, offer_id = make_pair(api)
    service = ReviewService(api.app.state.database)
    moderator = Principal(Role.moderator, "Fair", key_id=None)
    decisions = ["accepted", "rejected", "maybe"] * 4

    def decide(n: int) -> str:
        data = ReviewIn(decision=decisions[n], note=f"n{n}")
        return service.review(moderator, f"{need_id}-{offer_id}", data).review.decision

    with ThreadPoolExecutor(max_workers=6) as pool:
        assert len(list(pool.map(decide, range(len(decisions))))) == len(decisions)
    log = api.get("/reviews/audit", "moderator", params={"need_id": need_id}).json()
    assert log["total"] == len(decisions)
    entries = list(reversed(log["items"]))  # oldest first
    assert entries[0]["before"] is None
    for earlier, later in zip(entries, entries[1:], strict=False):
        assert later["before"] == earlier["after"]
    current = api.get("/reviews", "moderator", params={"need_id": need_id}).json()
    assert current["total"] == 1
    assert current["items"][0]["review"]["note"] == entries[-1]["after"]["note"]
