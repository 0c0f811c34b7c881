"""Bulk import of booth lists (CSV, XLSX, JSONL) with a per-row error report.

Column names may be the API field names or common Vietnamese headers ("Tên công nghệ",
"Mô tả", "Lĩnh vực", …); unknown columns are ignored and reported. In CSV and XLSX,
``keywords`` and ``transfer_modes`` are separated by ``;`` or ``,``, the contact comes
in ``contact_name``, ``contact_email`` and ``contact_phone`` columns, and ``sector``
may be a code or its Vietnamese or English label. Rows are numbered as a spreadsheet
shows them (header = row 1) or, for JSONL, by line. A bad row is reported and skipped;
the good rows are stored. A row whose ``external_id`` is already stored updates that
posting instead of duplicating it.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError
from sqlalchemy.exc import SQLAlchemyError

from service.auth.roles import Principal
from service.errors import Invalid, ServiceError
from service.postings import PostingService
from service.schemas.postings import PostingCreate
from service.textutil import fold
from vocabulary import SECTORS

FORMATS = ("csv", "xlsx", "jsonl")
BATCH = 200

_ALIASES: dict[str, list[str]] = {
    "title": ["ten", "ten cong nghe", "ten nhu cau", "tieu de", "ten san pham", "ten giai phap"],
    "description": ["mo ta", "noi dung", "mo ta chi tiet", "tom tat"],
    "language": ["ngon ngu", "lang"],
    "sector": ["linh vuc", "nganh", "nganh nghe"],
    "keywords": ["tu khoa", "keyword"],
    "trl": ["muc do san sang", "muc do san sang cong nghe", "muc do hoan thien"],
    "ip_status": ["so huu tri tue", "tinh trang so huu tri tue", "ip"],
    "transfer_modes": ["hinh thuc chuyen giao", "transfer mode", "transfer_mode"],
    "province": ["tinh", "tinh thanh", "tinh thanh pho", "tinh/thanh pho", "dia phuong"],
    "organization": ["to chuc", "don vi", "co quan", "doanh nghiep", "organisation"],
    "contact_name": ["nguoi lien he", "lien he", "contact"],
    "contact_email": ["email", "e-mail", "thu dien tu"],
    "contact_phone": ["phone", "dien thoai", "so dien thoai", "sdt"],
    "status": ["trang thai"],
    "expires_on": ["han", "ngay het han", "het han", "expiry", "expiry_date", "expires"],
    "external_id": ["ma", "ma so", "ma gian hang", "gian hang", "booth", "id", "stt gian hang"],
}
_LIST_FIELDS = ("keywords", "transfer_modes")
_CONTACT = {"contact_name": "name", "contact_email": "email", "contact_phone": "phone"}
_SECTOR_LABELS = {
    fold(label): code for code, labels in SECTORS.items() for label in (code, *labels.values())
}


def _header_key(name: str) -> str:
    return " ".join(fold(str(name)).replace("_", " ").replace("-", " ").split())


_HEADERS: dict[str, str] = {}
for _field, _names in _ALIASES.items():
    for _name in [_field, *_names]:
        _HEADERS[_header_key(_name)] = _field


class ImportFileError(Invalid):
    """The file as a whole cannot be read (format, encoding, missing header)."""


@dataclass
class RowError:
    """Why one row was not stored."""

    row: int
    errors: list[dict[str, Any]]


@dataclass
class ImportReport:
    """What an import did."""

    kind: str
    rows: int = 0
    created: int = 0
    updated: int = 0
    failed: int = 0
    ids: list[int] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready dict."""
        return {
            "kind": self.kind,
            "rows": self.rows,
            "created": self.created,
            "updated": self.updated,
            "failed": self.failed,
            "ids": self.ids,
            "errors": [{"row": e.row, "errors": e.errors} for e in self.errors],
            "ignored_columns": self.ignored_columns,
        }


def guess_format(filename: str | None) -> str | None:
    """``csv``, ``xlsx`` or ``jsonl`` from a file name's extension (``None`` if unknown)."""
    name = (filename or "").lower()
    for ext, fmt in (
        (".csv", "csv"),
        (".tsv", "csv"),
        (".xlsx", "xlsx"),
        (".jsonl", "jsonl"),
        (".ndjson", "jsonl"),
    ):
        if name.endswith(ext):
            return fmt
    return None


# -- reading -------------------------------------------------------------------

Raw = tuple[int, dict[str, Any] | None, str | None]  # row number, values or None, parse error


def read_rows(data: bytes, fmt: str) -> Iterator[Raw]:
    """Rows of a file: ``(row number, {column: value}, None)`` or ``(row, None, error)``."""
    if fmt == "csv":
        yield from _read_csv(data)
    elif fmt == "xlsx":
        yield from _read_xlsx(data)
    elif fmt == "jsonl":
        yield from _read_jsonl(data)
    else:
        raise ImportFileError(
            f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}", ("query", "format")
        )


