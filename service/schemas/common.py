"""Shapes shared by every resource: errors and pages."""

from __future__ import annotations

from datetime import date
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, BeforeValidator, Field


class ErrorItem(BaseModel):
    """One problem with a request: where (``loc``), what (``msg``), which kind (``type``)."""

    loc: list[str | int]
    msg: str
    type: str


class ErrorResponse(BaseModel):
    """Every error answer: ``{"detail": [{"loc": [...], "msg": "...", "type": "..."}]}``."""

    detail: list[ErrorItem]


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorResponse, "description": text}
    for code, text in {
        400: "The request body could not be read",
        401: "Missing, unknown or revoked API key",
        403: "The key's role or organization may not do this",
        404: "No such resource (or not visible to this key)",
        405: "Method not allowed on this path (`Allow` lists the methods)",
        409: "Conflicts with stored data or with a request still running",
        413: "Request body too large",
        415: "The body is not declared as `application/json`",
        422: "Invalid input; `loc` names the field and `msg` the reason",
        429: "Too many failed authentications; see `Retry-After`",
        503: "The match index is not loaded yet",
    }.items()
}


def _no_bool(value: object) -> object:
    if isinstance(value, bool):
        raise ValueError("must be a number, not true or false")
    return value


def _date_given_as_text(value: object) -> object:
    if isinstance(value, int | float) and not isinstance(value, date):
        raise ValueError("give the date as YYYY-MM-DD")
    return value


#: For number fields: lax parsing would read ``false`` as 0 and ``true`` as 1; refuse that.
NotBool = BeforeValidator(_no_bool)
#: For date fields: lax parsing would read ``0`` as 1970-01-01 (a Unix time); refuse that.
DateText = BeforeValidator(_date_given_as_text)


#: :data:`ERROR_RESPONSES` for a route whose success is not JSON (an HTML page): the
#: errors are still JSON, which FastAPI would otherwise document in the page's type.
JSON_ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    code: {
        "description": response["description"],
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorResponse"}}},
    }
    for code, response in ERROR_RESPONSES.items()
}


T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    """A page of a listing: ``items`` plus the ``total`` that matched the filters."""

    items: list[T]
    total: int = Field(description="Number of postings matching the filters, over all pages.")
    limit: int
    offset: int
