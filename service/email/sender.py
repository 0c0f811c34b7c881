"""The thread that sends the queued agenda e-mails over SMTP and retries the failures.

An e-mail that cannot be sent stays ``pending`` with its error and is tried again after
``retry_seconds``, then twice that, … ; after ``attempts`` tries it is ``failed``. A row is
marked ``sent`` right after the server accepted it, and only ``pending`` rows are sent, so
a participant gets each schedule version once. Pending rows left by a stopped server are
picked up at the next start.
"""

from __future__ import annotations

import logging
import smtplib
import threading
from datetime import datetime, timedelta

from sqlalchemy import select

from service.auth.roles import Principal, Role
from service.db.engine import Database
from service.db.models import SessionEmailRow
from service.db.types import utcnow
from service.email.config import SmtpConfig
from service.email.message import agenda_message
from service.errors import ServiceError
from service.sessions.publish import latest_row, published_agenda

log = logging.getLogger(__name__)

#: Who the mailer reads agendas as.
SYSTEM = Principal(role=Role.admin, organization="techmatch")


class Mailer:
    """Sends the ``pending`` rows of ``session_emails`` in one background thread (none
    when ``config`` is ``None``: then nothing is ever sent)."""

    def __init__(
        self,
        database: Database,
        config: SmtpConfig | None,
        sender: str,
        retry_seconds: float = 30.0,
        attempts: int = 6,
    ) -> None:
        self.database = database
        self.config = config
        self.sender = sender
        self.retry_seconds = retry_seconds
        self.attempts = attempts
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def enabled(self) -> bool:
        """Whether an SMTP server is configured."""
        return self.config is not None

    def start(self) -> None:
        """Start the thread (when configured); it first sends what a previous run left."""
        if self.config is None or self._thread is not None:
            return
        self._thread = threading.Thread(target=self._run, name="techmatch-mailer", daemon=True)
        self._thread.start()

    def notify(self) -> None:
        """New rows were queued: look at once."""
        self._wake.set()

    def close(self) -> None:
        """Stop the thread (a send under way finishes first)."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
            self._thread = None

    def _due(self, row: SessionEmailRow, now: datetime) -> datetime:
        if row.attempts == 0:
            return now
        return row.updated_at + timedelta(seconds=self.retry_seconds * 2 ** (row.attempts - 1))

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                wait = self.send_due()
            except Exception:  # the database may be gone for a moment; keep the thread
                log.exception("agenda e-mails: could not read the outbox")
                wait = self.retry_seconds
            self._wake.wait(timeout=wait)
            self._wake.clear()

    def send_due(self) -> float:
        """Send every pending e-mail that is due; seconds until the next one is due."""
        now = utcnow()
        with self.database.session() as session:
            rows = list(
                session.scalars(
                    select(SessionEmailRow)
                    .where(SessionEmailRow.state == "pending")
                    .order_by(SessionEmailRow.created_at)
                )
            )
        wait = 60.0
        for row in rows:
            if self._stop.is_set():
                break
            due = self._due(row, now)
            if due <= now:
                self._send(row.session_id, row.version, row.posting_id)
                wait = min(wait, self.retry_seconds)
            else:
                wait = min(wait, (due - now).total_seconds())
        return max(wait, 0.05)

    def _send(self, session_id: int, version: int, posting_id: int) -> None:
        error: str | None = None
        with self.database.session() as session:
            last = latest_row(session, session_id)
        if last is None or last.version != version:
            self._finish(session_id, version, posting_id, "failed", "superseded by a newer version")
            return
        try:
            agenda, _ = published_agenda(self.database, SYSTEM, session_id, posting_id)
            with self.database.session() as session:
                row = session.get(SessionEmailRow, (session_id, version, posting_id))
                to = row.email if row else ""
            self._deliver(agenda_message(agenda, to, self.sender, version))
        except (OSError, smtplib.SMTPException, ServiceError) as exc:
            error = f"{type(exc).__name__}: {exc}"[:500]
        if error is None:
            self._finish(session_id, version, posting_id, "sent", None)
        else:
            self._finish(session_id, version, posting_id, None, error)

    def _deliver(self, message: object) -> None:
        config = self.config
        assert config is not None
        smtp_class = smtplib.SMTP_SSL if config.ssl else smtplib.SMTP
        with smtp_class(config.host, config.port, timeout=config.timeout) as smtp:
            if config.starttls and not config.ssl:
                smtp.starttls()
            if config.username:
                smtp.login(config.username, config.password or "")
            smtp.send_message(message)  # type: ignore[arg-type]

    def _finish(
        self, session_id: int, version: int, posting_id: int, state: str | None, error: str | None
    ) -> None:
        """Record a try: ``state`` ``sent``/``failed``, or ``None`` for a failed try (then
        ``failed`` once the tries are used up, else still ``pending``)."""
        with self.database.session(write=True) as session:
            row = session.get(SessionEmailRow, (session_id, version, posting_id))
            if row is None or row.state != "pending":
                return
            now = utcnow()
            row.attempts += 1
            row.error = error
            row.updated_at = now
            if state == "sent":
                row.state, row.sent_at = "sent", now
            elif state == "failed" or row.attempts >= self.attempts:
                row.state = "failed"
            session.commit()
            if error:
                log.warning("agenda e-mail to posting %s not sent: %s", posting_id, error)
