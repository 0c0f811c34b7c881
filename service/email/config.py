"""The SMTP server of ``TECHMATCH_SMTP_URL``: ``smtp://[user:password@]host[:port]``
(``?starttls=1`` to upgrade the connection) or ``smtps://…`` (TLS from the start)."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qs, unquote, urlsplit


@dataclass(frozen=True)
class SmtpConfig:
    """Where and how to send."""

    host: str
    port: int
    ssl: bool = False
    starttls: bool = False
    username: str | None = None
    password: str | None = None
    timeout: float = 10.0


def parse_smtp_url(url: str | None) -> SmtpConfig | None:
    """The server of ``url`` (``None`` when unset or empty); ``ValueError`` when it is not
    an ``smtp://`` or ``smtps://`` URL with a host."""
    if not url or not url.strip():
        return None
    parts = urlsplit(url.strip())
    if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
        raise ValueError("TECHMATCH_SMTP_URL must look like smtp://host:port or smtps://host")
    ssl = parts.scheme == "smtps"
    query = parse_qs(parts.query)
    return SmtpConfig(
        host=parts.hostname,
        port=parts.port or (465 if ssl else 25),
        ssl=ssl,
        starttls=query.get("starttls", ["0"])[0] in ("1", "true", "yes"),
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
    )
