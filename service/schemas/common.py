"""Shapes shared by every resource: errors and pages."""

from __future__ import annotations

from typing import Any, Generic, TypeVar

from pydantic import BaseModel, Field


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
        401: "Missing, unknown or revoked API key",
        403: "The key's role or organization may not do this",
        404: "No such resource (or not visible to this key)",
        413: "Request body too large",
        422: "Invalid input; `loc` names the field and `msg` the reason",
    }.items()
}


T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    """A page of a listing: ``items`` plus the ``total`` that matched the filters."""

    items: list[T]
    total: int = Field(description="Number of postings matching the filters, over all pages.")
    limit: int
    offset: int
