"""The session, participant and key pages through TestClient: create and edit a session,
register participants with unavailable slots, the pairs' states, a background schedule
run with its grid, publishing versions (no SMTP: the page says so), the downloads with
the sign-in cookie, outcomes, a participant's own meetings and ICS, and the keys page."""

from __future__ import annotations

import re
import time
from typing import Any

import icalendar
import pytest
from sqlalchemy import select

from service.auth.keys import create_key
from service.auth.roles import Principal, Role
from service.db.models import PostingRow
from service.reviews import ReviewService
from service.schemas.reviews import ReviewIn
from tests.web.conftest import CSRF, Web

NEED_ORG = "Công ty CP Logistics Cảng Xanh Hải Phòng"
OFFER_ORG = "Công ty TNHH Phần mềm Cảng biển Rồng Xanh"


def _token(web: Web, path: str) -> str:
    found = CSRF.search(web.client.get(path).text)
    assert found
    return found.group(1)


def _posting_id(web: Web, org: str) -> int:
    with web.app.state.database.session() as db:
        row = db.scalar(select(PostingRow).where(PostingRow.owner_org == org))
        assert row is not None
        return row.id


def _key(web: Web, who: str, role: Role, org: str) -> None:
    with web.app.state.database.session(write=True) as db:
        web.keys[who] = create_key(db, role, org, name=who).secret


def _session_form(**fields: Any) -> dict[str, Any]:
    data = {
        "name": "Phiên kết nối Cảng Xanh",
        "venue": "Hội trường A",
        "date": "2026-12-05",
        "time": "08:30",
        "tz": "Asia/Ho_Chi_Minh",
        "slot_minutes": "20",
        "slots": "3",
        "tables": "2",
        "max_meetings_per_participant": "2",
        "fairness_k": "1",
    }
    data.update(fields)
    return data


@pytest.fixture(scope="module")
def session_id(web: Web) -> int:
    """A session with need (Cảng Xanh) and offer (Rồng Xanh) registered and their pair
    accepted; the need cannot attend slot 0."""
    web.sign_in("moderator")
    token = _token(web, "/sessions")
    response = web.client.post(
        "/sessions", data={"csrf_token": token, **_session_form()}, follow_redirects=False
    )
    assert response.status_code == 303, response.text
    sid = int(response.headers["location"].rsplit("/", 1)[1])
    need, offer = _posting_id(web, NEED_ORG), _posting_id(web, OFFER_ORG)
    for pid, slots in ((need, ["0"]), (offer, [])):
        r = web.client.post(
            f"/sessions/{sid}/participants",
            data={"csrf_token": token, "posting_id": str(pid), "slot": slots},
        )
        assert r.status_code == 200, r.text
    ReviewService(web.app.state.database).review(
        Principal(role=Role.moderator, organization="x"),
        f"{need}-{offer}",
        ReviewIn.model_validate({"decision": "accepted"}),
    )
    return sid


def test_a_session_is_created_with_its_time_zone(web: Web, session_id: int) -> None:
    web.sign_in("moderator")
    page = web.client.get(f"/sessions/{session_id}").text
    assert "05/12/2026 08:30–09:30 (UTC+0700)" in page
    assert 'value="Asia/Ho_Chi_Minh" selected' in page
    session = web.app.state.postings  # noqa: F841 - the service is the same as the API's
    listed = web.client.get("/sessions?lang=en").text
    assert "Phiên kết nối Cảng Xanh" in listed and "Open" in listed


def test_a_bad_session_form_shows_the_errors_next_to_the_fields(web: Web) -> None:
    web.sign_in("moderator")
    token = _token(web, "/sessions")
    bad = web.client.post("/sessions", data={"csrf_token": token, **_session_form(slots="0")})
    assert bad.status_code == 422
    assert 'id="s-slots"' in bad.text and 'aria-invalid="true"' in bad.text
    no_date = web.client.post(
        "/sessions?lang=en", data={"csrf_token": token, **_session_form(date="5/12")}
    )
    assert no_date.status_code == 422 and "Not a valid date or time." in no_date.text
    bad_tz = web.client.post(
        "/sessions?lang=en", data={"csrf_token": token, **_session_form(tz="Mars/Base")}
    )
    assert bad_tz.status_code == 422 and "Unknown time zone." in bad_tz.text


