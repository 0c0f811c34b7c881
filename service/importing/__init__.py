"""Bulk import of booth lists (CSV, XLSX, JSONL) with a per-row error report.

``readers`` turn bytes into numbered rows within the limits (``decode`` finds a text
file's encoding), ``normalize`` maps columns to posting fields, ``rows`` validates and
stores them idempotently, ``messages`` words row errors in Vietnamese or English, and
``jobs`` runs large imports in the background with their state in the database.
"""

from service.importing.errors import ImportBusy, ImportFileError, ImportTooLarge, TooManyRows
from service.importing.limits import ImportLimits
from service.importing.normalize import normalize_row
from service.importing.readers import (
    FORMATS,
    ParsedFile,
    Problem,
    Raw,
    guess_format,
    read_file,
    read_rows,
)
from service.importing.rows import BATCH, ImportReport, RowError, import_key, import_rows

__all__ = [
    "BATCH",
    "FORMATS",
    "ImportBusy",
    "ImportFileError",
    "ImportLimits",
    "ImportReport",
    "ImportTooLarge",
    "ParsedFile",
    "Problem",
    "Raw",
    "RowError",
    "TooManyRows",
    "guess_format",
    "import_key",
    "import_rows",
    "normalize_row",
    "read_file",
    "read_rows",
]
