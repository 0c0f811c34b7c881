"""Errors raised below the HTTP layer; the API turns each into its status code."""

from __future__ import annotations


class ServiceError(Exception):
    """A request the service refuses; ``loc`` names the offending part of the request."""

    status_code = 400
    error_type = "bad_request"

    def __init__(
        self, msg: str, loc: tuple[str | int, ...] = (), msg_vi: str | None = None
    ) -> None:
        super().__init__(msg)
        self.msg = msg
        self.loc = loc
        self.msg_vi = msg_vi

    def message(self, lang: str = "en") -> str:
        """The message in ``lang`` (``vi`` when a Vietnamese one was given, else English)."""
        return self.msg_vi if lang == "vi" and self.msg_vi else self.msg

    def detail(self, lang: str = "en") -> list[dict[str, object]]:
        """The error as items of the API's ``detail`` list (message in ``lang``)."""
        return [{"loc": list(self.loc), "msg": self.message(lang), "type": self.error_type}]


class NotFound(ServiceError):
    """No such resource, or not visible to the caller."""

    status_code = 404
    error_type = "not_found"


class Forbidden(ServiceError):
    """The caller's role or organization may not do this."""

    status_code = 403
    error_type = "forbidden"


class Conflict(ServiceError):
    """The request clashes with stored data (e.g. a duplicate ``external_id``)."""

    status_code = 409
    error_type = "conflict"


class Invalid(ServiceError):
    """Input that passed parsing but is still unacceptable."""

    status_code = 422
    error_type = "value_error"