def test_editing_keeps_the_zone_and_closing_stops_participants(web: Web, session_id: int) -> None:
    web.sign_in("moderator")
    token = _token(web, f"/sessions/{session_id}")
    form = _session_form(time="09:00", tz="Asia/Tokyo")
    r = web.client.post(f"/sessions/{session_id}/edit", data={"csrf_token": token, **form})
    assert r.status_code == 200
    page = web.client.get(f"/sessions/{session_id}").text
    assert "05/12/2026 09:00" in page and "UTC+0900" in page
    back = _session_form()
    web.client.post(f"/sessions/{session_id}/edit", data={"csrf_token": token, **back})
    assert "(UTC+0700)" in web.client.get(f"/sessions/{session_id}").text


def test_search_registers_and_slot_rows_set_unavailability(web: Web, session_id: int) -> None:
    web.sign_in("moderator")
    need = _posting_id(web, NEED_ORG)
    page = web.client.get(f"/sessions/{session_id}?q=container").text
    assert 'id="search-results"' in page and "đã đăng ký" in page
    rows = web.client.get(f"/sessions/{session_id}/participants/{need}").text
    assert 'name="slot" value="0" id="slot-0" checked' in rows
    assert 'name="slot" value="1" id="slot-1" >' in rows or 'value="1" id="slot-1">' in rows


def test_pairs_show_their_state(web: Web, session_id: int) -> None:
    web.sign_in("moderator")
    need, offer = _posting_id(web, NEED_ORG), _posting_id(web, OFFER_ORG)
    page = web.client.get(f"/sessions/{session_id}/pairs").text
    assert f'data-pair="{need}-{offer}" data-state="accepted"' in page


def _run(web: Web, session_id: int) -> str:
    token = _token(web, f"/sessions/{session_id}/schedule")
    r = web.client.post(
        f"/sessions/{session_id}/schedule", data={"csrf_token": token, "time_limit_s": "5"}
    )
    assert r.status_code == 200
    for _ in range(200):
        page = web.client.get(f"/sessions/{session_id}/schedule").text
        if 'data-state="done"' in page:
            return page
        if 'data-state="failed"' in page:
            raise AssertionError(page[page.find('id="run-state"') : page.find('id="publish"')])
        time.sleep(0.05)
    raise AssertionError("the schedule run did not finish")


def test_schedule_grid_publish_and_downloads(web: Web, session_id: int) -> None:
    web.sign_in("moderator")
    need, offer = _posting_id(web, NEED_ORG), _posting_id(web, OFFER_ORG)
    page = _run(web, session_id)
    assert 'data-status="optimal"' in page or 'data-status="feasible"' in page
    pair = f"{need}-{offer}"
    grid = re.search(r'<tr data-slot="(\d)">(?:(?!</tr>).)*data-pair="' + pair, page, re.S)
    state = page[page.find('id="run-state"') : page.find('id="publish"')]
    assert grid and grid.group(1) != "0", state  # the need cannot attend slot 0
    assert "Bản nháp — chưa công bố" in page and 'id="no-smtp"' in page
    token = _token(web, f"/sessions/{session_id}/schedule")
    first = web.client.post(f"/sessions/{session_id}/publish", data={"csrf_token": token})
    assert "Đã công bố phiên bản 1." in first.text and "không gửi thư nào" in first.text
    again = web.client.post(f"/sessions/{session_id}/publish", data={"csrf_token": token})
    assert "vẫn là phiên bản 1" in again.text
    csv_text = web.client.get(f"/sessions/{session_id}/agenda.csv").text
    assert pair in csv_text
    ics = web.client.get(f"/sessions/{session_id}/agenda.ics?posting_id={need}")
    assert ics.headers["content-type"].startswith("text/calendar")
    assert len(icalendar.Calendar.from_ical(ics.text).walk("VEVENT")) == 1
    printable = web.client.get(f"/sessions/{session_id}/agenda.html?lang=en")
    assert printable.status_code == 200 and "Meeting agenda" in printable.text


