"""Limits on failed authentications (API keys and the web sign-in), per client address
and per key prefix, with the maintained ``limits`` library (moving windows in memory, so
per server process).

A caller over a limit is answered 429 with ``Retry-After`` before its key is even
checked; only failures count, so a client with a valid key is never limited by its own
successful requests.
"""

from __future__ import annotations

import math
import time

from limits import RateLimitItem, parse
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter

from service.auth.keys import PREFIX_LENGTH
from service.errors import ServiceError


class TooManyFailures(ServiceError):
    """Too many failed authentications from this address or for this key prefix (429)."""

    status_code = 429
    error_type = "too_many_requests"

    def __init__(self, retry_after: int) -> None:
        super().__init__(
            f"too many failed authentications; try again in {retry_after} s",
            ("header", "Authorization"),
            msg_vi=f"Xác thực sai quá nhiều lần; hãy thử lại sau {retry_after} giây.",
        )
        self.retry_after = retry_after


def _limit(spec: str) -> RateLimitItem | None:
    spec = spec.strip()
    return None if spec in ("", "0", "off", "none") else parse(spec)


class AuthFailureLimiter:
    """Counts failed authentications; ``check`` refuses a caller already over a limit.

    ``per_address`` and ``per_prefix`` are ``limits`` strings such as ``"100/minute"``
    (``""`` or ``"off"`` turns one off).
    """

    def __init__(self, per_address: str, per_prefix: str) -> None:
        self.per_address = _limit(per_address)
        self.per_prefix = _limit(per_prefix)
        self.limiter = MovingWindowRateLimiter(MemoryStorage())

    def _pairs(self, address: str, key: str) -> list[tuple[RateLimitItem, str, str]]:
        pairs = []
        if self.per_address is not None:
            pairs.append((self.per_address, "address", address))
        if self.per_prefix is not None and key:
            pairs.append((self.per_prefix, "prefix", key.strip()[:PREFIX_LENGTH]))
        return pairs

    def check(self, address: str, key: str) -> None:
        """Raise :class:`TooManyFailures` when ``address`` or ``key``'s prefix is over."""
        waits = [
            self.limiter.get_window_stats(item, scope, ident).reset_time - time.time()
            for item, scope, ident in self._pairs(address, key)
            if not self.limiter.test(item, scope, ident)
        ]
        if waits:
            raise TooManyFailures(max(1, math.ceil(max(waits))))

    def failed(self, address: str, key: str) -> None:
        """Count one failed authentication of ``key`` from ``address``."""
        for item, scope, ident in self._pairs(address, key):
            self.limiter.hit(item, scope, ident)
