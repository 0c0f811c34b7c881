"""Booth-list imports over the API.

``POST /needs/import`` and ``POST /offers/import`` take CSV, XLSX or JSONL. A file of at
most ``TECHMATCH_IMPORT_SYNC_ROWS`` rows is imported at once (200 with the report);
a larger one, or any with ``?async=true``, becomes a job (202 with the job and its
``Location``) that ``GET /imports/{job_id}`` follows. Row error messages are in
Vietnamese with ``?lang=vi`` or ``Accept-Language: vi``.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, File, Header, Path, Query, Request, UploadFile
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from service.api.deps import PostingsDep, PrincipalDep, SettingsDep
from service.api.errors import METHOD_NOT_ALLOWED_ROUTE
from service.auth.roles import can_create
from service.db.models import ImportJobRow
from service.errors import Forbidden, ServiceError
from service.importing import ImportFileError, ImportLimits, guess_format, import_rows, read_file
from service.importing.jobs import ImportJobs
from service.importing.messages import request_language
from service.importing.report_csv import errors_csv
from service.schemas.common import ERROR_RESPONSES, ErrorResponse
from service.schemas.imports import ImportJobOut, ImportJobPage, ImportReportOut

API_PREFIX = "/api/v1"

IMPORT_RESPONSES: dict[int | str, dict[str, Any]] = {
    **ERROR_RESPONSES,
    202: {"model": ImportJobOut, "description": "Started as a job; follow its `status_url`."},
    409: {
        "model": ErrorResponse,
        "description": "Too many imports of this organization queued or running",
    },
    413: {
        "model": ErrorResponse,
        "description": "Upload, rows (`too_many_rows`) or unpacked XLSX (`xlsx_too_large`) "
        "over the limit",
    },
    503: {"model": ErrorResponse, "description": "Too many imports waiting on the server"},
}


def get_import_jobs(request: Request) -> ImportJobs:
    """The app's import job runner."""
    jobs: ImportJobs = request.app.state.import_jobs
    return jobs


ImportJobsDep = Annotated[ImportJobs, Depends(get_import_jobs)]
LangQuery = Annotated[
    Literal["vi", "en"] | None,
    Query(description="Language of row error messages; default from Accept-Language, else en."),
]
AcceptLanguage = Annotated[str | None, Header(include_in_schema=False)]


def job_out(job: ImportJobRow, status_url: str, with_report: bool = True) -> dict[str, Any]:
    """The API view of a job."""
    total = job.rows_total
    progress = 1.0 if job.state == "done" else (job.rows_done / total if total else 0.0)
    return {
        "id": job.id,
        "kind": job.kind,
        "state": job.state,
        "format": job.format,
        "filename": job.filename,
        "encoding": job.encoding,
        "lang": job.lang,
        "organization": job.organization,
        "rows_total": total,
        "rows_done": job.rows_done,
        "created": job.created,
        "updated": job.updated,
        "failed": job.failed,
        "progress": round(progress, 4),
        "error": job.error,
        "report": job.report if with_report else None,
        "status_url": status_url,
        "created_at": job.created_at,
        "started_at": job.started_at,
        "finished_at": job.finished_at,
    }


def _localized(exc: ServiceError, lang: str) -> ServiceError:
    if lang == "vi" and exc.msg_vi:
        exc.msg = exc.msg_vi
    return exc


