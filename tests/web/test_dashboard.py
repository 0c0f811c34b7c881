"""The organisers' dashboard ``/dashboard`` through TestClient: who may open it, both
languages, and that every number it shows is the one the services give (postings per
sector and language, review counts, meetings per participant, the funnel)."""

from __future__ import annotations

import re
from collections import Counter
from datetime import datetime
from typing import Any

from service.auth.roles import Principal, Role
from service.dashboard import build_dashboard
from service.db.models import PostingRow
from service.ranked_pairs import RankedPairs
from service.reviews import ReviewService
from service.schemas.reviews import ReviewIn
from service.schemas.sessions import OutcomeIn, ParticipantIn, ScheduleIn, SessionCreate
from service.sessions import SessionService
from tests.web.conftest import ORGANISERS, Web

STAFF = Principal(role=Role.admin, organization=ORGANISERS)


def services(app: Any) -> tuple[RankedPairs, ReviewService, SessionService]:
    """The services the dashboard reads, over ``app``'s database and matcher."""
    reviews = ReviewService(app.state.database)
    ranked = RankedPairs(app.state.postings, app.state.matcher, reviews)
    return ranked, reviews, SessionService(app.state.database, app.state.matcher)


def play_day(app: Any, name: str = "Phiên kết nối thử") -> dict[str, Any]:
    """A small session day: the postings of the 6 best pairs plus one need without pairs
    registered, 4 pairs accepted and 1 rejected, scheduled, 3 outcomes recorded (held,
    follow-up, no-show). Returns the session id, its meetings and what was done."""
    ranked, reviews, sessions = services(app)
    app.state.matcher.sync([])  # nothing pending
    pool = ranked.rank(200, per_need=1, per_offer=1)
    pairs = [(p.match.need_id, p.match.offer_id) for p in pool[:6]]
    assert len(pairs) == 6
    with app.state.database.session() as db:
        lonely = next(
            row.id
            for row in db.query(PostingRow).filter(PostingRow.kind == "need")
            if row.id not in {n for n, _ in pairs}
        )
    session = sessions.create(
        STAFF,
        SessionCreate.model_validate(
            {
                "name": name,
                "start": datetime.fromisoformat("2026-12-05T08:30:00+07:00"),
                "slot_minutes": 20,
                "slots": 4,
                "tables": 3,
                "max_meetings_per_participant": 2,
                "fairness_k": 1,
            }
        ),
    )
    posting_ids = sorted({i for pair in pairs for i in pair} | {lonely})
    for posting_id in posting_ids:
        sessions.add_participant(STAFF, session.id, ParticipantIn(posting_id=posting_id))
    for need_id, offer_id in pairs[:4]:
        reviews.review(STAFF, f"{need_id}-{offer_id}", ReviewIn(decision="accepted"))
    reviews.review(STAFF, f"{pairs[4][0]}-{pairs[4][1]}", ReviewIn(decision="rejected"))
    result = sessions.schedule(STAFF, session.id, ScheduleIn(time_limit_s=5))
    assert len(result.meetings) == 4
    outcomes = ["held", "follow_up", "no_show"]
    for meeting, outcome in zip(result.meetings, outcomes, strict=False):
        data: dict[str, Any] = {"outcome": outcome}
        if outcome == "follow_up":
            data["follow_up"] = "pilot"
        sessions.record_outcome(STAFF, session.id, meeting.pair_id, OutcomeIn.model_validate(data))
    return {
        "session_id": session.id,
        "participants": posting_ids,
        "lonely": lonely,
        "meetings": [(m.need_id, m.offer_id) for m in result.meetings],
        "pairs": pairs,
    }


def numbers(page: str, attribute: str) -> dict[str, int]:
    """``{value of attribute: number}`` of the cells ``<td attribute="…">N</td>``."""
    return {
        key: int(value) for key, value in re.findall(rf'<td {attribute}="([^"]+)">(\d+)</td>', page)
    }


def test_only_staff_open_the_dashboard(web: Web) -> None:
    web.client.cookies.clear()
    signed_out = web.client.get("/dashboard", follow_redirects=False)
    assert signed_out.status_code == 303
    assert signed_out.headers["location"].startswith("/?next=%2Fdashboard")
    web.sign_in("company")
    assert web.client.get("/dashboard").status_code == 403
    assert 'href="/dashboard"' not in web.client.get("/postings").text
    web.sign_in("moderator")
    page = web.client.get("/dashboard")
    assert page.status_code == 200
    assert 'href="/dashboard"' in page.text  # the nav link


def test_without_sessions_the_funnel_covers_everything(web: Web) -> None:
    web.sign_in("moderator")
    page = web.client.get("/dashboard?lang=vi").text
    assert "Chưa có phiên kết nối nào" in page
    ranked, reviews, _ = services(web.app)
    pool = ranked.rank(1000)
    stages = numbers(page, "data-stage")
    assert stages["suggested"] == len(pool) > 0
    assert stages["scheduled"] == stages["held"] == stages["follow_up"] == 0
    assert 'id="chart-fairness"' not in page


