"""CRUD of /needs and /offers through the real app, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date, timedelta

from tests.service.conftest import Api, posting, unique


def test_create_answers_201_with_id_and_detected_language(api: Api) -> None:
    r = api.post(
        "/needs",
        "company",
        json=posting(
            title="Hệ thống giám sát nước ao tôm", description="Cần cảm biến oxy hòa tan."
        ),
    )
    assert r.status_code == 201
    body = r.json()
    assert isinstance(body["id"], int)
    assert body["language"] == "vi"
    assert body["kind"] == "need"
    assert body["status"] == "published"
    assert body["owner_org"] == "Org A" and body["organization"] == "Org A"
    r = api.post(
        "/offers",
        "institute",
        json=posting(
            title="Dissolved oxygen sensor buoy", description="A solar-powered sensor for ponds."
        ),
    )
    assert r.status_code == 201 and r.json()["language"] == "en"


def test_given_language_is_kept(api: Api) -> None:
    created = api.create("need", language="other")
    assert created["language"] == "other"


def test_ids_are_unique_across_kinds(api: Api) -> None:
    ids = [api.create(kind)["id"] for kind in ("need", "offer", "need", "offer")]
    assert len(set(ids)) == 4
    offer_id = ids[1]
    assert api.get(f"/needs/{offer_id}").status_code == 404
    assert api.get(f"/offers/{offer_id}").status_code == 200


def test_all_fields_round_trip(api: Api) -> None:
    payload = posting(
        language="en",
        ip_status="patent_pending",
        transfer_modes=["licence", "joint_development"],
        province="Hải Phòng",
        organization="Inst A",  # an institute posts for its own organization only
        contact={"name": "Trần Thị B", "email": "b@example.vn", "phone": "+84 225 123 456"},
        status="draft",
        expires_on=(date.today() + timedelta(days=30)).isoformat(),
        external_id=unique("booth-"),
    )
    r = api.post("/offers", "institute", json=payload)
    assert r.status_code == 201, r.text
    got = api.get(f"/offers/{r.json()['id']}", "institute").json()
    for field in (
        "title",
        "description",
        "language",
        "sector",
        "keywords",
        "trl",
        "ip_status",
        "transfer_modes",
        "province",
        "organization",
        "status",
        "expires_on",
        "external_id",
    ):
        assert got[field] == payload[field], field
    assert got["contact"] == payload["contact"]
    assert got["owner_org"] == "Inst A"
    assert got["expired"] is False
    assert got["created_at"] and got["updated_at"]


def test_text_is_cleaned(api: Api) -> None:
    created = api.create("need", title="  Cảm biến\tnhiệt độ \x00 ", keywords=["IoT", "iot", " a "])
    assert created["title"] == "Cảm biến nhiệt độ"
    assert created["keywords"] == ["IoT", "a"]


def test_contact_is_shown_only_to_owner_and_staff(api: Api) -> None:
    created = api.create("need", contact={"name": "An", "email": "an@example.vn"})
    path = f"/needs/{created['id']}"
    assert created["contact"]["name"] == "An"
    for who in ("company", "moderator", "admin", "env_admin"):
        assert api.get(path, who).json()["contact"]["email"] == "an@example.vn", who
    for who in ("company_b", "institute"):
        assert api.get(path, who).json()["contact"] is None, who
    listed = api.get("/needs", "institute", params={"q": created["title"]}).json()["items"]
    assert listed[0]["id"] == created["id"] and listed[0]["contact"] is None


def test_drafts_are_visible_to_owner_and_staff_only(api: Api) -> None:
    draft = api.create("need", status="draft")
    path = f"/needs/{draft['id']}"
    for who in ("company", "moderator", "admin"):
        assert api.get(path, who).status_code == 200, who
    for who in ("company_b", "institute"):
        assert api.get(path, who).status_code == 404, who
    assert api.get("/needs", "company_b", params={"q": draft["title"]}).json()["total"] == 0
    assert api.get("/needs", "company", params={"q": draft["title"]}).json()["total"] == 1


def test_patch_changes_only_given_fields(api: Api) -> None:
    created = api.create("need", province="Hà Nội", trl=4)
    r = api.patch(f"/needs/{created['id']}", "company", json={"trl": 7, "province": None})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["trl"] == 7 and body["province"] is None
    assert body["title"] == created["title"]
    assert body["updated_at"] >= created["updated_at"]


def test_patch_text_redetects_language(api: Api) -> None:
    created = api.create("need")
    assert created["language"] == "en"
    r = api.patch(
        f"/needs/{created['id']}",
        "company",
        json={
            "title": "Dây chuyền sấy nông sản",
            "description": "Cần công nghệ sấy lạnh cho trái cây.",
        },
    )
    assert r.json()["language"] == "vi"
    r = api.patch(f"/needs/{created['id']}", "company", json={"language": "en"})
    assert r.json()["language"] == "en"


def test_delete_removes_posting(api: Api) -> None:
    created = api.create("offer")
    r = api.delete(f"/offers/{created['id']}", "institute")
    assert r.status_code == 204 and r.content == b""
    assert api.get(f"/offers/{created['id']}").status_code == 404
    assert api.delete(f"/offers/{created['id']}", "institute").status_code == 404


def test_unknown_ids_are_404(api: Api) -> None:
    for method in ("get", "patch", "delete"):
        kwargs = {"json": {"trl": 3}} if method == "patch" else {}
        r = getattr(api, method)("/needs/987654321", "admin", **kwargs)
        assert r.status_code == 404
        assert r.json()["detail"][0]["type"] == "not_found"


def test_staff_create_on_behalf_of_an_organization(api: Api) -> None:
    org = unique("Org ")
    created = api.create("need", who="moderator", organization=org)
    assert created["owner_org"] == org
    created = api.create("offer", who="admin")
    assert created["owner_org"] == "Fair"


def test_sectors_endpoint(api: Api) -> None:
    r = api.get("/sectors", None)
    assert r.status_code == 200
    codes = {s["code"]: s for s in r.json()}
    assert codes["aquaculture_fisheries"]["vi"] == "Nuôi trồng và khai thác thủy sản"
    assert codes["energy"]["en"] == "Energy"


def test_me(api: Api) -> None:
    assert api.get("/me", "institute").json() == {
        "role": "institute",
        "organization": "Inst A",
        "key_id": api.get("/me", "institute").json()["key_id"],
    }
    assert api.get("/me", "env_admin").json()["role"] == "admin"
