"""Listing filters and pagination, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from tests.service.conftest import Api, unique


@pytest.fixture(scope="module")
def tagged(api: Api) -> tuple[str, dict[str, list[int]]]:
    """Postings that share a unique tag word; name → ids."""
    tag = unique("zq")
    made: dict[str, list[int]] = {}

    def make(name: str, kind: str = "need", who: str | None = None, **fields: object) -> None:
        description = f"Tag {tag}. " + str(fields.pop("description", "Some technology need."))
        created = api.create(kind, who=who, description=description, **fields)
        made.setdefault(name, []).append(created["id"])

    make(
        "vi",
        title="Máy sấy nông sản năng lượng mặt trời",
        sector="agriculture_food",
        province="Hải Phòng",
        language="vi",
    )
    make(
        "en",
        title="Solar dryer for farm produce",
        sector="agriculture_food",
        province="Hà Nội",
        language="en",
    )
    make("energy", title="Battery storage", sector="energy", province="Hải Phòng", language="en")
    make("draft_a", title="Hidden draft", status="draft", language="en")
    make("draft_b", title="Other draft", who="company_b", status="draft", language="en")
    make("archived", title="Old archived need", status="archived", language="en")
    make(
        "expired",
        title="Expired need",
        language="en",
        expires_on=(date.today() - timedelta(days=1)).isoformat(),
    )
    for n in range(7):
        make("page", title=f"Paged need number {n}", sector="construction", language="en")
    make("offer", kind="offer", title="An offer with the tag", language="en")
    return tag, made


def ids(api: Api, who: str = "company", **params: object) -> list[int]:
    r = api.get("/needs", who, params=params)
    assert r.status_code == 200, r.text
    return [item["id"] for item in r.json()["items"]]


def test_free_text_is_accent_and_case_insensitive(api: Api, tagged: tuple) -> None:
    tag, made = tagged
    assert ids(api, q=f"{tag} NANG LUONG mat troi") == made["vi"]
    assert ids(api, q=f"{tag} solar") == made["en"]
    assert ids(api, q=f"{tag} nothing-like-this") == []


def test_filters(api: Api, tagged: tuple) -> None:
    tag, made = tagged
    assert set(ids(api, q=tag, sector="agriculture_food")) == set(made["vi"] + made["en"])
    assert set(ids(api, q=tag, province="hai phong")) == set(made["vi"] + made["energy"])
    assert set(ids(api, q=tag, province="Hải Phòng", sector="energy")) == set(made["energy"])
    assert ids(api, q=tag, language="vi") == made["vi"]
    assert ids(api, q=tag, status="archived") == made["archived"]
    assert ids(api, q=tag, status="draft") == made["draft_a"]  # only its own draft
    assert set(ids(api, "moderator", q=tag, status="draft")) == set(
        made["draft_a"] + made["draft_b"]
    )
    assert ids(api, q=tag, organization="Org B") == []
    assert set(ids(api, "company_b", q=tag, organization="Org B")) == set(made["draft_b"])


def test_expired_postings_are_hidden_unless_asked(api: Api, tagged: tuple) -> None:
    tag, made = tagged
    assert made["expired"][0] not in ids(api, q=tag, limit=100)
    found = api.get("/needs", "company", params={"q": tag, "include_expired": True, "limit": 100})
    expired = [i for i in found.json()["items"] if i["id"] == made["expired"][0]]
    assert expired and expired[0]["expired"] is True


def test_pagination(api: Api, tagged: tuple) -> None:
    tag, made = tagged
    seen: list[int] = []
    for offset in (0, 3, 6):
        r = api.get(
            "/needs",
            "company",
            params={"q": tag, "sector": "construction", "limit": 3, "offset": offset},
        ).json()
        assert r["total"] == 7 and r["limit"] == 3 and r["offset"] == offset
        seen += [i["id"] for i in r["items"]]
    assert sorted(seen) == sorted(made["page"])
    assert seen == sorted(seen, reverse=True)  # newest first


def test_listing_kinds_are_separate(api: Api, tagged: tuple) -> None:
    tag, made = tagged
    offers = api.get("/offers", "company", params={"q": tag}).json()["items"]
    assert [o["id"] for o in offers] == made["offer"]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"sector": "space_travel"}, "sector"),
        ({"language": "fr"}, "language"),
        ({"status": "deleted"}, "status"),
        ({"limit": 0}, "limit"),
        ({"limit": 101}, "limit"),
        ({"offset": -1}, "offset"),
        ({"limit": "ten"}, "limit"),
        ({"q": "x" * 201}, "q"),
    ],
)
def test_bad_listing_parameters(api: Api, params: dict, field: str) -> None:
    r = api.get("/needs", "company", params=params)
    assert r.status_code == 422
    assert r.json()["detail"][0]["loc"] == ["query", field]
