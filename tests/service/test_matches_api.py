"""Ranked matches, moderator pairs, health and docs, through the real app."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from tests.service.conftest import Api, unique

WORDS = ["solar", "dryer", "battery", "rice", "coffee", "port", "crane", "software"]
WORDS += ["drone", "cement", "steel", "vaccine", "hotel", "school", "filter", "laser"]


def background(api: Api, n: int) -> None:
    """``n`` unrelated published postings of both kinds."""
    for i in range(n):
        words = [WORDS[(i * 7 + j * 3) % len(WORDS)] for j in range(8)]
        api.create(
            "need" if i % 2 else "offer",
            title=" ".join(words[:4]),
            description=" ".join(words),
            language="en",
            sector="other",
        )


@pytest.fixture(scope="module")
def pool(api: Api) -> dict[str, int]:
    """A need and offers that share words with it in different amounts, in a pool of
    unrelated postings (ranking statistics need a pool of some size)."""
    tag = unique("pool")
    background(api, 24)
    need = api.create(
        "need",
        title=f"Shrimp pond oxygen sensor {tag}",
        description=f"Dissolved oxygen sensor with alerts for shrimp ponds {tag}.",
        sector="aquaculture_fisheries",
        language="en",
    )
    close = api.create(
        "offer",
        title=f"Oxygen sensor buoy for shrimp ponds {tag}",
        description=f"Dissolved oxygen sensor, alerts by SMS, shrimp ponds {tag}.",
        sector="aquaculture_fisheries",
        language="en",
    )
    far = api.create(
        "offer",
        title="Welding robot for ship hulls",
        description="Automated welding of hull blocks in shipyards.",
        sector="shipbuilding_marine",
        language="en",
    )
    draft = api.create(
        "offer",
        title=f"Oxygen sensor buoy draft {tag}",
        description=f"Dissolved oxygen sensor shrimp ponds {tag}.",
        status="draft",
        language="en",
    )
    expired = api.create(
        "offer",
        title=f"Oxygen sensor expired {tag}",
        description=f"Dissolved oxygen sensor shrimp ponds {tag}.",
        language="en",
        expires_on=(date.today() - timedelta(days=1)).isoformat(),
    )
    return {
        "need": need["id"],
        "close": close["id"],
        "far": far["id"],
        "draft": draft["id"],
        "expired": expired["id"],
    }


def offer_ids(api: Api, need_id: int) -> list[int]:
    """Ids of the offers matched to ``need_id``, best first."""
    items = api.get(f"/needs/{need_id}/matches", "company", params={"limit": 100}).json()
    return [i["offer"]["id"] for i in items["items"]]


def test_need_matches_shape_and_order(api: Api, pool: dict[str, int]) -> None:
    r = api.get(f"/needs/{pool['need']}/matches", "company_b", params={"limit": 50})
    assert r.status_code == 200, r.text
    items = r.json()["items"]
    assert items, "expected matches"
    first = items[0]
    assert set(first) >= {"offer", "score", "recommended", "components", "reasons", "pair_id"}
    assert first["offer"]["id"] == pool["close"]
    assert first["pair_id"] == f"{pool['need']}-{pool['close']}"
    assert first["offer"]["contact"] is None  # company_b does not own the offer
    scores = [i["score"] for i in items]
    assert scores == sorted(scores, reverse=True)
    assert all(0.0 <= s <= 1.0 for s in scores)
    assert isinstance(first["recommended"], bool)
    assert isinstance(first["components"], dict) and isinstance(first["reasons"], dict)
    assert all(i["offer"]["kind"] == "offer" for i in items)


def test_drafts_and_expired_are_not_counterparts(api: Api, pool: dict[str, int]) -> None:
    items = api.get(f"/needs/{pool['need']}/matches", "company", params={"limit": 100}).json()
    ids = {i["offer"]["id"] for i in items["items"]}
    assert pool["draft"] not in ids and pool["expired"] not in ids


def test_match_filters(api: Api, pool: dict[str, int]) -> None:
    path = f"/needs/{pool['need']}/matches"
    items = api.get(path, "company", params={"limit": 1}).json()["items"]
    assert len(items) == 1
    items = api.get(path, "company", params={"sector": "shipbuilding_marine", "limit": 100}).json()
    assert {i["offer"]["sector"] for i in items["items"]} == {"shipbuilding_marine"}
    scores = [i["score"] for i in api.get(path, "company", params={"limit": 100}).json()["items"]]
    distinct = sorted(set(scores))
    assert len(distinct) >= 2
    cut = (distinct[0] + distinct[1]) / 2  # between the two lowest scores: drops the lowest
    items = api.get(path, "company", params={"min_score": cut, "limit": 100}).json()["items"]
    assert items and all(i["score"] >= cut for i in items)
    lowest = scores.count(distinct[0])
    assert len(items) == sum(1 for s in scores if s >= cut) == len(scores) - lowest
    above = api.get(path, "company", params={"min_score": min(1.0, max(scores) + 1e-6)}).json()
    assert all(i["score"] >= max(scores) for i in above["items"])


def test_offer_matches(api: Api, pool: dict[str, int]) -> None:
    r = api.get(f"/offers/{pool['close']}/matches", "institute_b", params={"limit": 100})
    assert r.status_code == 200
    items = r.json()["items"]
    assert items[0]["need"]["id"] == pool["need"]
    assert all("need" in i and "offer" not in i for i in items)


def test_matches_of_hidden_or_missing_postings(api: Api, pool: dict[str, int]) -> None:
    assert api.get(f"/offers/{pool['draft']}/matches", "institute_b").status_code == 404
    assert api.get(f"/offers/{pool['draft']}/matches", "institute").status_code == 200
    assert api.get(f"/needs/{pool['close']}/matches", "company").status_code == 404
    assert api.get("/needs/99999999/matches", "company").status_code == 404
    assert api.get(f"/needs/{pool['need']}/matches", None).status_code == 401


def test_writes_reach_the_index_before_the_answer(api: Api, pool: dict[str, int]) -> None:
    tag = unique("fresh")
    need = api.create("need", title=f"Rare term {tag}", description=f"Looking for {tag}.")
    offer = api.create("offer", title=f"Rare term {tag}", description=f"We offer {tag}.")
    items = api.get(f"/needs/{need['id']}/matches", "company").json()["items"]
    assert items[0]["offer"]["id"] == offer["id"]
    api.patch(f"/offers/{offer['id']}", "institute", json={"status": "archived"})
    ids = [
        i["offer"]["id"] for i in api.get(f"/needs/{need['id']}/matches", "company").json()["items"]
    ]
    assert offer["id"] not in ids
    api.patch(f"/offers/{offer['id']}", "institute", json={"status": "published"})
    items = api.get(f"/needs/{need['id']}/matches", "company").json()["items"]
    assert items[0]["offer"]["id"] == offer["id"]
    api.delete(f"/offers/{offer['id']}", "institute")
    assert offer["id"] not in api.indexed()
    ids = [
        i["offer"]["id"] for i in api.get(f"/needs/{need['id']}/matches", "company").json()["items"]
    ]
    assert offer["id"] not in ids


def test_pairs(api: Api, pool: dict[str, int]) -> None:
    r = api.get("/pairs", "moderator", params={"limit": 500, "per_need": 2, "per_offer": 1})
    assert r.status_code == 200, r.text
    items = r.json()["items"]
    assert items
    scores = [p["score"] for p in items]
    assert scores == sorted(scores, reverse=True)
    per_need: dict[int, int] = {}
    per_offer: dict[int, int] = {}
    for p in items:
        assert p["pair_id"] == f"{p['need_id']}-{p['offer_id']}"
        assert p["need"]["id"] == p["need_id"] and p["offer"]["id"] == p["offer_id"]
        assert p["need"]["status"] == "published" and p["offer"]["status"] == "published"
        assert not p["offer"]["expired"]
        assert set(p) >= {"score", "components", "reasons", "recommended"}
        per_need[p["need_id"]] = per_need.get(p["need_id"], 0) + 1
        per_offer[p["offer_id"]] = per_offer.get(p["offer_id"], 0) + 1
    assert max(per_need.values()) <= 2 and max(per_offer.values()) <= 1
    assert {pool["draft"], pool["expired"]}.isdisjoint(per_offer)
    limited = api.get("/pairs", "moderator", params={"limit": 1, "per_need": 2, "per_offer": 1})
    assert [p["pair_id"] for p in limited.json()["items"]] == [items[0]["pair_id"]]


def test_pairs_are_stable(api: Api, pool: dict[str, int]) -> None:
    first = api.get("/pairs", "admin").json()["items"]
    again = api.get("/pairs", "admin").json()["items"]
    assert [p["pair_id"] for p in first] == [p["pair_id"] for p in again]


def test_health(api: Api) -> None:
    r = api.client.get("/health")
    assert r.status_code == 200
    body = r.json()
    assert body["status"] == "ok"
    assert body["database"] == {
        "ok": True,
        "backend": "sqlite" if api.backend == "sqlite" else "postgresql",
    }
    assert body["index"]["ok"] is True and body["index"]["size"] == len(api.indexed())
    assert body["model"] == {"ok": True, "name": "hashing", "backend": None, "dimension": 256}
    assert body["index"]["embedded_since_start"] >= body["index"]["size"]


def test_openapi_docs_have_vietnamese_and_english_examples(api: Api) -> None:
    assert api.client.get("/docs").status_code == 200
    spec = api.client.get("/openapi.json").json()
    body = spec["paths"]["/api/v1/needs"]["post"]["requestBody"]["content"]["application/json"]
    assert set(body["examples"]) == {"vi", "en"}
    assert body["examples"]["vi"]["value"]["title"].startswith("Hệ thống")
    assert "/api/v1/needs/{posting_id}/matches" in spec["paths"]
    assert "/api/v1/pairs" in spec["paths"] and "/health" in spec["paths"]
    schemas = spec["components"]["schemas"]
    assert "patent_granted" in str(schemas["IpStatus"]) and "joint_development" in str(
        schemas["TransferMode"]
    )
    assert "aquaculture_fisheries" in str(schemas["PostingCreate"])


def test_expiry_is_applied_without_a_write(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    """A posting that expires while the service runs stops being a counterpart."""
    tag = unique("exp")
    need = api.create("need", title=f"Term {tag}", description=f"Need {tag}.")
    tomorrow = date.today() + timedelta(days=1)
    offer = api.create(
        "offer", title=f"Term {tag}", description=f"Offer {tag}.", expires_on=tomorrow.isoformat()
    )
    assert offer["id"] in offer_ids(api, need["id"])

    class Later(date):
        @classmethod
        def today(cls) -> Later:
            day = tomorrow + timedelta(days=1)
            return cls(day.year, day.month, day.day)

    import service.matching

    monkeypatch.setattr(service.matching, "date", Later)
    assert offer["id"] not in offer_ids(api, need["id"])


def test_health_reports_a_broken_database(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(write: bool = False) -> None:
        raise OSError("database is gone")

    monkeypatch.setattr(api.app.state.database, "session", broken)
    # the ranking watcher checks the database at most every 2 s: make this request one that
    # checks (it failed /health with a 500 whenever the interval had passed)
    monkeypatch.setattr(api.app.state.ranking_watcher, "_checked", float("-inf"))
    r = api.client.get("/health")
    assert r.status_code == 503
    assert r.json()["status"] == "error" and r.json()["database"]["ok"] is False
