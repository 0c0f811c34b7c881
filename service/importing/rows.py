"""Storing read rows: validate each, store in batches, report every row that failed.

A bad row is reported and skipped; the good rows are stored, each batch committed and
indexed before the next. A row whose ``external_id`` is already stored updates that
posting. A row without one is keyed by a hash of its content and kind, per owning
organization, so a retried import (the same row imported again by the same
organization) updates the posting it made the first time instead of duplicating it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from service.auth.roles import Principal
from service.errors import ServiceError
from service.importing.limits import MAX_IGNORED_COLUMNS
from service.importing.messages import problem, safe_text, validation_errors
from service.importing.normalize import normalize_row
from service.importing.readers import Raw
from service.postings import PostingService
from service.schemas.postings import PostingCreate

BATCH = 200


@dataclass
class RowError:
    """Why one row was not stored."""

    row: int
    errors: list[dict[str, Any]]


@dataclass
class ImportReport:
    """What an import did (counts so far while it runs)."""

    kind: str
    rows: int = 0
    created: int = 0
    updated: int = 0
    failed: int = 0
    ids: list[int] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)
    encoding: str | None = None

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
            "encoding": self.encoding,
        }


def import_key(kind: str, data: PostingCreate) -> str:
    """The content key of a row without ``external_id``: SHA-256 of its kind and fields."""
    fields = data.model_dump(mode="json", exclude={"external_id"})
    blob = json.dumps([kind, fields], sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


@dataclass
class PreparedRow:
    """A read row validated as a posting (``data``) or its ``error``, and the columns of
    the row that are not posting fields."""

    number: int
    data: PostingCreate | None
    error: RowError | None
    ignored: list[str]


def prepare_row(raw: Raw, flat: bool, lang: str) -> PreparedRow:
    """Validate one read row (messages in ``lang``); never raises."""
    number, values, found = raw
    if values is None:
        key, params = found if found is not None else ("json_not_object", {})
        item = {"loc": [], "msg": problem(key, lang, **params), "type": "row_invalid"}
        return PreparedRow(number, None, RowError(number, [item]), [])
    payload, ignored = normalize_row(values, flat)
    try:
        return PreparedRow(number, PostingCreate.model_validate(payload), None, ignored)
    except ValidationError as exc:
        return PreparedRow(number, None, RowError(number, validation_errors(exc, lang)), ignored)


def import_rows(
    postings: PostingService,
    principal: Principal,
    kind: str,
    rows: Iterable[Raw],
    progress: Callable[[ImportReport], None] | None = None,
    flat: bool = True,
    lang: str = "en",
) -> ImportReport:
    """Validate and store ``rows`` in batches of :data:`BATCH`; every stored batch is
    indexed before the next. ``progress(report)`` runs after each batch (it may raise to
    stop the import there: what was stored stays stored)."""
    report = ImportReport(kind=kind)
    ignored: dict[str, None] = {}
    batch: list[tuple[int, PostingCreate]] = []

    def flush() -> None:
        if batch:
            _store(postings, principal, kind, batch, report, lang)
            batch.clear()
        report.failed = len(report.errors)
        if progress is not None:
            progress(report)

    for raw in rows:
        report.rows += 1
        row = prepare_row(raw, flat, lang)
        for column in row.ignored[: max(0, MAX_IGNORED_COLUMNS - len(ignored))]:
            ignored[safe_text(column, 100)] = None
        if row.error is not None:
            report.errors.append(row.error)
        elif row.data is not None:
            batch.append((row.number, row.data))
        if len(batch) >= BATCH:
            flush()
    flush()
    report.errors.sort(key=lambda e: e.row)
    report.ignored_columns = list(ignored)
    return report


def _store(
    postings: PostingService,
    principal: Principal,
    kind: str,
    batch: list[tuple[int, PostingCreate]],
    report: ImportReport,
    lang: str,
) -> None:
    stored: list[int] = []
    with postings.database.session(write=True) as session:
        for number, data in batch:
            key = None if data.external_id else import_key(kind, data)
            for attempt in (1, 2):
                try:
                    with session.begin_nested():
                        row, created = postings.upsert_external(
                            session, principal, kind, data, import_key=key
                        )
                except ServiceError as exc:
                    report.errors.append(RowError(number, exc.detail(lang)))
                except IntegrityError as exc:
                    if attempt == 1:
                        continue  # a concurrent import stored the same row: look it up again
                    report.errors.append(_db_error(number, exc, lang))
                except SQLAlchemyError as exc:
                    report.errors.append(_db_error(number, exc, lang))
                else:
                    stored.append(row.id)
                    report.ids.append(row.id)
                    if created:
                        report.created += 1
                    else:
                        report.updated += 1
                break
        session.commit()
    postings.matcher.sync(stored)


def _db_error(number: int, exc: Exception, lang: str) -> RowError:
    msg = problem("db_error", lang, detail=type(exc).__name__)
    return RowError(number, [{"loc": [], "msg": msg, "type": "db_error"}])
