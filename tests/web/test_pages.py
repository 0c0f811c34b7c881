"""Fast tests of the web pages through TestClient: sign-in, cookie flags, CSRF, escaping,
language switch, authorization, posting forms, review decisions, interest marks."""

from __future__ import annotations

import itertools
import re
from typing import Any

from service.auth.keys import create_key, revoke_key
from service.auth.roles import Principal, Role
from service.ranked_pairs import FILTER_POOL, QUEUE_POOL, PairQuery, QueueFilters, RankedPairs
from service.reviews import ReviewService
from service.schemas.postings import PostingUpdate
from service.schemas.reviews import InterestIn, PairStatus, ReviewIn
from service.web.session import COOKIE
from tests.web.conftest import CSRF, Web


def _token(page: str) -> str:
    found = CSRF.search(page)
    assert found
    return found.group(1)


def test_start_page_explains_and_offers_sign_in(web: Web) -> None:
    web.client.cookies.clear()
    page = web.client.get("/")
    assert page.status_code == 200
    assert '<label for="api_key">' in page.text
    assert 'name="viewport"' in page.text
    assert "default-src 'self'" in page.headers["content-security-policy"]
    assert "<script>" not in page.text  # only the external app.js


def test_sign_in_sets_a_signed_httponly_lax_cookie(web: Web) -> None:
    response = web.sign_in("moderator")
    assert response.status_code == 303
    assert response.headers["location"] == "/review"
    cookie = response.headers["set-cookie"]
    assert cookie.startswith(f"{COOKIE}=")
    assert "HttpOnly" in cookie
    assert "samesite=lax" in cookie.lower()
    assert web.keys["moderator"] not in cookie  # the key itself is never in the cookie
    assert web.client.get("/review").status_code == 200


