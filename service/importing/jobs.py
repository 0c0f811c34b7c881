"""Imports run in the background: one worker thread, each job's state in the database.

A job is ``queued``, then ``running`` (``rows_done`` of ``rows_total`` after each batch),
then ``done`` (with the full report) or ``failed`` (with a message). The rows of a queued
job live in memory only: a job the server stops before it is done — a shutdown, a crash,
a SIGKILL — is marked ``failed`` with a message saying how far it got, at shutdown or at
the next start. Importing the file again is safe: rows already stored are updated, not
duplicated (see :mod:`service.importing.rows`).
"""

from __future__ import annotations

import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

from sqlalchemy import delete, func, select, update

from service.auth.roles import Principal
from service.db.engine import Database
from service.db.models import ImportJobRow
from service.db.types import utcnow
from service.errors import NotFound
from service.importing.errors import ImportBusy, ImportQueueFull
from service.importing.readers import ParsedFile
from service.importing.rows import ImportReport, import_rows
from service.postings import PostingService

log = logging.getLogger(__name__)

UNFINISHED = ("queued", "running")
#: Imports of one organization that may wait or run at once (409 above).
MAX_PENDING_PER_ORGANIZATION = 2
#: Imports waiting or running in all (their rows are held in memory; 503 above).
MAX_PENDING = 20
#: Finished jobs older than this are deleted at start.
RETENTION = timedelta(days=30)

_MESSAGES = {
    "stopped": (
        "Máy chủ đã dừng khi đang nhập (đã xử lý {done}/{total} dòng). Hãy nhập lại tệp: "
        "các dòng đã lưu sẽ được cập nhật, không bị nhân đôi.",
        "The server stopped while this import was running ({done} of {total} rows done). "
        "Import the file again: rows already stored are updated, not duplicated.",
    ),
    "crashed": (
        "Lần nhập bị lỗi sau {done}/{total} dòng ({error}). Hãy nhập lại tệp: các dòng đã "
        "lưu sẽ được cập nhật, không bị nhân đôi.",
        "The import failed after {done} of {total} rows ({error}). Import the file again: "
        "rows already stored are updated, not duplicated.",
    ),
}


def job_message(key: str, lang: str, **values: object) -> str:
    """A job failure message in ``lang``."""
    vi, en = _MESSAGES[key]
    return (vi if lang == "vi" else en).format(**values)


class ImportStopped(Exception):
    """Raised between batches when the server shuts down."""


