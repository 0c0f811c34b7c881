"""The security headers every HTML page sends (web pages and the printable agenda)."""

from __future__ import annotations

import base64
import hashlib
import re

#: No inline script or style runs, nothing is framed, nothing is cached.
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self'; "
    "img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; "
    "object-src 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
}


_STYLE = re.compile(r"<style>(.*?)</style>", re.S)


def headers_for_html(html: str) -> dict[str, str]:
    """:data:`SECURITY_HEADERS` for a self-contained page: its inline ``<style>`` blocks
    (and nothing else inline) are allowed by their SHA-256 in ``style-src``."""
    hashes = [
        "'sha256-" + base64.b64encode(hashlib.sha256(m.encode()).digest()).decode() + "'"
        for m in _STYLE.findall(html)
    ]
    if not hashes:
        return dict(SECURITY_HEADERS)
    csp = SECURITY_HEADERS["Content-Security-Policy"].replace(
        "style-src 'self'", "style-src 'self' " + " ".join(hashes)
    )
    return {**SECURITY_HEADERS, "Content-Security-Policy": csp}
