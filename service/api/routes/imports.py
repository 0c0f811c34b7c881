"""``POST /needs/import`` and ``POST /offers/import``: booth lists as CSV, XLSX or JSONL."""

from typing import Annotated, Any, Literal

from fastapi import APIRouter, File, Query, UploadFile

from service.api.deps import PostingsDep, PrincipalDep
from service.auth.roles import can_create
from service.errors import Forbidden
from service.importing import ImportFileError, guess_format, import_rows, read_rows
from service.schemas.common import ERROR_RESPONSES
from service.schemas.imports import ImportReportOut


def imports_router(kind: str, max_bytes: int) -> APIRouter:
    """The import route for ``kind``; uploads over ``max_bytes`` get 413 (see
    :class:`service.api.limits.BodyLimitMiddleware`, which enforces it)."""
    router = APIRouter(prefix=f"/{kind}s", tags=["imports"], responses=ERROR_RESPONSES)

    @router.post(
        "/import",
        response_model=ImportReportOut,
        name=f"import_{kind}s",
        summary=f"Import {kind}s from a booth list",
    )
    def import_file(
        principal: PrincipalDep,
        postings: PostingsDep,
        file: Annotated[UploadFile, File(description="CSV (UTF-8), XLSX or JSONL, ≤ 10 MiB.")],
        format: Annotated[  # noqa: A002 - the query parameter's name
            Literal["csv", "xlsx", "jsonl"] | None,
            Query(description="File format; guessed from the file name when absent."),
        ] = None,
    ) -> dict[str, Any]:
        """Store every valid row (each indexed before the answer) and report, per bad row,
        the row number and the fields at fault. Rows with a known `external_id` update
        that posting. The same role rules as for single postings apply."""
        if not can_create(principal, kind):
            raise Forbidden(f"a {principal.role.value} key may not create {kind}s")
        fmt = format or guess_format(file.filename)
        if fmt is None:
            raise ImportFileError(
                "cannot tell the file format from its name; pass ?format=csv|xlsx|jsonl",
                ("query", "format"),
            )
        data = file.file.read()
        rows = list(read_rows(data, fmt))  # a file that cannot be read stores nothing
        report = import_rows(postings, principal, kind, iter(rows), flat=fmt != "jsonl")
        return report.to_dict()

    return router