def _read_csv(data: bytes) -> Iterator[Raw]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ImportFileError(
            "the CSV file is not UTF-8 (save it as 'CSV UTF-8')", ("body", "file")
        ) from exc
    first = text.split("\n", 1)[0]
    delimiter = max(",;\t", key=first.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = next(reader, None)
        if header is None:
            return
        for values in reader:
            if not any(v.strip() for v in values):
                continue
            yield reader.line_num, dict(zip(header, values, strict=False)), None
    except csv.Error as exc:
        raise ImportFileError(
            f"CSV error near line {reader.line_num}: {exc}", ("body", "file")
        ) from exc


def _read_xlsx(data: bytes) -> Iterator[Raw]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a broken file
        raise ImportFileError(
            f"not a readable XLSX file ({type(exc).__name__})", ("body", "file")
        ) from exc
    try:
        sheet = workbook.worksheets[0]
        rows = sheet.iter_rows(values_only=True)
        header = next(rows, None)
        if header is None:
            return
        names = ["" if h is None else str(h) for h in header]
        for number, values in enumerate(rows, start=2):
            if not any(v not in (None, "") for v in values):
                continue
            yield number, dict(zip(names, values, strict=False)), None
    except ImportFileError:
        raise
    except Exception as exc:  # a damaged sheet fails while it is read
        raise ImportFileError(
            f"not a readable XLSX file ({type(exc).__name__})", ("body", "file")
        ) from exc
    finally:
        workbook.close()


def _read_jsonl(data: bytes) -> Iterator[Raw]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ImportFileError("the JSONL file is not UTF-8", ("body", "file")) from exc
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except json.JSONDecodeError as exc:
            yield number, None, f"invalid JSON: {exc.msg}"
            continue
        if not isinstance(value, dict):
            yield number, None, "a line must hold one JSON object"
            continue
        yield number, value, None


# -- normalising -----------------------------------------------------------------


def _split(value: Any) -> Any:
    if isinstance(value, str):
        return [
            p.strip() for p in value.replace("\n", ";").replace(",", ";").split(";") if p.strip()
        ]
    return value


def normalize_row(raw: dict[str, Any], flat: bool) -> tuple[dict[str, Any], list[str]]:
    """Map a file row to an API create payload; also return the columns it ignored.

    ``flat`` rows (CSV, XLSX) have their lists split and empty cells dropped.
    """
    out: dict[str, Any] = {}
    ignored: list[str] = []
    contact: dict[str, Any] = {}
    for column, value in raw.items():
        target = _HEADERS.get(_header_key(column)) if column is not None else None
        if target is None and column == "contact":
            target = "contact"
        if target is None:
            if column not in (None, "") and value not in (None, ""):
                ignored.append(str(column))
            continue
        if flat:
            if value is None or (isinstance(value, str) and not value.strip()):
                continue
            if isinstance(value, str):
                value = value.strip()
            if target in _LIST_FIELDS:
                value = _split(value if isinstance(value, str) else str(value))
            elif target == "trl":
                value = _as_int(value)
            elif target == "expires_on" and hasattr(value, "date"):
                value = value.date().isoformat()
            elif isinstance(value, float) and value.is_integer():
                value = str(int(value))
            elif not isinstance(value, str):
                value = str(value)
        if target in _CONTACT:
            contact[_CONTACT[target]] = value if value is None else str(value)
            continue
        if target == "sector" and isinstance(value, str):
            value = _SECTOR_LABELS.get(fold(value), value)
        out[target] = value
    if contact:
        if isinstance(out.get("contact"), dict):
            contact = {**contact, **out["contact"]}
        out["contact"] = contact
    return out, ignored


def _as_int(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return value


def _errors(exc: ValidationError) -> list[dict[str, Any]]:
    return [
        {"loc": [str(p) for p in e["loc"]], "msg": e["msg"], "type": e["type"]}
        for e in exc.errors()
    ]


# -- importing -------------------------------------------------------------------


def import_rows(
    postings: PostingService,
    principal: Principal,
    kind: str,
    rows: Iterator[Raw],
    progress: Callable[[int], None] | None = None,
    flat: bool = True,
) -> ImportReport:
    """Validate and store ``rows`` in batches; every stored batch is indexed before the next."""
    report = ImportReport(kind=kind)
    ignored: dict[str, None] = {}
    batch: list[tuple[int, PostingCreate]] = []
    for number, raw, error in rows:
        report.rows += 1
        if raw is None:
            report.errors.append(
                RowError(number, [{"loc": [], "msg": error, "type": "row_invalid"}])
            )
        else:
            payload, extra = normalize_row(raw, flat)
            ignored.update(dict.fromkeys(extra))
            try:
                batch.append((number, PostingCreate.model_validate(payload)))
            except ValidationError as exc:
                report.errors.append(RowError(number, _errors(exc)))
        if len(batch) >= BATCH:
            _store(postings, principal, kind, batch, report)
            batch = []
        if progress is not None:
            progress(1)
    if batch:
        _store(postings, principal, kind, batch, report)
    report.errors.sort(key=lambda e: e.row)
    report.failed = len(report.errors)
    report.ignored_columns = list(ignored)
    return report


def _store(
    postings: PostingService,
    principal: Principal,
    kind: str,
    batch: list[tuple[int, PostingCreate]],
    report: ImportReport,
) -> None:
    stored: list[int] = []
    with postings.database.session(write=True) as session:
        for number, data in batch:
            try:
                with session.begin_nested():
                    row, created = postings.upsert_external(session, principal, kind, data)
            except ServiceError as exc:
                report.errors.append(RowError(number, exc.detail()))
                continue
            except SQLAlchemyError as exc:
                msg = f"could not store the row ({type(exc).__name__})"
                report.errors.append(
                    RowError(number, [{"loc": [], "msg": msg, "type": "db_error"}])
                )
                continue
            stored.append(row.id)
            report.ids.append(row.id)
            if created:
                report.created += 1
            else:
                report.updated += 1
        session.commit()
    postings.matcher.sync(stored)
