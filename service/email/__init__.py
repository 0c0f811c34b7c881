"""Agenda e-mails: publishing a schedule sends each participant with a contact e-mail its
agenda with the ICS attached, over SMTP (``TECHMATCH_SMTP_URL``), in a background thread
with retries, at most once per participant and schedule version.

| module | job |
|---|---|
| ``config`` | ``TECHMATCH_SMTP_URL`` → host, port, TLS, login |
| ``message`` | one participant's agenda → an e-mail with the ICS attached |
| ``outbox`` | the ``session_emails`` rows: queue a version's e-mails, read their states |
| ``sender`` | :class:`Mailer`, the thread that sends and retries |
"""

from __future__ import annotations

from service.email.config import SmtpConfig, parse_smtp_url
from service.email.outbox import EmailState, email_states, queue_agenda_emails
from service.email.sender import Mailer

__all__ = [
    "EmailState",
    "Mailer",
    "SmtpConfig",
    "email_states",
    "parse_smtp_url",
    "queue_agenda_emails",
]
