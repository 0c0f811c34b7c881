"""Request body size limits, answered with the API's JSON error shape (413)."""

from __future__ import annotations

import json

from starlette.types import ASGIApp, Message, Receive, Scope, Send


class BodyTooLarge(Exception):
    """Raised from ``receive`` once a streamed body passes its limit."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"request body larger than {limit} bytes")
        self.limit = limit


def too_large_body(limit: int) -> bytes:
    """The JSON body of a 413 answer."""
    item = {
        "loc": ["body"],
        "msg": f"the request body is larger than {limit} bytes",
        "type": "body_too_large",
    }
    return json.dumps({"detail": [item]}).encode()


class BodyLimitMiddleware:
    """Refuse bodies over ``default`` bytes, or over ``per_suffix[s]`` for paths ending in ``s``.

    A declared ``Content-Length`` over the limit is refused before the app runs; a streamed
    body is cut off as soon as it passes the limit (the API's handler turns that into 413).
    """

    def __init__(
        self, app: ASGIApp, default: int, per_suffix: dict[str, int] | None = None
    ) -> None:
        self.app = app
        self.default = default
        self.per_suffix = per_suffix or {}

    def limit_for(self, path: str) -> int:
        """The limit that applies to ``path``."""
        for suffix, limit in self.per_suffix.items():
            if path.endswith(suffix):
                return limit
        return self.default

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope.get("path", ""))
        declared = _content_length(scope)
        if declared is not None and declared > limit:
            body = too_large_body(limit)
            await send(
                {
                    "type": "http.response.start",
                    "status": 413,
                    "headers": [
                        (b"content-type", b"application/json"),
                        (b"content-length", str(len(body)).encode()),
                        (b"connection", b"close"),
                    ],
                }
            )
            await send({"type": "http.response.body", "body": body})
            return
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(limit)
            return message

        await self.app(scope, limited_receive, send)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None