def test_agenda_html_accepts_the_cookie_but_not_nobody(web: Web, session_id: int) -> None:
    web.sign_in("moderator")
    assert web.client.get(f"/sessions/{session_id}/agenda.html").status_code == 200
    web.client.cookies.clear()
    assert web.client.get(f"/sessions/{session_id}/agenda.html").status_code == 401


def test_a_rescheduled_meeting_that_moved_is_shown(web: Web, session_id: int) -> None:
    web.sign_in("moderator")
    offer = _posting_id(web, OFFER_ORG)
    need = _posting_id(web, NEED_ORG)
    page = _run(web, session_id)
    slot = re.search(
        r'<tr data-slot="(\d)">(?:(?!</tr>).)*data-pair="' + f"{need}-{offer}", page, re.S
    )
    assert slot
    token = _token(web, f"/sessions/{session_id}")
    blocked = {"csrf_token": token, "slot": [slot.group(1)]}
    web.client.post(f"/sessions/{session_id}/participants/{offer}", data=blocked)
    page = _run(web, session_id)
    # cancelled by the new unavailability, then placed again elsewhere: shown as moved
    # against the published version
    moved = re.search(rf'class="moved" data-pair="{need}-{offer}">[^<]*', page)
    assert moved and "→" in moved.group(0)
    state = web.client.get(f"/sessions/{session_id}/schedule").text
    assert "Bản nháp — chưa công bố" in state  # changed since version 1
    web.client.post(f"/sessions/{session_id}/participants/{offer}", data={"csrf_token": token})


def test_participant_sees_published_meetings_ics_and_records_an_outcome(
    web: Web, session_id: int
) -> None:
    _key(web, "cang_xanh", Role.company, NEED_ORG)
    need, offer = _posting_id(web, NEED_ORG), _posting_id(web, OFFER_ORG)
    web.sign_in("moderator")
    _run(web, session_id)
    token = _token(web, f"/sessions/{session_id}/schedule")
    web.client.post(f"/sessions/{session_id}/publish", data={"csrf_token": token})
    web.sign_in("cang_xanh")
    page = web.client.get(f"/my-sessions/{session_id}?lang=en").text
    assert f'data-pair="{need}-{offer}"' in page
    assert "05/12/2026 08:" in page and "Table " in page
    assert "hau.dv@rongxanhsoft.example.vn" in page  # the counterpart's contact
    ics = web.client.get(f"/my-sessions/{session_id}/meetings.ics?posting_id={need}")
    events = icalendar.Calendar.from_ical(ics.text).walk("VEVENT")
    assert [str(e["UID"]) for e in events] == [
        f"techmatch-session-{session_id}-{need}-{offer}@techmatch"
    ]
    assert (
        web.client.get(f"/my-sessions/{session_id}/meetings.ics?posting_id={offer}").status_code
        == 404
    )
    token = _token(web, f"/my-sessions/{session_id}")
    data = {
        "csrf_token": token,
        "pair_id": f"{need}-{offer}",
        "outcome": "follow_up",
        "follow_up": "pilot",
    }
    r = web.client.post(f"/my-sessions/{session_id}/outcome", data=data)
    assert r.status_code == 200 and 'data-outcome="follow_up"' in r.text
    assert web.client.get(f"/sessions/{session_id}/schedule").status_code == 403
    web.sign_in("moderator")
    exported = web.client.get(f"/sessions/{session_id}/outcomes.csv").text
    assert f"{need}-{offer}" in exported and "pilot" in exported


