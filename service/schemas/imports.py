"""The report of a bulk import, and an import job with its progress."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from service.schemas.common import ErrorItem

JobState = Literal["queued", "running", "done", "failed"]


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
    updated: int = Field(
        description="Rows that updated a stored posting: same external_id, or (without "
        "one) the same content imported before by the same organization."
    )
    failed: int
    ids: list[int] = Field(description="Ids of the stored postings, in row order.")
    errors: list[RowErrors]
    ignored_columns: list[str] = Field(description="Columns that are not posting fields.")
    encoding: str | None = Field(
        None, description="How a CSV or JSONL file was decoded (utf-8, utf-16, cp1258, …)."
    )


class ImportJobOut(BaseModel):
    """An import running in the background (``POST …/import?async=true``, or any import
    of more than ``TECHMATCH_IMPORT_SYNC_ROWS`` rows)."""

    id: int
    kind: str
    state: JobState = Field(description="queued → running → done | failed.")
    format: str
    filename: str | None
    encoding: str | None
    lang: str = Field(description="Language of the row error messages (vi or en).")
    organization: str = Field(description="Organization of the key that started it.")
    rows_total: int = Field(description="Data rows in the file.")
    rows_done: int = Field(description="Rows validated and stored or refused so far.")
    created: int
    updated: int
    failed: int
    progress: float = Field(description="rows_done / rows_total (1.0 when done).")
    error: str | None = Field(description="Why the job failed (state failed).")
    report: ImportReportOut | None = Field(description="The full report once done.")
    status_url: str
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None


class ImportJobPage(BaseModel):
    """A page of import jobs (without their reports)."""

    items: list[ImportJobOut]
    total: int
    limit: int
    offset: int
