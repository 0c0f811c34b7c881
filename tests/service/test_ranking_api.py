"""The ranking learned from decisions: ``POST /ranking/learn``, ``GET /ranking``,
``POST /ranking/reset``, through the real app on SQLite and PostgreSQL (hashing model).

Each world has 12 needs on unrelated topics, each with four offers of its own: two that
repeat the need's words ("close") and two that share one word ("far"). Who is accepted
decides whether a learned ranking can beat the built-in fusion.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from service.main import create_app
from tests.service.conftest import BACKENDS, Api, add_keys, database_url_for, make_settings
from vocabulary import SECTORS

TOPICS = [
    ("oyster", "hatchery", "larvae", "salinity", "algae", "spat"),
    ("turbine", "blade", "composite", "erosion", "coating", "resin"),
    ("cassava", "starch", "peeling", "grater", "pulp", "tapioca"),
    ("crane", "container", "gantry", "spreader", "twistlock", "quay"),
    ("dialysis", "kidney", "membrane", "patient", "filter", "clinic"),
    ("lacquer", "bamboo", "furniture", "varnish", "veneer", "joinery"),
    ("pepper", "drying", "kiln", "peppercorn", "moisture", "grading"),
    ("rooftop", "photovoltaic", "inverter", "panel", "solar", "mounting"),
    ("welding", "hull", "seam", "robot", "plate", "shipyard"),
    ("vaccine", "freezer", "logger", "coldchain", "temperature", "vial"),
    ("tourism", "homestay", "booking", "guesthouse", "calendar", "travel"),
    ("forklift", "battery", "lithium", "charger", "warehouse", "pallet"),
]

SECTOR_CODES = sorted(code for code in SECTORS if code != "other")

#: (topic index, offer index 0–3, close?) → accepted?
Labels = Callable[[int, int, bool], bool]
#: (topic index, accepted?) → the offer's TRL (the needs accept TRL 6 and up)
Trl = Callable[[int, bool], int]


def _post(api: Api, kind: str, title: str, description: str, trl: int, sector: str) -> int:
    body = {
        "title": title,
        "description": description,
        "sector": sector,
        "language": "en",
        "trl": trl,
        "organization": "Org A" if kind == "need" else "Inst A",
    }
    response = api.post(f"/{kind}s", "moderator", json=body)
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


def build_world(api: Api, labels: Labels, trl: Trl, topics: int = 12) -> dict[str, Any]:
    """Post the world and decide every pair; returns ids and who was accepted."""
    out: dict[str, Any] = {"needs": [], "accepted": {}, "close": {}}
    for i, words in enumerate(TOPICS[:topics]):
        w = words
        # each topic its own sector, as real postings have: an offer of another topic is
        # not a candidate the learned ranking may lift on its TRL alone
        sector = SECTOR_CODES[i % len(SECTOR_CODES)]
        need = _post(
            api,
            "need",
            f"{w[0]} {w[1]} {w[2]} needed",
            f"We need {w[0]} {w[1]} {w[2]} {w[3]} for our company.",
            6,
            sector,
        )
        out["needs"].append(need)
        for j in range(4):
            close = j < 2
            accepted = labels(i, j, close)
            if close:
                title, text = (
                    f"{w[0]} {w[1]} {w[2]} {w[3]} model{j}",
                    f"{w[0]} {w[1]} {w[2]} {w[3]}",
                )
            else:
                title, text = f"{w[0]} {w[4]} {w[5]} model{j}", f"{w[0]} {w[4]} {w[5]}"
            offer = _post(
                api, "offer", title, f"We offer {text} products.", trl(i, accepted), sector
            )
            decision = "accepted" if accepted else "rejected"
            body: dict[str, Any] = {"decision": decision}
            if not accepted:
                body["reason"] = "not_relevant"
            response = api.post(f"/pairs/{need}-{offer}/review", "moderator", json=body)
            assert response.status_code == 200, response.text
            out["accepted"][(need, offer)] = accepted
            out["close"][(need, offer)] = close
    return out


def trl_signal(_: int, accepted: bool) -> int:
    """Accepted offers reach the need's TRL 6, rejected ones fall far short."""
    return 8 if accepted else 2