def test_tampered_cookie_is_not_signed_in(web: Web) -> None:
    web.sign_in("moderator")
    value = web.client.cookies.get(COOKIE)
    assert value
    web.client.cookies.clear()
    web.client.cookies.set(COOKIE, value[:-2] + ("AA" if not value.endswith("AA") else "BB"))
    response = web.client.get("/review", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/?next=")


def test_bad_key_is_refused_with_a_message(web: Web) -> None:
    web.client.cookies.clear()
    token = web.csrf("/")
    response = web.client.post("/signin", data={"csrf_token": token, "api_key": "tm_nope"})
    assert response.status_code == 401
    assert 'role="alert"' in response.text


def test_post_without_or_with_a_wrong_csrf_token_is_403(web: Web) -> None:
    web.client.cookies.clear()
    web.csrf("/")
    assert web.client.post("/signin", data={"api_key": web.keys["moderator"]}).status_code == 403
    wrong = {"csrf_token": "x" * 43, "api_key": web.keys["moderator"]}
    assert web.client.post("/signin", data=wrong).status_code == 403
    web.sign_in("moderator")
    page = web.client.get("/review").text
    pair = re.search(r'data-pair="([0-9]+-[0-9]+)"', page)
    assert pair
    forged = {"pair_id": pair.group(1), "decision": "accepted", "csrf_token": "forged"}
    assert web.client.post("/review/decide", data=forged).status_code == 403
    assert web.client.post("/signout", data={}).status_code == 403


def test_sign_out_forgets_the_key(web: Web) -> None:
    web.sign_in("company")
    token = web.csrf("/postings")
    response = web.client.post("/signout", data={"csrf_token": token}, follow_redirects=False)
    assert response.status_code == 303
    assert web.client.get("/postings", follow_redirects=False).status_code == 303


def test_language_switch_is_remembered(web: Web) -> None:
    web.client.cookies.clear()
    assert "Đăng nhập" in web.client.get("/").text
    english = web.client.get("/?lang=en")
    assert "Sign in" in english.text
    assert '<html lang="en">' in english.text
    assert "Sign in" in web.client.get("/").text  # from the cookie
    assert "Đăng nhập" in web.client.get("/?lang=vi").text


def test_company_cannot_open_the_review_queue(web: Web) -> None:
    web.sign_in("company")
    assert web.client.get("/review").status_code == 403
    token = web.csrf("/postings")
    data = {"csrf_token": token, "pair_id": "1-2", "decision": "accepted"}
    assert web.client.post("/review/decide", data=data).status_code == 403


def test_anonymous_visitors_are_sent_to_sign_in(web: Web) -> None:
    web.client.cookies.clear()
    for path in ("/review", "/postings", "/postings/1", "/postings/new?kind=need"):
        response = web.client.get(path, follow_redirects=False)
        assert response.status_code == 303, path
        assert response.headers["location"].startswith("/?next=")


def test_script_in_a_title_is_shown_as_text(web: Web) -> None:
    web.sign_in("company")
    token = web.csrf("/postings/new?kind=need")
    form = {
        "csrf_token": token,
        "kind": "need",
        "title": "<script>alert(1)</script>",
        "description": 'Cần cảm biến oxy cho ao tôm <img src=x onerror="alert(2)">',
        "sector": "aquaculture_fisheries",
        "keywords": "tôm, <b>oxy</b>",
    }
    response = web.client.post("/postings/new", data=form, follow_redirects=False)
    assert response.status_code == 303
    page = web.client.get(response.headers["location"]).text
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<img src=x" not in page
    assert "<b>oxy</b>" not in page
    web.sign_in("moderator")
    assert "<script>alert(1)" not in web.client.get("/postings").text
    assert "<script>alert(1)" not in web.client.get("/review?status=all").text


def test_create_shows_field_errors_next_to_fields(web: Web) -> None:
    web.sign_in("company")
    token = web.csrf("/postings/new?kind=need")
    form = {
        "csrf_token": token,
        "kind": "need",
        "title": "",
        "description": "x" * 5001,
        "contact_email": "not an address",
        "trl": "12",
    }
    response = web.client.post("/postings/new", data=form)
    assert response.status_code == 422
    for field in ("title", "description", "contact_email", "trl"):
        assert f'id="err-{field}"' in response.text, field
        assert f'aria-describedby="help-{field} err-{field}"' in response.text or (
            f'aria-describedby=" err-{field}"' in response.text
        ), field
    assert "x" * 5001 in response.text  # what was typed comes back


def test_company_may_not_post_an_offer(web: Web) -> None:
    web.sign_in("company")
    assert web.client.get("/postings/new?kind=offer").status_code == 403


def test_edit_and_archive_own_posting_only(web: Web) -> None:
    web.sign_in("company")
    token = web.csrf("/postings/new?kind=need")
    form = {
        "csrf_token": token,
        "kind": "need",
        "title": "Giám sát chất lượng nước ao tôm",
        "description": "Cần hệ thống đo oxy hòa tan, pH cho ao nuôi tôm.",
    }
    location = web.client.post("/postings/new", data=form, follow_redirects=False).headers[
        "location"
    ]
    posting_id = int(location.rsplit("/", 1)[1])
    edit = web.client.get(f"/postings/{posting_id}/edit")
    assert edit.status_code == 200
    assert 'value="Giám sát chất lượng nước ao tôm"' in edit.text
    form = {**form, "csrf_token": _token(edit.text), "title": "Giám sát nước ao tôm thẻ"}
    saved = web.client.post(f"/postings/{posting_id}/edit", data=form, follow_redirects=True)
    assert "Giám sát nước ao tôm thẻ" in saved.text
    web.sign_in("company_b")
    assert web.client.get(f"/postings/{posting_id}/edit").status_code == 403
    token = web.csrf("/postings")
    assert (
        web.client.post(f"/postings/{posting_id}/archive", data={"csrf_token": token}).status_code
        == 403
    )
    web.sign_in("company")
    token = web.csrf("/postings")
    web.client.post(f"/postings/{posting_id}/archive", data={"csrf_token": token})
    listing = web.client.get("/postings").text
    assert "Giám sát nước ao tôm thẻ" in listing
    assert web.app.state.postings.get_many([posting_id])[posting_id].status == "archived"


def test_moderator_decisions_change_the_counts(web: Web) -> None:
    web.sign_in("moderator")
    page = web.client.get("/review").text

    def count(text: str, name: str) -> int:
        found = re.search(rf'data-count="{name}">(\d+)<', text)
        assert found
        return int(found.group(1))

    pairs = re.findall(r'data-pair="([0-9]+-[0-9]+)"', page)
    assert len(pairs) >= 3
    before = {n: count(page, n) for n in ("unreviewed", "accepted", "rejected", "maybe")}
    token = _token(page)
    web.client.post(
        "/review/decide",
        data={"csrf_token": token, "pair_id": pairs[0], "decision": "accepted"},
    )
    web.client.post(
        "/review/decide",
        data={
            "csrf_token": token,
            "pair_id": [pairs[1], pairs[2]],
            "decision": "rejected",
            "reason": "trl_mismatch",
            "filters": "status=unreviewed&evil=1",
        },
    )
    after_page = web.client.get("/review").text
    assert count(after_page, "accepted") == before["accepted"] + 1
    assert count(after_page, "rejected") == before["rejected"] + 2
    rejected = web.client.get("/review?status=rejected").text
    assert pairs[1] in rejected and "TRL" in rejected


def test_review_filters(web: Web) -> None:
    web.sign_in("moderator")
    page = web.client.get("/review?status=all&sector=aquaculture_fisheries&min_score=0.1").text
    assert 'value="aquaculture_fisheries" selected' in page
    scores = re.findall(r"Điểm <strong>([0-9.]+)</strong>", page)
    assert scores, "the seeded pool has aquaculture pairs scored 0.1 or more"
    assert all(float(score) >= 0.1 for score in scores)
    english = web.client.get("/review?lang_pair=en-en&status=all&lang=en").text
    assert "Review queue" in english
    badges = re.findall(r'<span class="badge">(\w\w-\w\w)</span>', english)
    assert badges and set(badges) == {"en-en"}
    every = web.client.get("/review?status=all&lang=en").text
    assert set(re.findall(r'<span class="badge">(\w\w-\w\w)</span>', every)) > {"en-en"}
    assert web.client.get("/review?min_score=abc&status=bogus").status_code == 200


def test_owner_marks_interest_on_a_suggestion(web: Web) -> None:
    web.sign_in("company")
    token = web.csrf("/postings/new?kind=need")
    form = {
        "csrf_token": token,
        "kind": "need",
        "title": "Giám sát chất lượng nước ao tôm",
        "description": "Cần cảm biến oxy hòa tan, pH và cảnh báo cho ao nuôi tôm thẻ chân trắng.",
        "sector": "aquaculture_fisheries",
    }
    location = web.client.post("/postings/new", data=form, follow_redirects=False).headers[
        "location"
    ]
    page = web.client.get(location).text
    pair = re.search(r'id="pair-([0-9]+-[0-9]+)"', page)
    assert pair, "the new need has suggestions"
    data = {"csrf_token": _token(page), "pair_id": pair.group(1), "interested": "1"}
    web.client.post(f"{location}/interest", data=data)
    need_id, offer_id = (int(x) for x in pair.group(1).split("-"))
    _, states = ReviewService(web.app.state.database).states([(need_id, offer_id)])
    assert states[(need_id, offer_id)].need_interested is True
    # a pair that is not this posting's is refused
    other = {"csrf_token": data["csrf_token"], "pair_id": "1-2", "interested": "1"}
    assert web.client.post(f"{location}/interest", data=other).status_code == 404
    # another organization may not mark this posting's interest
    web.sign_in("company_b")
    data["csrf_token"] = web.csrf("/postings")
    assert web.client.post(f"{location}/interest", data=data).status_code == 403


def test_institute_posts_offers_only(web: Web) -> None:
    response = web.sign_in("institute")
    assert response.headers["location"] == "/postings"
    page = web.client.get("/postings").text
    assert 'href="/postings/new?kind=offer"' in page
    assert 'href="/postings/new?kind=need"' not in page
    assert web.client.get("/postings/new?kind=need").status_code == 403
    assert web.client.get("/postings/new?kind=offer").status_code == 200


def test_revoking_the_key_ends_the_web_session(web: Web) -> None:
    with web.app.state.database.session(write=True) as session:
        new = create_key(session, Role.company, "Tạm thời")
        key_id = new.row.id
    web.keys["temporary"] = new.secret
    web.sign_in("temporary")
    assert web.client.get("/postings").status_code == 200
    with web.app.state.database.session(write=True) as session:
        revoke_key(session, key_id)
    assert web.client.get("/postings", follow_redirects=False).status_code == 303


def test_one_ranking_serves_the_queue_and_its_counts(web: Web, monkeypatch: Any) -> None:
    staff = Principal(role=Role.moderator, organization="Ban tổ chức Techfest")
    app = web.app
    reviews = ReviewService(app.state.database)
    ranked = RankedPairs(app.state.postings, app.state.matcher, reviews)
    pool = ranked.search(PairQuery(limit=FILTER_POOL, status=PairStatus.unreviewed))
    assert len(pool) >= 6
    maybe = ReviewIn.model_validate({"decision": "maybe"})
    for pair in pool[:2]:
        reviews.review(staff, pair.match.pair_id, maybe)
    for side in ("need", "offer"):
        mark = InterestIn.model_validate({"side": side, "interested": True})
        for pair in pool[1:4]:
            reviews.set_interest(staff, pair.match.pair_id, mark)
    # the snapshot: one ranking of the pool, rejected pairs included (so that a rejection
    # never lets another pair in and the counts only go down)
    snapshot = ranked.rank(QUEUE_POOL, include_rejected=True)
    statuses = [None, *PairStatus]
    for status, min_score, mutual in itertools.product(statuses, (0.0, 0.2), (None, True)):
        filters = QueueFilters(status, min_score, mutual)
        queue = ranked.queue(filters, limit=QUEUE_POOL)
        assert [p.match.pair_id for p in queue.pairs] == [
            p.match.pair_id for p in snapshot if filters.keep(p)
        ], (status, min_score, mutual)
        assert queue.pool == len(snapshot) == sum(queue.counts.values())
        assert queue.unreviewed == sum(1 for p in snapshot if p.review is None)
        if status is None:
            assert all(p.status is not PairStatus.rejected for p in queue.pairs)
    before = ranked.queue(QueueFilters())
    reject = ReviewIn.model_validate({"decision": "rejected"})
    reviews.review(staff, before.pairs[0].match.pair_id, reject)
    after = ranked.queue(QueueFilters())
    assert after.unreviewed == before.unreviewed - 1 and after.pool == before.pool
    calls: list[int] = []
    pairs = app.state.matcher.pairs

    def counted(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        return pairs(*args, **kwargs)

    monkeypatch.setattr(app.state.matcher, "pairs", counted)
    web.sign_in("moderator")
    # a posting changes: the next view ranks once, and views after it (any filter, and
    # after decisions) reuse that ranking until a posting changes again
    need = before.pairs[0].need
    edit = PostingUpdate.model_validate({"title": need.title + " (sửa)"})
    app.state.postings.update(staff, "need", need.id, edit)
    for query, rankings in [("", 1), ("?status=all&min_score=0.2", 0), ("?status=rejected", 0)]:
        calls.clear()
        page = web.client.get("/review" + query)
        assert page.status_code == 200 and len(calls) == rankings, query
    reviews.review(staff, after.pairs[0].match.pair_id, reject)
    calls.clear()
    assert web.client.get("/review").status_code == 200 and calls == []
    page = web.client.get("/review?status=maybe").text
    assert re.search(r'data-count="maybe">2<', page) and page.count("data-pair=") == 2
