"""Errors raised below the HTTP layer; the API turns each into its status code."""

from __future__ import annotations


class ServiceError(Exception):
    """A request the service refuses; ``loc`` names the offending part of the request."""

    status_code = 400
    error_type = "bad_request"

    def __init__(self, msg: str, loc: tuple[str | int, ...] = ()) -> None:
        super().__init__(msg)
        self.msg = msg
        self.loc = loc

    def detail(self) -> list[dict[str, object]]:
        """The error as items of the API's ``detail`` list."""
        return [{"loc": list(self.loc), "msg": self.msg, "type": self.error_type}]


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