class ImportJobs:
    """Queues imports, runs them one at a time and records their state and report."""

    def __init__(self, database: Database, postings: PostingService) -> None:
        self.database = database
        self.postings = postings
        self._stopping = threading.Event()
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="techmatch-import")

    # -- lifecycle -------------------------------------------------------------------

    def recover(self) -> int:
        """Mark the jobs a previous process left unfinished as failed (they cannot go on:
        their rows were in that process's memory) and delete old finished jobs. Returns
        how many were marked."""
        with self.database.session(write=True) as session:
            stale = list(
                session.scalars(select(ImportJobRow).where(ImportJobRow.state.in_(UNFINISHED)))
            )
            for job in stale:
                self._fail(job, "stopped")
            session.execute(
                delete(ImportJobRow).where(
                    ImportJobRow.state.not_in(UNFINISHED),
                    ImportJobRow.finished_at < utcnow() - RETENTION,
                )
            )
            session.commit()
        if stale:
            log.warning("marked %d interrupted import job(s) as failed", len(stale))
        return len(stale)

    def close(self) -> None:
        """Stop at the running job's next batch, drop queued ones, mark both failed."""
        self._stopping.set()
        self._executor.shutdown(wait=True, cancel_futures=True)
        self.recover()

    # -- use cases -------------------------------------------------------------------

    def submit(
        self,
        principal: Principal,
        kind: str,
        parsed: ParsedFile,
        filename: str | None,
        lang: str,
    ) -> ImportJobRow:
        """Record a queued job for ``parsed``'s rows and start it when the worker is free.
        Raises :class:`ImportBusy` (409) when the organization has too many pending, and
        :class:`ImportQueueFull` (503) when the server has."""
        now = utcnow()
        with self.database.session(write=True) as session:
            unfinished = select(func.count()).select_from(ImportJobRow)
            unfinished = unfinished.where(ImportJobRow.state.in_(UNFINISHED))
            total = session.scalar(unfinished) or 0
            if total >= MAX_PENDING:
                raise ImportQueueFull(total)
            pending = session.scalar(
                unfinished.where(ImportJobRow.organization == principal.organization)
            )
            if (pending or 0) >= MAX_PENDING_PER_ORGANIZATION:
                raise ImportBusy(principal.organization, pending or 0)
            job = ImportJobRow(
                kind=kind,
                state="queued",
                format=parsed.format,
                filename=(filename or "")[:255] or None,
                encoding=parsed.encoding,
                lang=lang,
                organization=principal.organization,
                role=principal.role.value,
                key_id=principal.key_id,
                rows_total=len(parsed.rows),
                rows_done=0,
                created=0,
                updated=0,
                failed=0,
                created_at=now,
                updated_at=now,
            )
            session.add(job)
            session.commit()
        try:
            self._executor.submit(self._run, job.id, principal, kind, parsed, lang)
        except RuntimeError:  # the server is shutting down
            with self.database.session(write=True) as session:
                stopped = session.get(ImportJobRow, job.id)
                if stopped is not None:
                    self._fail(stopped, "stopped")
                    session.commit()
                    job = stopped
        return job

    def get(self, principal: Principal, job_id: int) -> ImportJobRow:
        """A job the caller may see: staff every job, others their organization's (404)."""
        with self.database.session() as session:
            job = session.get(ImportJobRow, job_id)
        if job is None or not (principal.is_staff or principal.owns(job.organization)):
            raise NotFound(
                f"import job {job_id} not found",
                ("path", "job_id"),
                msg_vi=f"Không tìm thấy lần nhập {job_id}.",
            )
        return job

    def search(
        self, principal: Principal, limit: int = 20, offset: int = 0
    ) -> tuple[list[ImportJobRow], int]:
        """The caller's jobs (staff: all), newest first, and how many there are."""
        where = [] if principal.is_staff else [ImportJobRow.organization == principal.organization]
        with self.database.session() as session:
            total = session.scalar(select(func.count()).select_from(ImportJobRow).where(*where))
            rows = list(
                session.scalars(
                    select(ImportJobRow)
                    .where(*where)
                    .order_by(ImportJobRow.id.desc())
                    .limit(limit)
                    .offset(offset)
                )
            )
        return rows, total or 0

    # -- the worker ------------------------------------------------------------------

    def _run(
        self, job_id: int, principal: Principal, kind: str, parsed: ParsedFile, lang: str
    ) -> None:
        if self._stopping.is_set():
            return  # close() marks it failed
        self._set(job_id, state="running", started_at=utcnow())

        def progress(report: ImportReport) -> None:
            self._set(
                job_id,
                rows_done=report.rows,
                created=report.created,
                updated=report.updated,
                failed=report.failed,
            )
            if self._stopping.is_set():
                raise ImportStopped()

        try:
            report = import_rows(
                self.postings,
                principal,
                kind,
                parsed.rows,
                progress=progress,
                flat=parsed.format != "jsonl",
                lang=lang,
            )
        except ImportStopped:
            return  # close() marks it failed with the rows done so far
        except Exception as exc:  # a job must end with a state, whatever happened
            log.exception("import job %s failed", job_id)
            with self.database.session(write=True) as session:
                job = session.get(ImportJobRow, job_id)
                if job is not None:
                    self._fail(job, "crashed", error=type(exc).__name__)
                    session.commit()
            return
        report.encoding = parsed.encoding
        self._set(
            job_id,
            state="done",
            rows_done=report.rows,
            created=report.created,
            updated=report.updated,
            failed=report.failed,
            report=report.to_dict(),
            finished_at=utcnow(),
        )

    def _set(self, job_id: int, **values: Any) -> None:
        with self.database.session(write=True) as session:
            session.execute(
                update(ImportJobRow)
                .where(ImportJobRow.id == job_id, ImportJobRow.state.in_(UNFINISHED))
                .values(updated_at=utcnow(), **values)
            )
            session.commit()

    @staticmethod
    def _fail(job: ImportJobRow, key: str, **values: object) -> None:
        job.state = "failed"
        job.error = job_message(key, job.lang, done=job.rows_done, total=job.rows_total, **values)
        job.finished_at = utcnow()
        job.updated_at = job.finished_at
