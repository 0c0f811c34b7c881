"""One rule for rejected pairs: never suggested by ``/needs/{id}/matches``,
``/offers/{id}/matches``, ``/pairs`` or a posting page; staff may ask for them with
``include_rejected=true`` and then see them marked ``rejected`` (SQLite and PostgreSQL)."""

from __future__ import annotations

import re
from typing import Any

from service.ranked_pairs import SUGGESTION_MIN_SCORE
from tests.service.conftest import Api
from tests.service.test_reviews import make_pair, review

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def items(response: Any) -> dict[str, dict[str, Any]]:
    assert response.status_code == 200, response.text
    return {item["pair_id"]: item for item in response.json()["items"]}


def lists(api: Api, need: int, offer: int, **params: Any) -> list[dict[str, dict[str, Any]]]:
    """The pair lists a rejected pair must stay out of, as the moderator sees them."""
    return [
        items(api.get(f"/needs/{need}/matches", "moderator", params={"limit": 100, **params})),
        items(api.get(f"/offers/{offer}/matches", "moderator", params={"limit": 100, **params})),
        items(api.get("/pairs", "moderator", params={"limit": 1000, **params})),
    ]


def posting_page(api: Api, posting_id: int, who: str = "moderator") -> str:
    """The web page of one posting, signed in as ``who``."""
    client = api.client
    client.cookies.clear()
    token = CSRF.search(client.get("/").text)
    assert token
    signed = client.post(
        "/signin",
        data={"csrf_token": token.group(1), "api_key": api.keys[who]},
        follow_redirects=False,
    )
    assert signed.status_code == 303, signed.text
    page = client.get(f"/postings/{posting_id}?lang=en")
    assert page.status_code == 200, page.text
    client.cookies.clear()
    return page.text


def test_a_rejected_pair_is_in_no_list_and_only_staff_may_ask_for_it(api: Api) -> None:
    make_pair(api)  # a pool of one pair has no spread: its score is under the cut-off
    need, offer = make_pair(api)
    pid = f"{need}-{offer}"
    for found in lists(api, need, offer):  # suggested before the decision …
        assert pid in found and found[pid]["review"] is None
    assert f'id="pair-{pid}"' in posting_page(api, need)
    assert f'id="pair-{pid}"' in posting_page(api, offer)

    assert review(api, pid, decision="rejected", reason="not_relevant").status_code == 200
    for found in lists(api, need, offer):  # … never after
        assert pid not in found
    assert f'id="pair-{pid}"' not in posting_page(api, need)
    assert f'id="pair-{pid}"' not in posting_page(api, offer, who="institute")

    for found in lists(api, need, offer, include_rejected="true"):  # staff asking explicitly
        assert found[pid]["review"]["decision"] == "rejected"
        assert found[pid]["review"]["reason"] == "not_relevant"
    for path in (f"/needs/{need}/matches", f"/offers/{offer}/matches"):
        refused = api.get(path, "company", params={"include_rejected": "true"})
        assert refused.status_code == 403, refused.text
        assert "include_rejected" in refused.text
    assert api.get("/pairs", "company", params={"include_rejected": "true"}).status_code == 403


def test_a_rejected_pair_is_suggested_again_once_the_decision_changes(api: Api) -> None:
    need, offer = make_pair(api)
    pid = f"{need}-{offer}"
    review(api, pid, decision="rejected")
    assert pid not in lists(api, need, offer)[0]
    review(api, pid, decision="accepted")
    for found in lists(api, need, offer):
        assert found[pid]["review"]["decision"] == "accepted"


def test_posting_page_shows_the_decision_and_only_suggestions_over_the_cut_off(
    api: Api,
) -> None:
    need, offer = make_pair(api)
    pid = f"{need}-{offer}"
    review(api, pid, decision="accepted")
    page = posting_page(api, need, who="company")
    card = page[page.index(f'id="pair-{pid}"') :]
    card = card[: card.index("</li>")]
    assert "Organisers&#39; decision: Accepted" in card or "Organisers' decision: Accepted" in card
    shown = set(re.findall(r'<li class="suggestion" id="pair-(\d+-\d+)"', page))
    assert pid in shown
    matches = items(api.get(f"/needs/{need}/matches", "company", params={"limit": 10}))
    for other, item in matches.items():
        passes = item["recommended"] or item["score"] >= SUGGESTION_MIN_SCORE
        assert (other in shown) == passes, (other, item["score"], item["recommended"])
    assert any(
        not (i["recommended"] or i["score"] >= SUGGESTION_MIN_SCORE) for i in matches.values()
    ), "the pool should hold a suggestion under the cut-off for this test to mean something"