def same_trl(_: int, __: bool) -> int:
    return 6


def text_against_half(i: int, _: int, close: bool) -> bool:
    """Even topics: the close offers are accepted (the fusion agrees); odd: the far ones."""
    return close if i % 2 == 0 else not close


def top_two(api: Api, need: int) -> list[int]:
    response = api.get(f"/needs/{need}/matches?limit=2&include_rejected=true", "moderator")
    assert response.status_code == 200, response.text
    return [item["offer"]["id"] for item in response.json()["items"]]


@contextmanager
def app_on(url: str, directory: Path, model: Any) -> Iterator[Api]:
    """The app over an existing database (a restart, or a second worker)."""
    app = create_app(make_settings(directory, url), model=model)
    with TestClient(app) as client:
        yield Api(client, add_keys(client), "")


@pytest.fixture(params=BACKENDS)
def world_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    return database_url_for(request.param, tmp_path / "db", request)


def test_roles_and_too_few_decisions(fresh_api: Api) -> None:
    api = fresh_api
    for who in ("company", "institute"):
        for method, path in (
            ("POST", "/ranking/learn"),
            ("GET", "/ranking"),
            ("POST", "/ranking/reset"),
        ):
            assert api.request(method, path, who).status_code == 403, (who, path)
    assert api.post("/ranking/learn", None).status_code == 401
    build_world(api, text_against_half, trl_signal, topics=7)  # 28 decisions < 30
    response = api.post("/ranking/learn", "moderator")
    assert response.status_code == 409, response.text
    item = response.json()["detail"][0]
    assert item["type"] == "too_few_decisions"
    assert (item["decisions"], item["needs"], item["accepted"], item["rejected"]) == (28, 7, 14, 14)
    assert "28" in item["msg"] and "28" in item["msg_vi"] and "nhu cầu" in item["msg_vi"]
    ranking = api.get("/ranking", "moderator").json()
    assert ranking["active"] == "builtin" and ranking["version"] is None
    assert ranking["history"] == []  # a refused attempt (409) stores nothing


def test_too_few_needs(fresh_api: Api) -> None:
    """Enough decisions (36) but on 9 needs only: 409 with the numbers."""
    build_world(fresh_api, text_against_half, trl_signal, topics=9)
    response = fresh_api.post("/ranking/learn", "admin")
    assert response.status_code == 409
    item = response.json()["detail"][0]
    assert (item["decisions"], item["needs"]) == (36, 9)
    assert (item["min_decisions"], item["min_needs"]) == (30, 10)


