"""The coach on the posting form without a browser: the check button works without
script (the form again, hints next to the fields) and answers JSON to the form's script."""

from __future__ import annotations

import re

from tests.web.conftest import Web

DRAFT = {
    "kind": "need",
    "title": "Cần máy sấy",
    "description": "Cần máy sấy cho hợp tác xã.",
}


def test_check_without_script_shows_the_form_with_hints_and_saves_nothing(web: Web) -> None:
    web.sign_in("company")
    before = web.client.get("/postings").text.count("Cần máy sấy")
    token = web.csrf("/postings/new?kind=need")
    page = web.client.post("/postings/check", data={"csrf_token": token, **DRAFT})
    assert page.status_code == 200
    assert re.search(
        r'id="hints-province"[^>]*><li class="hint" data-code="need_place">', page.text
    )
    assert 'data-code="description_short"' in page.text
    assert 'value="Cần máy sấy"' in page.text  # what was typed is kept
    assert web.client.get("/postings").text.count("Cần máy sấy") == before


def test_check_answers_json_to_the_script_and_refuses_without_csrf(web: Web) -> None:
    web.sign_in("company")
    token = web.csrf("/postings/new?kind=need")
    answer = web.client.post(
        "/postings/check",
        data={"csrf_token": token, **DRAFT, "province": "Hải Phòng"},
        headers={"Accept": "application/json"},
    )
    assert answer.status_code == 200
    body = answer.json()
    codes = [h["code"] for h in body["hints"]]
    assert body["language"] == "vi" and "need_budget" in codes and "need_place" not in codes
    assert web.client.post("/postings/check", data=DRAFT).status_code == 403
    web.sign_in("company")
    token = web.csrf("/postings/new?kind=need")
    offer = {"csrf_token": token, **DRAFT, "kind": "offer"}
    assert web.client.post("/postings/check", data=offer).status_code == 403  # companies post needs


def test_edit_form_shows_the_saved_postings_hints(web: Web) -> None:
    web.sign_in("company")
    token = web.csrf("/postings/new?kind=need")
    saved = web.client.post(
        "/postings/new", data={"csrf_token": token, **DRAFT}, follow_redirects=False
    )
    location = saved.headers["location"]
    posting = web.client.get(location).text
    assert 'class="coach"' in posting and 'data-code="need_budget"' in posting
    edit = web.client.get(f"{location}/edit").text
    assert 'data-code="need_budget"' in edit and 'name="posting_id"' in edit