def test_sector_and_language_counts_match_the_database(web: Web) -> None:
    web.sign_in("moderator")
    page = web.client.get("/dashboard?lang=en").text
    with web.app.state.database.session() as db:
        rows = [
            (r.sector, r.kind, r.language)
            for r in db.query(PostingRow).filter(PostingRow.status != "archived")
        ]
    by_sector = Counter(sector for sector, _, _ in rows)
    board = build_dashboard(web.app.state.database, *services(web.app), STAFF)
    assert {s.sector: s.total for s in board.sectors} == dict(by_sector)
    assert [s.total for s in board.sectors] == sorted(by_sector.values(), reverse=True)
    for sector in board.sectors:
        for lang in ("vi", "en"):
            expected = sum(1 for s, _, lg in rows if s == sector.sector and lg == lang)
            assert sector.language(lang) == expected
    assert board.postings == dict(Counter(kind for _, kind, _ in rows))
    assert f'<strong data-stat="needs">{board.postings["need"]}</strong>' in page
    bars = re.findall(r'<g class="bar" data-label="[^"]*" data-value="(\d+)"', page)
    assert [int(v) for v in bars[: len(board.sectors)]] == [s.total for s in board.sectors]
    assert "Postings per sector and language" in page and "Vietnamese" in page


def test_a_session_day_shows_in_every_chart(web: Web) -> None:
    day = play_day(web.app)
    web.sign_in("moderator")
    page = web.client.get(f"/dashboard?session={day['session_id']}&lang=en").text

    # review progress = the counts of the /review queue
    queue = web.client.get("/review?lang=en").text
    for part in ("unreviewed", "accepted", "rejected", "maybe"):
        shown = re.search(rf'data-count="{part}">(\d+)<', queue)
        assert shown, part
        assert numbers(page, "data-review")[part] == int(shown.group(1))
    assert numbers(page, "data-review")["accepted"] == 4
    assert numbers(page, "data-review")["rejected"] == 1

    # meetings per participant = the agenda's
    per_posting = Counter(i for pair in day["meetings"] for i in pair)
    shown = numbers(page, "data-posting")
    assert set(shown) == {str(i) for i in day["participants"]}
    assert all(shown[str(i)] == per_posting.get(i, 0) for i in day["participants"])
    assert shown[str(day["lonely"])] == 0
    assert 'id="chart-fairness"' in page
    columns = re.findall(r'<rect class="column"[^>]*data-label="(\d+)" data-value="(\d+)"', page)
    spread = Counter(per_posting.get(i, 0) for i in day["participants"])
    assert {int(k): int(v) for k, v in columns} == {n: spread.get(n, 0) for n in range(3)}

    # the funnel of this session
    stages = numbers(page, "data-stage")
    assert stages["accepted"] == 4
    assert stages["scheduled"] == 4
    assert stages["held"] == 2  # held + follow-up
    assert stages["follow_up"] == 1
    assert stages["suggested"] >= 5  # every reviewed pair at least
    assert re.search(r'<g class="stage" data-label="Scheduled" data-value="4"', page)

    # histogram: the threshold is marked, bins add up to the suggested pairs
    threshold = web.app.state.matcher.recommend_threshold
    assert f'data-value="{threshold:.3f}"' in page
    bins = [int(v) for v in re.findall(r'<rect class="bin"[^>]*data-value="(\d+)"', page)]
    ranked, _, _ = services(web.app)
    assert sum(bins) == len(ranked.rank(1000))


def test_choosing_another_session(web: Web) -> None:
    _, _, sessions = services(web.app)
    other = sessions.create(
        STAFF,
        SessionCreate.model_validate(
            {
                "name": "Phiên <b>trống</b>",
                "start": datetime.fromisoformat("2027-03-01T08:30:00+07:00"),
                "slot_minutes": 15,
                "slots": 4,
                "tables": 2,
                "max_meetings_per_participant": 3,
            }
        ),
    )
    web.sign_in("moderator")
    default = web.client.get("/dashboard?lang=vi").text  # latest start first
    assert "Phiên &lt;b&gt;trống&lt;/b&gt;" in default and "<b>trống</b>" not in default
    assert "Phiên này chưa có bên tham gia nào." in default
    assert numbers(default, "data-stage")["scheduled"] == 0
    assert f'<option value="{other.id}" selected>' in default
    first = min(s.id for s in sessions.all())
    chosen = web.client.get(f"/dashboard?session={first}").text
    assert numbers(chosen, "data-stage")["scheduled"] == 4
    assert f'<option value="{first}" selected>' in chosen
    assert web.client.get("/dashboard?session=nonsense").status_code == 200
    assert web.client.get("/dashboard?session=999999").status_code == 200


def test_charts_are_accessible_and_respect_the_csp(web: Web) -> None:
    _, _, sessions = services(web.app)
    first = min(s.id for s in sessions.all())  # the session with participants
    web.sign_in("moderator")
    response = web.client.get(f"/dashboard?lang=vi&session={first}")
    page = response.text
    assert "style-src 'self'" in response.headers["content-security-policy"]
    assert ' style="' not in page and "<style" not in page  # no inline styles to be blocked
    assert "<script" not in page.replace('<script src="/static/app.js" defer></script>', "")
    svgs = re.findall(r"<svg [^>]*>", page)
    assert len(svgs) == 5
    for svg in svgs:
        assert 'role="img"' in svg and "aria-labelledby=" in svg
    assert page.count("<details>") == 5  # a data table beside every chart
    assert "Tiến độ duyệt" in page and "Phễu kết nối" in page
    assert web.client.get("/static/dashboard.css").status_code == 200
