"""The report of a bulk import."""

from __future__ import annotations

from pydantic import BaseModel, Field

from service.schemas.common import ErrorItem


class RowErrors(BaseModel):
    """Why one row was not stored."""

    row: int = Field(
        description="Row number as a spreadsheet shows it (header = 1), or line number in JSONL."
    )
    errors: list[ErrorItem]


class ImportReportOut(BaseModel):
    """What an import stored and what it refused."""

    kind: str
    rows: int = Field(description="Data rows read.")
    created: int
    updated: int = Field(description="Rows whose external_id matched a stored posting.")
    failed: int
    ids: list[int] = Field(description="Ids of the stored postings, in row order.")
    errors: list[RowErrors]
    ignored_columns: list[str] = Field(description="Columns that are not posting fields.")
