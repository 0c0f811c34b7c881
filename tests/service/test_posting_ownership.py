"""A company or institute posts for its own organization only (issue 13, item 6): on
create, update and import a different ``organization`` is refused with 422; staff post
for any organization. SQLite and PostgreSQL."""

from __future__ import annotations

import json

from tests.service.conftest import Api, posting, unique
from tests.service.test_imports import upload


def test_create_naming_another_organization_is_422(api: Api) -> None:
    for who, kind, own in (("company", "need", "Org A"), ("institute", "offer", "Inst A")):
        r = api.post(f"/{kind}s", who, json=posting(organization="Company B"))
        assert r.status_code == 422, r.text
        item = r.json()["detail"][0]
        assert item["loc"] == ["body", "organization"]
        assert item["type"] == "organization_mismatch"
        assert own in item["msg"] and "Company B" in item["msg"]
        # its own name (in any case) is fine and shown as the key's organization
        made = api.post(f"/{kind}s", who, json=posting(organization=own.upper()))
        assert made.status_code == 201, made.text
        assert made.json()["organization"] == own and made.json()["owner_org"] == own
        # leaving it out is the key's organization
        plain = api.create(kind, who=who)
        assert plain["organization"] == own


def test_update_cannot_rename_to_another_organization(api: Api) -> None:
    need = api.create("need", who="company")
    r = api.patch(f"/needs/{need['id']}", "company", json={"organization": "Company B"})
    assert r.status_code == 422 and r.json()["detail"][0]["type"] == "organization_mismatch"
    got = api.get(f"/needs/{need['id']}", "company").json()
    assert got["organization"] == "Org A" and got["owner_org"] == "Org A"
    cleared = api.patch(f"/needs/{need['id']}", "company", json={"organization": None})
    assert cleared.status_code == 200 and cleared.json()["organization"] == "Org A"


def test_staff_set_any_organization_and_move_postings(api: Api) -> None:
    org = unique("Org ")
    made = api.create("need", who="moderator", organization=org)
    assert made["organization"] == made["owner_org"] == org
    moved = api.patch(f"/needs/{made['id']}", "admin", json={"organization": "Org A"})
    assert moved.status_code == 200 and moved.json()["owner_org"] == "Org A"
    # now the company may edit it, still not rename it
    assert api.patch(f"/needs/{made['id']}", "company", json={"trl": 4}).status_code == 200
    assert (
        api.patch(f"/needs/{made['id']}", "company", json={"organization": org}).status_code == 422
    )


def test_import_rows_naming_another_organization_are_row_errors(api: Api) -> None:
    tag = unique("imp")
    data = (
        "title,description,organization\n"
        f"Own {tag},D,Org A\n"
        f"Other {tag},D,Company B\n"
        f"Blank {tag},D,\n"
    ).encode()
    report = upload(api, "need", "o.csv", data, who="company").json()
    assert report["created"] == 2 and report["failed"] == 1, report
    error = report["errors"][0]
    assert error["row"] == 3
    assert error["errors"][0]["loc"] == ["organization"]
    assert error["errors"][0]["type"] == "organization_mismatch"
    for posting_id in report["ids"]:
        got = api.get(f"/needs/{posting_id}", "company").json()
        assert got["organization"] == "Org A" and got["owner_org"] == "Org A"
    vi = upload(api, "need", "o.csv", data, who="company", lang="vi").json()
    assert "chỉ đăng tin cho chính tổ chức mình" in vi["errors"][0]["errors"][0]["msg"]
    # rows with an external_id (update path) and JSONL too
    line = json.dumps({"title": f"J {tag}", "description": "D", "organization": "Company B"})
    jsonl = upload(api, "need", "o.jsonl", line.encode(), who="company").json()
    assert jsonl["errors"][0]["errors"][0]["type"] == "organization_mismatch"
    ext = f"ext-{tag}"
    first = upload(
        api,
        "need",
        "e.csv",
        f"title,description,external_id\nE {tag},D,{ext}\n".encode(),
        who="company",
    ).json()
    assert first["created"] == 1
    renamed = upload(
        api,
        "need",
        "e.csv",
        f"title,description,external_id,organization\nE {tag},D,{ext},Company B\n".encode(),
        who="company",
    ).json()
    assert renamed["errors"][0]["errors"][0]["type"] == "organization_mismatch"
    assert api.get(f"/needs/{first['ids'][0]}", "company").json()["organization"] == "Org A"


def test_staff_import_for_several_organizations(api: Api) -> None:
    tag = unique("staff")
    data = f"title,description,Đơn vị\nA {tag},D,Viện X {tag}\nB {tag},D,Viện Y {tag}\n"
    report = upload(api, "offer", "s.csv", data.encode(), who="moderator").json()
    owners = {api.get(f"/offers/{i}", "admin").json()["owner_org"] for i in report["ids"]}
    assert owners == {f"Viện X {tag}", f"Viện Y {tag}"}
