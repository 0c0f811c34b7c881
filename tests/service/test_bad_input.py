"""Bad input gets a 4xx naming the field and the reason, writes nothing, and is never a 5xx."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.service.conftest import Api, posting

JSON = {"content-type": "application/json"}


def count(api: Api) -> int:
    total = 0
    for kind in ("need", "offer"):
        r = api.get(f"/{kind}s", "admin", params={"include_expired": True, "limit": 1})
        total += r.json()["total"]
    return total


def without(field: str) -> dict[str, Any]:
    data = posting()
    data.pop(field)
    return data


BAD_FIELDS: list[tuple[str, dict[str, Any], list[str | int], str]] = [
    ("missing title", without("title"), ["body", "title"], "missing"),
    ("missing description", without("description"), ["body", "description"], "missing"),
    ("empty title", posting(title=""), ["body", "title"], "string_too_short"),
    ("blank title", posting(title="   "), ["body", "title"], "string_too_short"),
    ("control-only title", posting(title="\x00\x01"), ["body", "title"], "value_error"),
    ("empty description", posting(description=""), ["body", "description"], "string_too_short"),
    ("long title", posting(title="x" * 201), ["body", "title"], "string_too_long"),
    (
        "long description",
        posting(description="x" * 5001),
        ["body", "description"],
        "string_too_long",
    ),
    (
        "too many keywords",
        posting(keywords=[f"k{i}" for i in range(21)]),
        ["body", "keywords"],
        "too_long",
    ),
    ("long keyword", posting(keywords=["x" * 61]), ["body", "keywords", 0], "string_too_long"),
    (
        "long organization",
        posting(organization="x" * 201),
        ["body", "organization"],
        "string_too_long",
    ),
    ("long province", posting(province="x" * 101), ["body", "province"], "string_too_long"),
    ("trl 0", posting(trl=0), ["body", "trl"], "greater_than_equal"),
    ("trl 10", posting(trl=10), ["body", "trl"], "less_than_equal"),
    ("trl string", posting(trl="5"), ["body", "trl"], "int_type"),
    ("trl float", posting(trl=5.5), ["body", "trl"], "int_type"),
    ("trl bool", posting(trl=True), ["body", "trl"], "int_type"),
    ("unknown sector", posting(sector="space_travel"), ["body", "sector"], "value_error"),
    ("title not a string", posting(title=123), ["body", "title"], "string_type"),
    ("keywords not a list", posting(keywords="a, b"), ["body", "keywords"], "list_type"),
    (
        "contact not an object",
        posting(contact="call me"),
        ["body", "contact"],
        "model_attributes_type",
    ),
    (
        "bad e-mail",
        posting(contact={"email": "not-an-email"}),
        ["body", "contact", "email"],
        "string_pattern_mismatch",
    ),
    (
        "unknown transfer mode",
        posting(transfer_modes=["telepathy"]),
        ["body", "transfer_modes", 0],
        "enum",
    ),
    ("unknown status", posting(status="deleted"), ["body", "status"], "enum"),
    ("unknown ip status", posting(ip_status="maybe"), ["body", "ip_status"], "enum"),
    ("unknown language", posting(language="fr"), ["body", "language"], "enum"),
    (
        "bad date",
        posting(expires_on="tomorrow"),
        ["body", "expires_on"],
        "date_from_datetime_parsing",
    ),
    ("unknown field", posting(colour="blue"), ["body", "colour"], "extra_forbidden"),
    ("id is not settable", posting(id=5), ["body", "id"], "extra_forbidden"),
]


@pytest.mark.parametrize(
    ("case", "data", "loc", "type_"), BAD_FIELDS, ids=[c[0] for c in BAD_FIELDS]
)
def test_bad_fields(api: Api, case: str, data: dict, loc: list, type_: str) -> None:
    before = count(api)
    r = api.post("/needs", "company", json=data)
    assert r.status_code == 422, r.text
    detail = r.json()["detail"]
    assert any(d["loc"] == loc for d in detail), detail
    item = next(d for d in detail if d["loc"] == loc)
    assert item["type"] == type_, item
    assert item["msg"]
    assert count(api) == before


RAW_BODIES: list[tuple[str, bytes, dict[str, str], int, list[str | int], str]] = [
    ("invalid JSON", b'{"title": ', JSON, 422, ["body", 10], "json_invalid"),
    ("not JSON", b"hello world", JSON, 422, ["body", 0], "json_invalid"),
    ("not UTF-8", '{"title": "Cà phê"}'.encode("cp1258"), JSON, 422, ["body"], "body_not_utf8"),
    (
        "latin-1 bytes",
        b'{"title": "\xff\xfe\xfa", "description": "x"}',
        JSON,
        422,
        ["body"],
        "body_not_utf8",
    ),
    (
        "form body",
        b"title=x&description=y",
        {"content-type": "application/x-www-form-urlencoded"},
        415,
        ["header", "content-type"],
        "unsupported_media_type",
    ),
    (
        "text body",
        b"title: x",
        {"content-type": "text/plain"},
        415,
        ["header", "content-type"],
        "unsupported_media_type",
    ),
    (
        "no content type",
        b'{"title": "x", "description": "y"}',
        {},
        415,
        ["header", "content-type"],
        "unsupported_media_type",
    ),
    ("JSON list", b"[1, 2]", JSON, 422, ["body"], "model_attributes_type"),
    ("JSON string", b'"a need"', JSON, 422, ["body"], "model_attributes_type"),
    ("JSON null", b"null", JSON, 422, ["body"], "missing|model_attributes_type"),
    ("empty body", b"", JSON, 422, ["body"], "missing"),
    (
        "lone surrogate",
        b'{"title": "\\ud800", "description": "x"}',
        JSON,
        422,
        ["body", "title"],
        "string_unicode",
    ),
    (
        "NaN",
        b'{"title": "x", "description": "y", "trl": NaN}',
        JSON,
        422,
        ["body", "trl"],
        "int_type",
    ),
    ("deep nesting", b"[" * 100_000, JSON, 422, ["body"], "json_invalid"),  # issue 13
    (
        "oversize",
        b'{"title": "' + b"x" * (1024 * 1024) + b'"}',
        JSON,
        413,
        ["body"],
        "body_too_large",
    ),
]


@pytest.mark.parametrize(
    ("case", "body", "headers", "status", "loc", "type_"),
    RAW_BODIES,
    ids=[c[0] for c in RAW_BODIES],
)
def test_bad_bodies(
    api: Api, case: str, body: bytes, headers: dict, status: int, loc: list, type_: str
) -> None:
    need = target(api)
    before = count(api)
    for method, path in (("POST", "/needs"), ("PATCH", f"/needs/{need}")):
        r = api.request(method, path, "company", content=body, headers=headers)
        assert r.status_code == status, (method, r.text)
        detail = r.json()["detail"]
        assert detail[0]["loc"] == loc and detail[0]["type"] in type_.split("|"), detail
    assert count(api) == before


def test_oversize_streamed_body_is_413(api: Api) -> None:
    def chunks():  # no Content-Length: the limit must cut the stream
        for _ in range(20):
            yield b"x" * 65536

    r = api.post("/needs", "company", content=chunks(), headers=JSON)
    assert r.status_code == 413
    assert r.json()["detail"][0]["type"] == "body_too_large"


_TARGET: dict[str, int] = {}


def target(api: Api) -> int:
    """A need of Org A used as the PATCH target of bad bodies."""
    key = f"{api.backend}-{id(api)}"
    if key not in _TARGET:
        _TARGET[key] = api.create("need")["id"]
    return _TARGET[key]


@pytest.mark.parametrize(
    ("data", "loc"),
    [
        ({"title": None}, ["body", "title"]),
        ({"description": None}, ["body", "description"]),
        ({"status": None}, ["body", "status"]),
        ({"keywords": None}, ["body", "keywords"]),
        ({"title": ""}, ["body", "title"]),
        ({"trl": 11}, ["body", "trl"]),
        ({"sector": "nope"}, ["body", "sector"]),
        ({"kind": "offer"}, ["body", "kind"]),
        ({"owner_org": "Org B"}, ["body", "owner_org"]),
    ],
)
def test_bad_patch_changes_nothing(api: Api, data: dict, loc: list) -> None:
    need = target(api)
    before = api.get(f"/needs/{need}", "company").json()
    r = api.patch(f"/needs/{need}", "company", json=data)
    assert r.status_code == 422, r.text
    assert r.json()["detail"][0]["loc"] == loc
    assert api.get(f"/needs/{need}", "company").json() == before


def test_external_id_conflict_is_409(api: Api) -> None:
    first = api.create("need", external_id="dup-1-" + api.backend)
    r = api.post("/needs", "company", json=posting(external_id=first["external_id"]))
    assert r.status_code == 409
    assert r.json()["detail"][0]["loc"] == ["body", "external_id"]


def test_bad_matches_and_pairs_parameters(api: Api) -> None:
    need = target(api)
    for params, field in (
        ({"limit": 0}, "limit"),
        ({"limit": 101}, "limit"),
        ({"min_score": 1.5}, "min_score"),
        ({"min_score": "high"}, "min_score"),
        ({"sector": "nope"}, "sector"),
    ):
        r = api.get(f"/needs/{need}/matches", "company", params=params)
        assert r.status_code == 422 and r.json()["detail"][0]["loc"][:2] == ["query", field], r.text
    for params, field in (
        ({"per_need": 0}, "per_need"),
        ({"per_offer": 51}, "per_offer"),
        ({"limit": 1001}, "limit"),
    ):
        r = api.get("/pairs", "moderator", params=params)
        assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["query", field]


def test_bad_path_ids(api: Api) -> None:
    for path in ("/needs/abc", "/needs/0", "/needs/-1", "/needs/99999999999999999999999"):
        r = api.get(path, "company")
        assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["path", "posting_id"]


def test_error_shape_is_uniform(api: Api) -> None:
    for r in (
        api.get("/needs", None),
        api.get("/needs/123456789", "company"),
        api.post("/offers", "company", json=posting()),
        api.get("/nowhere", "company"),
    ):
        body = r.json()
        assert set(body) == {"detail"}
        assert all(set(d) == {"loc", "msg", "type"} for d in body["detail"]), json.dumps(body)
