"""Publishing a schedule and sending its agenda e-mails, as the organiser's page does."""

from __future__ import annotations

from dataclasses import dataclass

from service.auth.roles import Principal
from service.db.engine import Database
from service.email.outbox import queue_agenda_emails
from service.email.sender import Mailer
from service.sessions.publish import Publication, publish_schedule


@dataclass(frozen=True)
class Published:
    """The publication and how many e-mails it queued (``None``: no SMTP configured)."""

    publication: Publication
    queued: int | None


def publish_and_send(
    database: Database, mailer: Mailer, principal: Principal, session_id: int
) -> Published:
    """Publish the stored schedule (see :func:`publish_schedule`) and queue each
    participant's agenda e-mail for its version; a version already e-mailed queues none."""
    publication = publish_schedule(database, principal, session_id)
    if not mailer.enabled:
        return Published(publication, None)
    queued = queue_agenda_emails(database, session_id, publication.version)
    mailer.notify()
    return Published(publication, queued)