def test_switched_when_better_survives_restart_reaches_workers_and_resets(
    world_url: str, tmp_path: Path, hashing_model: Any
) -> None:
    with app_on(world_url, tmp_path / "a", hashing_model) as api:
        world = build_world(api, text_against_half, trl_signal)
        wrong = [n for i, n in enumerate(world["needs"]) if i % 2 == 1]
        builtin_tops = {n: top_two(api, n) for n in wrong}
        hits = sum(world["accepted"][(n, o)] for n in wrong for o in builtin_tops[n])
        assert hits < len(wrong), builtin_tops  # the built-in fusion prefers the close offers
        with app_on(world_url, tmp_path / "b", hashing_model) as worker:  # a second worker
            response = api.post("/ranking/learn", "moderator")
            assert response.status_code == 200, response.text
            learned = response.json()
            assert learned["switched"] is True, learned
            assert (learned["decisions"], learned["needs"]) == (48, 12)
            assert (learned["accepted"], learned["rejected"]) == (24, 24)
            assert learned["learned"]["ndcg_at_10"] > learned["current"]["ndcg_at_10"]
            assert learned["learned"]["auc"] > learned["current"]["auc"]
            assert learned["gain"]["lower_90"] > 0 and learned["current"]["ranking"] == "builtin"
            version = learned["version"]
            assert learned["ranking"]["active"] == "learned"
            assert learned["ranking"]["version"] == version
            for need in wrong:  # the learned ranking puts the accepted far offers first
                assert all(world["accepted"][(need, o)] for o in top_two(api, need))
            worker.app.state.ranking_watcher.interval = 0.0
            for need in wrong:  # the other worker follows the database
                assert all(world["accepted"][(need, o)] for o in top_two(worker, need))
            assert worker.app.state.matcher.ranking_version == version
    with app_on(world_url, tmp_path / "c", hashing_model) as api:  # a restart
        status = api.get("/ranking", "moderator").json()
        assert status["active"] == "learned" and status["version"] == version
        assert (status["decisions"], status["needs"]) == (48, 12)
        assert status["history"][0]["created_by_role"] == "moderator"
        assert status["history"][0]["figures"]["gain"] > 0
        assert "trl" in status["weights"] and status["weights"]["trl"] > 0
        assert api.app.state.matcher.ranking_version == version
        for need in wrong:
            assert all(world["accepted"][(need, o)] for o in top_two(api, need))
        older = _stored_as_format_3(api, version)
    with app_on(world_url, tmp_path / "d", hashing_model) as api:  # a row of format 3 loads
        status = api.get("/ranking", "moderator").json()
        assert status["active"] == "learned" and status["version"] == older
        assert status["weights"]["offer_accept"] == status["weights"]["offer_rejects"] == 0.0
        assert api.app.state.matcher.ranking_version == older
        for need in wrong:
            assert all(world["accepted"][(need, o)] for o in top_two(api, need))
        reset = api.post("/ranking/reset", "admin")
        assert reset.status_code == 200, reset.text
        assert reset.json()["active"] == "builtin"
        assert reset.json()["history"][0]["action"] == "reset"
        assert {n: top_two(api, n) for n in wrong} == builtin_tops


def _stored_as_format_3(api: Api, version: int) -> int:
    """Check that row ``version`` stores its offer decisions (format 4), then append a copy
    in the format before them (no offer features, no decisions) as the active ranking."""
    from service.auth.roles import Principal, Role
    from service.db.models import RankingModelRow
    from service.ranking import store

    with api.app.state.database.session(write=True) as session:
        row = session.get(RankingModelRow, version)
        model = dict(row.model)
        assert model["format"] == 4 and len(model["offers"]) == 48
        assert model["features"][-2:] == ["offer_accept", "offer_rejects"]
        older = {
            **{k: v for k, v in model.items() if k != "offers"},
            "format": 3,
            "features": model["features"][:-2],
            "weights": model["weights"][:-2],
        }
        admin = Principal(Role.admin, "Org A")
        new = store.append(session, admin, "learn", True, 48, 12, older, row.figures, "format 3")
        session.commit()
        return int(new.id)


def test_not_switched_when_decisions_agree_with_the_builtin(fresh_api: Api) -> None:
    """Accepted = the close offers the built-in fusion already ranks first: nothing to gain."""
    build_world(fresh_api, lambda i, j, close: close, same_trl)
    response = fresh_api.post("/ranking/learn", "moderator")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["switched"] is False
    assert body["current"]["ndcg_at_10"] == pytest.approx(1.0)
    assert "gain" in body["reason"] and body["reason_vi"]
    status = fresh_api.get("/ranking", "moderator").json()
    assert status["active"] == "builtin"
    assert status["history"][0]["activated"] is False  # the attempt is audited all the same


def test_not_switched_on_random_decisions(fresh_api: Api) -> None:
    rng = random.Random(5)
    draws = {(i, j): rng.random() < 0.5 for i in range(12) for j in range(4)}
    build_world(fresh_api, lambda i, j, close: draws[(i, j)], same_trl)
    body = fresh_api.post("/ranking/learn", "moderator").json()
    assert body["switched"] is False, body
    assert fresh_api.get("/ranking", "moderator").json()["active"] == "builtin"
