"""Two moderators at once: ``expected_revision`` on ``POST /pairs/{pair_id}/review`` refuses
a decision taken on an outdated view with 409 and the other decision (SQLite, PostgreSQL)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

from tests.service.conftest import Api
from tests.service.test_reviews import make_pair, review


def conflict_item(response: Any) -> dict[str, Any]:
    assert response.status_code == 409, response.text
    (item,) = response.json()["detail"]
    assert item["type"] == "review_conflict" and item["loc"] == ["body", "expected_revision"]
    return dict(item)


def test_revision_counts_decisions_and_a_stale_decision_is_refused(api: Api) -> None:
    need, offer = make_pair(api)
    pid = f"{need}-{offer}"
    first = review(api, pid, "moderator", decision="accepted", expected_revision=None)
    assert first.status_code == 200, first.text
    assert first.json()["review"]["revision"] == 1
    # the second moderator (admin key) saw the pair unreviewed too: refused
    stale = review(api, pid, "admin", decision="rejected", expected_revision=None)
    item = conflict_item(stale)
    assert item["current"]["review"]["decision"] == "accepted"
    assert item["current"]["review"]["revision"] == 1
    assert item["current"]["review"]["reviewer_org"] == "Fair"
    assert "accepted" in item["msg"] and "chấp nhận" in item["msg_vi"]
    assert "quyết định" in item["msg_vi"]
    # nothing was stored, and the audit log holds one entry
    assert (
        api.get(f"/reviews?need_id={need}", "moderator").json()["items"][0]["review"]["decision"]
        == "accepted"
    )
    assert api.get(f"/reviews/audit?need_id={need}", "moderator").json()["total"] == 1
    # with the revision it saw now, the decision goes through
    again = review(api, pid, "admin", decision="rejected", expected_revision=1)
    assert again.status_code == 200, again.text
    assert again.json()["review"]["revision"] == 2
    assert conflict_item(review(api, pid, decision="maybe", expected_revision=1))
    # an older revision on an unreviewed pair is refused without a current review
    other_need, other_offer = make_pair(api)
    gone = review(api, f"{other_need}-{other_offer}", decision="maybe", expected_revision=3)
    assert gone.status_code == 409, gone.text


def test_without_expected_revision_a_decision_overwrites(api: Api) -> None:
    need, offer = make_pair(api)
    pid = f"{need}-{offer}"
    assert review(api, pid, decision="accepted").json()["review"]["revision"] == 1
    assert review(api, pid, "admin", decision="rejected").json()["review"]["revision"] == 2


def test_the_revision_is_shown_where_reviews_are_listed(api: Api) -> None:
    need, offer = make_pair(api)
    pid = f"{need}-{offer}"
    review(api, pid, decision="maybe")
    review(api, pid, decision="maybe", expected_revision=1)
    pairs = api.get("/pairs", "moderator", params={"limit": 1000}).json()["items"]
    assert {p["pair_id"]: p for p in pairs}[pid]["review"]["revision"] == 2
    listed = api.get(f"/reviews?need_id={need}", "moderator").json()["items"]
    assert listed[0]["review"]["revision"] == 2


def test_two_moderators_deciding_at_once_one_wins_the_other_gets_409(api: Api) -> None:
    for _ in range(3):
        need, offer = make_pair(api)
        pid = f"{need}-{offer}"

        def decide(who: str, decision: str, pid: str = pid) -> Any:
            return review(api, pid, who, decision=decision, expected_revision=None)

        with ThreadPoolExecutor(2) as pool:
            answers = list(pool.map(decide, ["moderator", "admin"], ["accepted", "rejected"]))
        codes = sorted(a.status_code for a in answers)
        assert codes == [200, 409], [a.text for a in answers]
        won = next(a for a in answers if a.status_code == 200).json()["review"]
        lost = conflict_item(next(a for a in answers if a.status_code == 409))
        assert lost["current"]["review"]["decision"] == won["decision"]
        assert api.get(f"/reviews/audit?need_id={need}", "moderator").json()["total"] == 1
