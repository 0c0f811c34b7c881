"""The coach through the API: hints in create and update answers, and POST /hints for a
draft, on SQLite and PostgreSQL (hashing model: the vocabulary rule is tested on words
that share letters, which is what that model sees)."""

from __future__ import annotations

from typing import Any

from tests.service.conftest import Api, unique

SHORT_VI = {
    "title": "Cần máy sấy",
    "description": "Cần máy sấy cho hợp tác xã.",
    "language": "vi",
    "keywords": [],
}


def _codes(body: dict[str, Any]) -> list[str]:
    return [h["code"] for h in body["hints"]]


def test_create_and_update_answers_carry_hints_in_the_postings_language(api: Api) -> None:
    created = api.post("/needs", "company", json={**SHORT_VI, "title": unique("Cần máy sấy ")})
    assert created.status_code == 201, created.text
    body = created.json()
    assert {"need_quantity", "need_place", "need_budget", "need_timeline"} <= set(_codes(body))
    assert "description_short" in _codes(body)
    assert all(set(h) == {"code", "field", "message", "terms"} for h in body["hints"])
    place = next(h for h in body["hints"] if h["code"] == "need_place")
    assert place["field"] == "province" and "địa điểm" in place["message"]
    fuller = (
        "Hợp tác xã ở Tiên Lãng cần máy sấy bơm nhiệt cho 5 tấn vải tươi mỗi ngày, ngân sách "
        "dưới 2 tỷ đồng, lắp đặt trong vòng 4 tháng trước vụ thu hoạch. Sản phẩm sấy phải giữ "
        "màu và vitamin, máy chạy điện ba pha, có bộ điều khiển độ ẩm tự động và bảo hành."
    )
    updated = api.patch(f"/needs/{body['id']}", "company", json={"description": fuller})
    assert updated.status_code == 200, updated.text
    after = _codes(updated.json())
    assert not {"need_quantity", "need_budget", "need_timeline", "description_short"} & set(after)
    assert "need_place" not in after  # "Tiên Lãng" is a known place
    read = api.get(f"/needs/{body['id']}", "company").json()
    assert read["hints"] == []  # only the answers of writes are coached


def test_an_english_offer_misses_its_fields(api: Api) -> None:
    data = {
        "title": unique("Heat pump dryer "),
        "description": "A heat pump dryer for fruit and seaweed.",
        "language": "en",
        "trl": None,
    }
    body = api.post("/offers", "institute", json=data).json()
    assert _codes(body)[:3] == ["offer_trl", "offer_ip_status", "offer_transfer_mode"]
    assert body["hints"][1]["message"].startswith("No IP status")
    done = api.patch(
        f"/offers/{body['id']}",
        "institute",
        json={"trl": 7, "ip_status": "know_how", "transfer_modes": ["licence"]},
    ).json()
    assert not {"offer_trl", "offer_ip_status", "offer_transfer_mode"} & set(_codes(done))


def test_draft_check_stores_nothing_and_needs_a_key(api: Api) -> None:
    before = api.get("/needs", "admin").json()["total"]
    draft = {"kind": "need", **SHORT_VI}
    response = api.post("/hints", "company", json=draft)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["language"] == "vi" and "need_budget" in _codes(body)
    assert api.get("/needs", "admin").json()["total"] == before
    assert api.post("/hints", None, json=draft).status_code == 401
    assert api.post("/hints", "company", json={"kind": "thing"}).status_code == 422
    english = api.post("/hints", "company", json={**draft, "language": "en"}).json()
    assert english["language"] == "en" and english["hints"][0]["message"].isascii()


def test_unused_key_term_names_the_glossary_words_counterparts_use(fresh_api: Api) -> None:
    """The glossary's other words for an unused keyword ("oxy hòa tan" → "dissolved
    oxygen") are named when counterparts write them; a word that is only near by the
    model ("dissolved oxygen probe" for "dissolved oxygen probing") is not."""
    api = fresh_api
    for n in range(5):
        api.create(
            "offer",
            title=f"Buoy station {n} for ponds",
            description="A solar buoy measures dissolved oxygen in ponds and sends SMS alerts.",
            keywords=["dissolved oxygen probe"],
        )
    need = {
        "kind": "need",
        "title": "Giám sát ao nuôi tôm",
        "description": "Chúng tôi nuôi tôm trong ao và muốn nhận cảnh báo qua điện thoại.",
        "keywords": ["oxy hòa tan"],
        "language": "vi",
    }
    hints = api.post("/hints", "company", json=need).json()["hints"]
    unused = [h for h in hints if h["code"] == "term_unused"]
    assert unused and unused[0]["field"] == "keywords"
    assert unused[0]["terms"] == ["dissolved oxygen"]
    assert "oxy hòa tan" in unused[0]["message"]
    near_only = {**need, "keywords": ["dissolved oxygen probing"]}
    hints = api.post("/hints", "company", json=near_only).json()["hints"]
    assert not [h for h in hints if h["code"] == "term_unused"]
    used = {**need, "keywords": ["dissolved oxygen"]}
    hints = api.post("/hints", "company", json=used).json()["hints"]
    assert not [h for h in hints if h["code"] == "term_unused"]


def test_a_need_nobody_is_recommended_for_hears_what_the_nearest_offers_say(
    fresh_api: Api,
) -> None:
    api = fresh_api
    offers = [
        ("Hotel booking engine", "Channel manager and booking engine for homestays."),
        ("Ship hull welding robot", "Robot welding of hull blocks in shipyards."),
        ("Fish sauce histamine test kit", "Rapid test strips for histamine in fish sauce."),
        ("Rooftop solar for factories", "Rooftop photovoltaic systems with monitoring."),
        ("Cold store energy audit", "Energy audits of cold stores and compressors."),
    ]
    for title, description in offers:
        api.create("offer", title=title, description=description, keywords=[title.lower()])
    need = api.create(
        "need",
        title="Sign language recognition for deaf pupils",
        description="A school wants a camera app that turns Vietnamese sign language into text.",
        language="en",
    )
    reach = [h for h in need["hints"] if h["code"] == "need_no_recommended_offer"]
    matches = api.get(f"/needs/{need['id']}/matches", "company").json()["items"]
    assert not any(m["recommended"] for m in matches)
    assert reach, need["hints"]
    nearest = matches[0]["offer"]["title"]
    assert nearest in reach[0]["message"]
    terms = reach[0]["terms"]
    assert terms and all(t.lower() not in need["description"].lower() for t in terms)