def test_participant_registers_own_posting_unless_closed(web: Web) -> None:
    web.sign_in("moderator")
    token = _token(web, "/sessions")
    r = web.client.post(
        "/sessions",
        data={"csrf_token": token, **_session_form(name="Phiên 2")},
        follow_redirects=False,
    )
    sid = int(r.headers["location"].rsplit("/", 1)[1])
    _key(web, "rong_xanh", Role.institute, OFFER_ORG)
    offer = _posting_id(web, OFFER_ORG)
    web.sign_in("rong_xanh")
    page = web.client.get(f"/my-sessions/{sid}").text
    assert f'<option value="{offer}">' in page
    token = _token(web, f"/my-sessions/{sid}")
    r = web.client.post(
        f"/my-sessions/{sid}/register",
        data={"csrf_token": token, "posting_id": str(offer), "slot": ["2"]},
    )
    assert r.status_code == 200 and "Đã đăng ký tin" in r.text
    assert 'id="s' + str(offer) + '-2" checked' in r.text
    token = _token(web, f"/my-sessions/{sid}")
    r = web.client.post(
        f"/my-sessions/{sid}/slots/{offer}", data={"csrf_token": token, "slot": ["1", "0", "1"]}
    )
    assert r.status_code == 200 and "Đã lưu các lượt bận." in r.text
    assert 'id="s' + str(offer) + '-0" checked' in r.text
    assert 'id="s' + str(offer) + '-1" checked' in r.text
    assert 'id="s' + str(offer) + '-2" checked' not in r.text
    other = _posting_id(web, NEED_ORG)  # not its own
    r = web.client.post(
        f"/my-sessions/{sid}/register", data={"csrf_token": token, "posting_id": str(other)}
    )
    assert r.status_code in (403, 404)
    web.sign_in("moderator")
    token = _token(web, f"/sessions/{sid}")
    web.client.post(f"/sessions/{sid}/close", data={"csrf_token": token, "closed": "1"})
    web.sign_in("rong_xanh")
    token = _token(web, f"/my-sessions/{sid}")
    r = web.client.post(
        f"/my-sessions/{sid}/register", data={"csrf_token": token, "posting_id": str(offer)}
    )
    assert r.status_code == 409


def test_keys_page_shows_each_key_once_on_a_welcome_sheet(web: Web) -> None:
    _key(web, "admin", Role.admin, "Ban tổ chức")
    web.sign_in("moderator")
    assert web.client.get("/keys").status_code == 403
    web.sign_in("admin")
    token = _token(web, "/keys")
    r = web.client.post(
        "/keys",
        data={"csrf_token": token, "role": "company", "organizations": "Công ty A\nCông ty B\n"},
    )
    assert r.status_code == 200
    keys = re.findall(r'<code class="sheet-key">(tm_[^<]+)</code>', r.text)
    assert len(keys) == 2
    assert r.text.count('class="welcome-sheet') == 2 and "http://testserver/" in r.text
    listing = web.client.get("/keys").text
    assert all(k not in listing for k in keys)  # never shown again
    key_id = re.findall(r'<tr data-key="(\d+)"><td>\d+</td><td>Công ty B</td>', listing)
    assert key_id
    web.client.post(f"/keys/{key_id[0]}/revoke", data={"csrf_token": token})
    web.keys["b"] = keys[1]
    assert web.sign_in("b").status_code == 401


def test_staff_see_all_postings_with_filters(web: Web) -> None:
    web.sign_in("moderator")
    page = web.client.get("/postings/all").text
    assert NEED_ORG in page and OFFER_ORG in page
    offers = web.client.get("/postings/all?kind=offer").text
    assert NEED_ORG not in offers and OFFER_ORG in offers
    web.sign_in("company")
    assert web.client.get("/postings/all").status_code == 403