def imports_router(kind: str, max_bytes: int) -> APIRouter:
    """The import route for ``kind``; uploads over ``max_bytes`` get 413 (see
    :class:`service.api.limits.BodyLimitMiddleware`, which enforces it)."""
    router = APIRouter(prefix=f"/{kind}s", tags=["imports"], responses=IMPORT_RESPONSES)

    @router.api_route(
        "/import",
        methods=["GET", "PUT", "PATCH", "DELETE", "OPTIONS"],
        include_in_schema=False,
        name=f"{METHOD_NOT_ALLOWED_ROUTE}_import_{kind}s",
    )
    def import_wrong_method() -> None:
        """Only POST uploads a file here (405, not the posting routes' 415 or 422)."""
        raise StarletteHTTPException(405)

    @router.post(
        "/import",
        response_model=ImportReportOut,
        name=f"import_{kind}s",
        summary=f"Import {kind}s from a booth list",
    )
    def import_file(
        principal: PrincipalDep,
        postings: PostingsDep,
        settings: SettingsDep,
        jobs: ImportJobsDep,
        file: Annotated[
            UploadFile,
            File(description="CSV (UTF-8, UTF-16, Windows-1258/1252), XLSX or JSONL, ≤ 10 MiB."),
        ],
        format: Annotated[  # noqa: A002 - the query parameter's name
            Literal["csv", "xlsx", "jsonl"] | None,
            Query(description="File format; guessed from the file name when absent."),
        ] = None,
        run_async: Annotated[
            bool,
            Query(
                alias="async",
                description="Run as a job (202) whatever the size; larger files always do.",
            ),
        ] = False,
        lang: LangQuery = None,
        accept_language: AcceptLanguage = None,
    ) -> Any:
        """Store every valid row (each indexed before the answer, or before the job is
        done) and report, per bad row, the row number and the fields at fault. Rows with
        a known `external_id` update that posting; rows without one update the posting
        the same organization imported from the same content. A company or institute
        imports for its own organization only (a row naming another is a row error)."""
        language = request_language(lang, accept_language)
        if not can_create(principal, kind):
            raise Forbidden(f"a {principal.role.value} key may not create {kind}s")
        fmt = format or guess_format(file.filename)
        if fmt is None:
            raise _localized(
                ImportFileError(
                    "cannot tell the file format from its name; pass ?format=csv|xlsx|jsonl",
                    ("query", "format"),
                    msg_vi="Không biết định dạng tệp từ tên tệp; hãy thêm ?format=csv|xlsx|jsonl.",
                ),
                language,
            )
        limits = ImportLimits.from_settings(settings)
        data = file.file.read()
        try:
            parsed = read_file(data, fmt, limits)  # a file that cannot be read stores nothing
        except ServiceError as exc:
            raise _localized(exc, language) from exc
        if not run_async and len(parsed.rows) <= limits.sync_rows:
            report = import_rows(
                postings, principal, kind, parsed.rows, flat=fmt != "jsonl", lang=language
            )
            report.encoding = parsed.encoding
            return report.to_dict()
        try:
            job = jobs.submit(principal, kind, parsed, file.filename, language)
        except ServiceError as exc:
            raise _localized(exc, language) from exc
        url = f"{API_PREFIX}/imports/{job.id}"
        body = ImportJobOut.model_validate(job_out(job, url)).model_dump(mode="json")
        return JSONResponse(body, status_code=202, headers={"Location": url})

    return router


router = APIRouter(prefix="/imports", tags=["imports"], responses=ERROR_RESPONSES)

JobId = Annotated[int, Path(ge=1, le=2**62, description="The job id of a 202 answer.")]


@router.get("", response_model=ImportJobPage, summary="Import jobs")
def list_jobs(
    principal: PrincipalDep,
    jobs: ImportJobsDep,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    offset: Annotated[int, Query(ge=0, le=10**9)] = 0,
) -> dict[str, Any]:
    """The caller's organization's import jobs (staff: every job), newest first, without
    their reports."""
    rows, total = jobs.search(principal, limit, offset)
    items = [job_out(r, f"{API_PREFIX}/imports/{r.id}", with_report=False) for r in rows]
    return {"items": items, "total": total, "limit": limit, "offset": offset}


@router.get("/{job_id}", response_model=ImportJobOut, summary="One import job")
def get_job(principal: PrincipalDep, jobs: ImportJobsDep, job_id: JobId) -> dict[str, Any]:
    """State and progress of a job, with the full report once it is done. Staff see every
    job; a company or institute its organization's (others: 404)."""
    return job_out(jobs.get(principal, job_id), f"{API_PREFIX}/imports/{job_id}")


@router.get(
    "/{job_id}/errors.csv",
    summary="A finished job's row errors as CSV",
    response_class=Response,
    responses={200: {"content": {"text/csv": {}}, "description": "One line per row error."}},
)
def job_errors_csv(principal: PrincipalDep, jobs: ImportJobsDep, job_id: JobId) -> Response:
    """Columns `row, field, message, type` (headers in the job's language), UTF-8 with a
    BOM for Excel; cells that look like formulas are prefixed with `'`. Empty (headers
    only) until the job is done."""
    job = jobs.get(principal, job_id)
    return Response(
        errors_csv(job.report or {}, job.lang),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="import-{job_id}-errors.csv"'},
    )
