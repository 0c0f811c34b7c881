"""The authorization matrix: every role × every write endpoint, own and foreign postings."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.service.conftest import Api, posting

WHO = [
    "none",
    "bogus",
    "revoked",
    "company",
    "company_b",
    "institute",
    "institute_b",
    "moderator",
    "admin",
    "env_admin",
]
UNAUTHENTICATED = {"none": 401, "bogus": 401, "revoked": 401}
STAFF = {"moderator", "admin", "env_admin"}


def expect(allowed: set[str], ok: int, denied: int = 403) -> dict[str, int]:
    out = dict(UNAUTHENTICATED)
    for who in WHO:
        if who not in out:
            out[who] = ok if who in allowed else denied
    return out


def csv_file(n: int = 1) -> dict[str, Any]:
    rows = "".join(f"Title {i},Description {i}\n" for i in range(n))
    return {"file": ("list.csv", ("title,description\n" + rows).encode(), "text/csv")}


def owned(api: Api, kind: str, org: str) -> int:
    """A published posting owned by ``org``, created by a moderator on its behalf."""
    r = api.post(f"/{kind}s", "moderator", json=posting(organization=org))
    assert r.status_code == 201, r.text
    return int(r.json()["id"])


Action = Callable[[Api, str | None], Any]

CASES: dict[str, tuple[Action, dict[str, int]]] = {
    "POST /needs": (
        lambda api, who: api.post("/needs", who, json=posting()),
        expect({"company", "company_b"} | STAFF, 201),
    ),
    "POST /offers": (
        lambda api, who: api.post("/offers", who, json=posting()),
        expect({"institute", "institute_b"} | STAFF, 201),
    ),
    "PATCH /needs/{Org A}": (
        lambda api, who: api.patch(f"/needs/{owned(api, 'need', 'Org A')}", who, json={"trl": 3}),
        expect({"company"} | STAFF, 200),
    ),
    "DELETE /needs/{Org A}": (
        lambda api, who: api.delete(f"/needs/{owned(api, 'need', 'Org A')}", who),
        expect({"company"} | STAFF, 204),
    ),
    "PATCH /offers/{Inst A}": (
        lambda api, who: api.patch(
            f"/offers/{owned(api, 'offer', 'Inst A')}", who, json={"trl": 3}
        ),
        expect({"institute"} | STAFF, 200),
    ),
    "DELETE /offers/{Inst A}": (
        lambda api, who: api.delete(f"/offers/{owned(api, 'offer', 'Inst A')}", who),
        expect({"institute"} | STAFF, 204),
    ),
    "POST /needs/import": (
        lambda api, who: api.post("/needs/import", who, files=csv_file()),
        expect({"company", "company_b"} | STAFF, 200),
    ),
    "POST /offers/import": (
        lambda api, who: api.post("/offers/import", who, files=csv_file()),
        expect({"institute", "institute_b"} | STAFF, 200),
    ),
    "GET /pairs": (lambda api, who: api.get("/pairs", who), expect(STAFF, 200)),
    "POST /keys": (
        lambda api, who: api.post("/keys", who, json={"role": "company", "organization": "X"}),
        expect({"admin", "env_admin"}, 201),
    ),
    "GET /keys": (lambda api, who: api.get("/keys", who), expect({"admin", "env_admin"}, 200)),
    "GET /needs (read)": (lambda api, who: api.get("/needs", who), expect(set(WHO), 200)),
}


def call(api: Api, who: str, action: Action) -> Any:
    if who == "none":
        return action(api, None)
    if who == "bogus":
        api.keys["bogus"] = "tm_not-a-real-key"
    return action(api, who)


@pytest.mark.parametrize("case", list(CASES))
def test_matrix(api: Api, case: str) -> None:
    action, expected = CASES[case]
    got = {who: call(api, who, action).status_code for who in WHO}
    assert got == expected


def test_denied_writes_change_nothing(api: Api) -> None:
    need = owned(api, "need", "Org A")
    before = api.get(f"/needs/{need}").json()
    assert api.patch(f"/needs/{need}", "company_b", json={"title": "hijacked"}).status_code == 403
    assert api.delete(f"/needs/{need}", "institute").status_code == 403
    assert api.get(f"/needs/{need}").json() == before
    assert need in api.indexed()


def test_foreign_drafts_are_404_not_403(api: Api) -> None:
    draft = api.create("need", status="draft")["id"]
    assert api.patch(f"/needs/{draft}", "company_b", json={"trl": 2}).status_code == 404
    assert api.delete(f"/needs/{draft}", "company_b").status_code == 404


def test_401_carries_www_authenticate(api: Api) -> None:
    r = api.get("/needs", None)
    assert r.status_code == 401
    assert r.headers["www-authenticate"] == "Bearer"
    assert r.json()["detail"][0]["loc"] == ["header", "Authorization"]
    r = api.get("/needs", None, headers={"Authorization": "Basic abc"})
    assert r.status_code == 401


def test_revoking_a_key_over_http(api: Api) -> None:
    new = api.post("/keys", "admin", json={"role": "institute", "organization": "Lab"}).json()
    headers = {"Authorization": f"Bearer {new['key']}"}
    assert api.get("/me", None, headers=headers).json()["organization"] == "Lab"
    listed = {k["id"]: k for k in api.get("/keys", "admin").json()}
    assert "key" not in listed[new["id"]]
    assert api.delete(f"/keys/{new['id']}", "admin").json()["revoked_at"]
    assert api.get("/me", None, headers=headers).status_code == 401
    assert api.delete("/keys/999999", "admin").status_code == 404


def test_health_needs_no_key(api: Api) -> None:
    assert api.client.get("/health").status_code == 200
