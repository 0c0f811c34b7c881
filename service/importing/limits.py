"""The limits one import works under (from :class:`service.core.config.Settings`)."""

from __future__ import annotations

from dataclasses import dataclass

from service.core.config import MIB, Settings

#: Columns read from a sheet or CSV row; more are ignored (a sheet may declare 16,384).
MAX_COLUMNS = 100
#: Parts in an XLSX zip; a real workbook has a few dozen.
MAX_XLSX_MEMBERS = 2000
#: Characters of one error message or column name kept in a report.
MAX_TEXT = 300
#: Errors kept per row, and ignored column names kept per report.
MAX_ERRORS_PER_ROW = 20
MAX_IGNORED_COLUMNS = 50


@dataclass(frozen=True)
class ImportLimits:
    """Row cap, XLSX uncompressed-size cap and the size above which an import is a job."""

    max_rows: int = 10_000
    max_xlsx_bytes: int = 50 * MIB
    sync_rows: int = 500

    @classmethod
    def from_settings(cls, settings: Settings) -> ImportLimits:
        """The limits configured by ``TECHMATCH_MAX_IMPORT_ROWS`` and friends."""
        return cls(
            max_rows=settings.max_import_rows,
            max_xlsx_bytes=settings.max_import_xlsx_bytes,
            sync_rows=settings.import_sync_rows,
        )
