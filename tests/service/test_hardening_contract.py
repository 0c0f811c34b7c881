"""Issue 13, contract drift: declared error answers, no lax coercion of nonsense, non-UTF-8
and too deep JSON bodies are 422, and wrong methods get 405 with the full ``Allow``."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.service.conftest import Api, posting
from tests.service.test_sessions import make_posting, make_session

SESSION = {
    "name": "Phiên thử",
    "start": "2026-12-05T08:30:00+07:00",
    "slot_minutes": 20,
    "slots": 3,
    "tables": 2,
    "max_meetings_per_participant": 2,
}


def test_error_codes_are_declared(api: Api) -> None:
    spec = api.client.get("/openapi.json").json()
    schedule = spec["paths"]["/api/v1/sessions/{session_id}/schedule"]["post"]["responses"]
    create = spec["paths"]["/api/v1/needs"]["post"]["responses"]
    for code in ("401", "409", "415", "422", "429"):
        assert code in schedule and code in create, code
    imports = spec["paths"]["/api/v1/needs/import"]
    assert set(imports) == {"post"}  # the 405-only route is not in the spec


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/needs", posting(expires_on=0), "expires_on"),
        ("/needs", posting(expires_on=1.5e9), "expires_on"),
        ("/sessions", {**SESSION, "fairness_k": False}, "fairness_k"),
        ("/sessions", {**SESSION, "slots": True}, "slots"),
    ],
)
def test_lax_coercion_is_refused(api: Api, path: str, body: dict[str, Any], field: str) -> None:
    r = api.post(path, "moderator", json=body)
    assert r.status_code == 422, r.text
    assert r.json()["detail"][0]["loc"][:2] == ["body", field]


def test_lax_coercion_is_refused_in_updates_and_participants(api: Api) -> None:
    need = api.create("need")["id"]
    r = api.patch(f"/needs/{need}", "company", json={"expires_on": 0})
    assert r.status_code == 422
    assert (
        api.patch(f"/needs/{need}", "company", json={"expires_on": "2030-01-31"}).status_code == 200
    )
    sid = make_session(api)["id"]
    assert api.patch(f"/sessions/{sid}", "moderator", json={"fairness_k": False}).status_code == 422
    pid = make_posting(api, "offer", 0, "Inst A")
    r = api.post(
        f"/sessions/{sid}/participants",
        "moderator",
        json={"posting_id": pid, "unavailable_slots": [False]},
    )
    assert r.status_code == 422 and r.json()["detail"][0]["loc"][:3] == [
        "body",
        "unavailable_slots",
        0,
    ]
    r = api.post(f"/sessions/{sid}/participants", "moderator", json={"posting_id": True})
    assert r.status_code == 422
    r = api.post(f"/sessions/{sid}/schedule", "moderator", json={"min_score": True})
    assert r.status_code == 422
    ok = {"posting_id": pid, "unavailable_slots": [0]}
    assert api.post(f"/sessions/{sid}/participants", "moderator", json=ok).status_code == 201


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-32"])
def test_non_utf8_json_is_422(api: Api, encoding: str) -> None:
    body = json.dumps(posting()).encode(encoding)
    r = api.post("/needs", "company", content=body, headers={"Content-Type": "application/json"})
    assert r.status_code == 422, r.text
    assert r.json()["detail"][0]["type"] == "body_not_utf8"


def test_utf8_json_with_accents_is_fine(api: Api) -> None:
    body = json.dumps(posting(title="Cảm biến oxy cho ao tôm"), ensure_ascii=False).encode()
    r = api.post("/needs", "company", content=body, headers={"Content-Type": "application/json"})
    assert r.status_code == 201, r.text


def test_deep_json_is_422_json_invalid(api: Api) -> None:
    body = b"[" * 100_000 + b"]" * 100_000
    for path in ("/needs", "/sessions"):
        r = api.post(path, "moderator", content=body, headers={"Content-Type": "application/json"})
        assert r.status_code == 422, r.text
        assert r.json()["detail"][0]["type"] == "json_invalid"


def allow(response: Any) -> set[str]:
    return {m.strip() for m in response.headers["allow"].split(",")}


def test_options_lists_every_method(api: Api) -> None:
    r = api.request("OPTIONS", "/needs")
    assert r.status_code == 204
    assert allow(r) >= {"GET", "POST", "OPTIONS"}
    need = api.create("need")["id"]
    r = api.request("OPTIONS", f"/needs/{need}")
    assert r.status_code == 204 and allow(r) >= {"GET", "PATCH", "DELETE"}
    r = api.request("PUT", "/needs")
    assert r.status_code == 405 and allow(r) >= {"GET", "POST"}
    assert r.json()["detail"][0]["type"] == "method_not_allowed"


@pytest.mark.parametrize("method", ["GET", "PATCH", "PUT", "DELETE"])
def test_wrong_methods_on_import_are_405(api: Api, method: str) -> None:
    for kind in ("needs", "offers"):
        r = api.request(method, f"/{kind}/import", json={"title": "x"})
        assert r.status_code == 405, (method, r.text)
        assert allow(r) == {"POST", "OPTIONS"}
    r = api.request("OPTIONS", "/needs/import")
    assert r.status_code == 204 and allow(r) == {"POST", "OPTIONS"}


def test_posting_routes_still_validate_ids(api: Api) -> None:
    r = api.patch("/needs/abc", "company", json={"title": "x"})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["path", "posting_id"]
