"""The booth-list import pages: upload a CSV or XLSX, follow the job, read its row errors.

``/import`` (the form and the last imports), ``POST /import`` (starts a job, then 303 to
its page), ``/imports/{id}`` (progress bar; the table of row errors once done),
``/imports/{id}/status`` (JSON for the page's script) and ``/imports/{id}/errors.csv``.
Staff import for any organization (the file's organization column); companies and
institutes for their own. Without JavaScript the job page refreshes itself until done.
Pages use the same services as the API (:mod:`service.importing`), never HTTP.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from starlette.datastructures import UploadFile

from service.auth.roles import Principal, can_create
from service.core.config import MIB, Settings
from service.db.models import ImportJobRow
from service.errors import ServiceError
from service.importing import ImportLimits, guess_format, read_file
from service.importing.jobs import ImportJobs
from service.importing.report_csv import errors_csv
from service.postings import KINDS
from service.web.i18n import translate
from service.web.pages import WebError, finish, language, redirect, render, require_principal
from service.web.session import CSRF_FIELD, get_session

router = APIRouter(include_in_schema=False)

#: Row errors shown in the page's table (all of them are in the CSV).
SHOWN_ERRORS = 500
#: Recent jobs listed under the form.
RECENT_JOBS = 10
FINISHED = ("done", "failed")
_FIELD_KEYS = {
    "title": "form.title",
    "description": "form.description",
    "sector": "form.sector",
    "keywords": "form.keywords",
    "trl": "form.trl",
    "ip_status": "form.ip_status",
    "transfer_modes": "form.transfer_modes",
    "province": "form.province",
    "organization": "form.organization",
    "status": "form.status",
    "expires_on": "form.expires_on",
    "language": "posting.language",
    "external_id": "import.external_id",
}


def _jobs(request: Request) -> ImportJobs:
    jobs: ImportJobs = request.app.state.import_jobs
    return jobs


def _kinds(principal: Principal) -> list[str]:
    return [kind for kind in KINDS if can_create(principal, kind)]


def _limits_context(settings: Settings) -> dict[str, Any]:
    return {
        "max_rows": settings.max_import_rows,
        "max_mib": max(1, settings.max_import_bytes // MIB),
        "max_bytes": settings.max_import_bytes,
    }


def _form_page(
    request: Request,
    principal: Principal,
    error: str | None = None,
    kind: str | None = None,
    status: int = 200,
) -> Response:
    kinds = _kinds(principal)
    recent, _ = _jobs(request).search(principal, RECENT_JOBS)
    context = {
        "kinds": kinds,
        "kind": kind if kind in kinds else (kinds[0] if kinds else None),
        "recent": recent,
        "error": error,
        **_limits_context(request.app.state.settings),
    }
    return render(request, "imports_new.html", context, status)


@router.get("/import")
def import_form(request: Request) -> Response:
    """The upload form and this organization's (staff: everyone's) latest imports."""
    principal = require_principal(request)
    return _form_page(request, principal)


@router.post("/import")
async def start_import(request: Request) -> Response:
    """Read the uploaded file, start its import job and go to the job's page; a file that
    cannot be read (format, encoding, limits) shows the form again with the reason."""
    principal = require_principal(request)
    form = await request.form(max_files=1, max_fields=20)
    if not get_session(request).check_csrf(form.get(CSRF_FIELD)):
        raise WebError(403, "error.csrf")
    lang = language(request)
    kind = str(form.get("kind") or "")
    if kind not in _kinds(principal):
        raise WebError(403, "error.403")
    upload = form.get("file")
    if not isinstance(upload, UploadFile) or not upload.filename:
        return _form_page(request, principal, translate("import.no_file", lang), kind, 422)
    fmt = guess_format(upload.filename)
    if fmt is None:
        return _form_page(request, principal, translate("import.bad_format", lang), kind, 422)
    data = await upload.read()
    settings: Settings = request.app.state.settings
    try:
        parsed = await run_in_threadpool(read_file, data, fmt, ImportLimits.from_settings(settings))
        job = await run_in_threadpool(
            _jobs(request).submit, principal, kind, parsed, upload.filename, lang
        )
    except ServiceError as exc:
        return _form_page(request, principal, exc.message(lang), kind, exc.status_code)
    return redirect(request, f"/imports/{job.id}")


def _job(request: Request, principal: Principal, job_id: int) -> ImportJobRow:
    try:
        return _jobs(request).get(principal, job_id)
    except ServiceError as exc:
        raise WebError(404, "error.404") from exc


def _field_label(loc: list[Any], lang: str) -> str:
    if not loc:
        return translate("import.whole_row", lang)
    first = str(loc[0])
    if first == "contact" and len(loc) > 1:
        return translate(f"form.contact_{loc[1]}", lang)
    key = _FIELD_KEYS.get(first)
    return translate(key, lang) if key else ".".join(str(p) for p in loc)


def _error_rows(job: ImportJobRow, lang: str) -> tuple[list[dict[str, Any]], int]:
    """The first :data:`SHOWN_ERRORS` row errors for the table, and how many there are."""
    rows: list[dict[str, Any]] = []
    total = 0
    for item in (job.report or {}).get("errors", []):
        for error in item.get("errors", []):
            total += 1
            if len(rows) < SHOWN_ERRORS:
                rows.append(
                    {
                        "row": item.get("row"),
                        "field": _field_label(list(error.get("loc", [])), lang),
                        "msg": error.get("msg", ""),
                    }
                )
    return rows, total


@router.get("/imports/{job_id:int}")
def job_page(request: Request, job_id: int) -> Response:
    """A job's progress; once it is done, its counts and the table of row errors."""
    principal = require_principal(request)
    job = _job(request, principal, job_id)
    lang = language(request)
    rows, total = _error_rows(job, lang)
    context = {
        "job": job,
        "finished": job.state in FINISHED,
        "error_rows": rows,
        "error_total": total,
        "ignored": (job.report or {}).get("ignored_columns", []),
        "progress_max": max(job.rows_total, 1),
        "progress_value": job.rows_total if job.state == "done" else job.rows_done,
    }
    return render(request, "imports_job.html", context)


@router.get("/imports/{job_id:int}/status")
def job_status(request: Request, job_id: int) -> Response:
    """The job's state and counts as JSON (what the job page polls)."""
    principal = require_principal(request)
    job = _job(request, principal, job_id)
    lang = language(request)
    body = {
        "id": job.id,
        "state": job.state,
        "state_label": translate(f"import.state.{job.state}", lang),
        "rows_total": job.rows_total,
        "rows_done": job.rows_total if job.state == "done" else job.rows_done,
        "created": job.created,
        "updated": job.updated,
        "failed": job.failed,
    }
    return finish(request, JSONResponse(body))


@router.get("/imports/{job_id:int}/errors.csv")
def job_errors(request: Request, job_id: int) -> Response:
    """The job's row errors as CSV for Excel (headers in the job's language)."""
    principal = require_principal(request)
    job = _job(request, principal, job_id)
    response = Response(
        errors_csv(job.report or {}, job.lang),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="import-{job_id}-errors.csv"'},
    )
    return finish(request, response)
