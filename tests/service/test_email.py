"""The agenda e-mails with a real SMTP server (aiosmtpd on 127.0.0.1): nothing is sent
without TECHMATCH_SMTP_URL; an SMTP server that is down, then up, gets each e-mail once
after retries; publishing again without a change sends nothing twice; a changed schedule
is a new version and is sent again."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import icalendar
import pytest

from service.auth.roles import Principal, Role
from service.db.engine import Database
from service.db.migrate import upgrade
from service.db.models import PostingRow, SessionParticipantRow, SessionRow
from service.email import Mailer, email_states, parse_smtp_url
from service.email.publishing import publish_and_send
from service.errors import Invalid
from service.scheduling import Meeting
from service.sessions.meetings import store_meetings
from service.sessions.publish import publish_state
from tests.service.servers import free_port
from tests.service.smtp_server import SmtpServer

STAFF = Principal(role=Role.moderator, organization="Ban tổ chức")
HANOI = timezone(timedelta(hours=7))


@pytest.fixture
def database(tmp_path: Path) -> Iterator[Database]:
    db = Database(f"sqlite:///{tmp_path / 'mail.db'}")
    upgrade(db)
    yield db
    db.dispose()


def _posting(db: Database, kind: str, title: str, org: str, email: str | None) -> int:
    with db.session(write=True) as session:
        row = PostingRow(
            kind=kind,
            title=title,
            description=title,
            language="vi",
            status="published",
            organization=org,
            owner_org=org,
            contact={"email": email} if email else None,
            content_hash=title,
        )
        session.add(row)
        session.commit()
        return row.id


def _session(db: Database) -> tuple[int, list[int]]:
    """A session with need A (e-mail), offers B (e-mail) and C (no e-mail); A meets B at
    slot 1 table 0 and C at slot 0 table 1."""
    need = _posting(db, "need", "Giám sát oxy ao tôm", "Công ty A", "a@example.org")
    offer_b = _posting(db, "offer", "Cảm biến DO", "Viện B", "b@example.org")
    offer_c = _posting(db, "offer", "Máy sục khí", "Trường C", None)
    with db.session(write=True) as session:
        row = SessionRow(
            name="Techfest Hải Phòng",
            venue="Hội trường A",
            start=datetime(2026, 12, 5, 1, 30, tzinfo=UTC),
            utc_offset_minutes=420,
            slot_minutes=20,
            slots=3,
            tables=2,
            max_meetings_per_participant=3,
            fairness_k=1,
            created_by_org="Ban tổ chức",
        )
        session.add(row)
        session.flush()
        for pid, kind in ((need, "need"), (offer_b, "offer"), (offer_c, "offer")):
            session.add(
                SessionParticipantRow(
                    session_id=row.id,
                    posting_id=pid,
                    kind=kind,
                    unavailable_slots=[],
                    registered_by_org="Ban tổ chức",
                )
            )
        session.commit()
        sid = row.id
    _store(db, sid, [(need, offer_b, 1, 0), (need, offer_c, 0, 1)])
    return sid, [need, offer_b, offer_c]


def _store(db: Database, sid: int, meetings: list[tuple[int, int, int, int]]) -> None:
    store_meetings(
        db,
        sid,
        [Meeting(f"{n}-{o}", n, o, s, t) for n, o, s, t in meetings],
        {},
        {},
        {"status": "optimal"},
    )


def _wait(condition: Callable[[], bool], timeout: float = 20.0) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError("timed out")


def test_without_smtp_nothing_is_queued_or_sent(database: Database) -> None:
    sid, _ = _session(database)
    mailer = Mailer(database, parse_smtp_url(None), "techmatch <t@localhost>")
    mailer.start()
    published = publish_and_send(database, mailer, STAFF, sid)
    mailer.close()
    assert published.queued is None and published.publication.version == 1
    assert email_states(database, sid, 1) == []
    assert not mailer.enabled


def test_publishing_needs_a_schedule(database: Database) -> None:
    with database.session(write=True) as session:
        row = SessionRow(
            name="Trống",
            start=datetime(2026, 12, 5, 1, 30, tzinfo=UTC),
            utc_offset_minutes=420,
            slot_minutes=20,
            slots=3,
            tables=2,
            max_meetings_per_participant=3,
            fairness_k=1,
            created_by_org="Ban tổ chức",
        )
        session.add(row)
        session.commit()
        sid = row.id
    mailer = Mailer(database, None, "t@localhost")
    with pytest.raises(Invalid):
        publish_and_send(database, mailer, STAFF, sid)


def test_smtp_down_then_up_is_retried_and_sent_once(database: Database) -> None:
    sid, (need, offer_b, _) = _session(database)
    port = free_port()
    config = parse_smtp_url(f"smtp://127.0.0.1:{port}")
    mailer = Mailer(database, config, "techmatch <t@localhost>", retry_seconds=0.3, attempts=50)
    mailer.start()
    try:
        published = publish_and_send(database, mailer, STAFF, sid)
        assert published.queued == 2  # offer C has no contact e-mail
        # nobody listens: the first tries fail and say why, the e-mails stay pending
        _wait(lambda: all(s.attempts >= 1 for s in email_states(database, sid, 1)))
        states = email_states(database, sid, 1)
        assert {s.state for s in states} == {"pending"}
        assert all(s.error and "Connection refused" in s.error for s in states)
        with SmtpServer(port) as server:
            _wait(lambda: {s.state for s in email_states(database, sid, 1)} == {"sent"})
            time.sleep(1.0)  # a second send would arrive within the retry time
            messages = list(server.inbox.messages)
        assert sorted(m["To"] for m in messages) == ["a@example.org", "b@example.org"]
        to_a = next(m for m in messages if m["To"] == "a@example.org")
        assert "Techfest Hải Phòng" in to_a["Subject"]
        body = to_a.get_body(("plain",))
        assert body is not None and "08:50–09:10" in body.get_content()  # slot 1, UTC+7
        attachment = next(to_a.iter_attachments())
        assert attachment.get_content_type() == "text/calendar"
        calendar = icalendar.Calendar.from_ical(attachment.get_content())
        events = calendar.walk("VEVENT")
        assert sorted(e.decoded("DTSTART") for e in events) == [
            datetime(2026, 12, 5, 8, 30, tzinfo=HANOI),
            datetime(2026, 12, 5, 8, 50, tzinfo=HANOI),
        ]
        assert [s.error for s in email_states(database, sid, 1)] == [None, None]
    finally:
        mailer.close()


def test_republishing_without_change_sends_nothing_twice(database: Database) -> None:
    sid, (need, offer_b, offer_c) = _session(database)
    port = free_port()
    mailer = Mailer(database, parse_smtp_url(f"smtp://127.0.0.1:{port}"), "t@localhost", 0.2)
    with SmtpServer(port) as server:
        mailer.start()
        try:
            first = publish_and_send(database, mailer, STAFF, sid)
            _wait(lambda: len(server.inbox.messages) == 2)
            again = publish_and_send(database, mailer, STAFF, sid)
            assert again.publication.version == 1 and not again.publication.new
            assert again.queued == 0
            time.sleep(1.0)
            assert len(server.inbox.messages) == 2
            assert not publish_state(database, sid).draft_changed
            # a changed schedule is a draft until published, then a new version, sent again
            _store(database, sid, [(need, offer_b, 2, 0), (need, offer_c, 0, 1)])
            assert publish_state(database, sid).draft_changed
            changed = publish_and_send(database, mailer, STAFF, sid)
            assert first.publication.version == 1 and changed.publication.version == 2
            assert changed.queued == 2
            _wait(lambda: len(server.inbox.messages) == 4)
            time.sleep(0.5)
            assert len(server.inbox.messages) == 4
            assert {s.state for s in email_states(database, sid, 2)} == {"sent"}
        finally:
            mailer.close()
