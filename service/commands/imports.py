"""``techmatch import FILE --kind need|offer``: load a booth list (CSV, XLSX, JSONL)."""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from service.commands.common import (
    DatabaseOption,
    DataDirOption,
    ModelOption,
    make_settings,
    open_database,
)

MAX_SHOWN = 30


class KindChoice(StrEnum):
    """Kind of postings in the file."""

    need = "need"
    offer = "offer"


def import_file(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="CSV, XLSX or JSONL.")],
    kind: Annotated[KindChoice, typer.Option(help="What the rows are.")],
    org: Annotated[
        str, typer.Option("--org", help="Owner of rows without an organization column.")
    ] = "techmatch",
    fmt: Annotated[
        str | None, typer.Option("--format", help="csv, xlsx or jsonl (default: from the name).")
    ] = None,
    report: Annotated[
        Path | None, typer.Option(help="Write the full JSON report (every row error) here.")
    ] = None,
    url: Annotated[
        str | None,
        typer.Option(
            help="Send the file to a running server instead, e.g. "
            "http://127.0.0.1:8000 (needs --key)."
        ),
    ] = None,
    key: Annotated[
        str | None, typer.Option(help="API key for --url.", envvar="TECHMATCH_KEY")
    ] = None,
    data_dir: DataDirOption = None,
    database_url: DatabaseOption = None,
    model: ModelOption = None,
) -> None:
    """Import a booth list (CSV, XLSX, JSONL) with a per-row error report.

    Bad rows are reported and skipped, good ones stored; the exit code is 1 when a row
    failed. Without --url it writes to the database and the saved index directly (stop the
    server first, or it sees the rows only after its next start).
    """
    from service.importing import guess_format

    fmt = fmt or guess_format(file.name)
    if fmt not in ("csv", "xlsx", "jsonl"):
        raise typer.BadParameter(
            "cannot tell the format; pass --format csv|xlsx|jsonl", param_hint="--format"
        )
    if url:
        result = _via_http(file, kind.value, fmt, url, key)
    else:
        settings = make_settings(data_dir=data_dir, database_url=database_url, model=model)
        result = _direct(file, kind.value, fmt, org, settings)
    _print(result, report)
    if result["failed"]:
        raise typer.Exit(1)


def _direct(file: Path, kind: str, fmt: str, org: str, settings: Any) -> dict[str, Any]:
    from tqdm import tqdm

    from service.auth.roles import Principal, Role
    from service.errors import ServiceError
    from service.importing import import_rows, read_rows
    from service.matching import Matcher
    from service.postings import PostingService

    principal = Principal(role=Role.admin, organization=org)
    with open_database(settings) as database:
        matcher = Matcher(
            database, settings.model, settings.index_dir, settings.model_cache_dir, save_delay=-1
        )
        matcher.start()
        try:
            try:
                rows = list(read_rows(file.read_bytes(), fmt))
            except ServiceError as exc:
                typer.echo(f"error: {exc.msg}", err=True)
                raise typer.Exit(2) from exc
            with tqdm(total=len(rows), unit="row", desc=f"import {kind}s") as bar:
                result = import_rows(
                    PostingService(database, matcher),
                    principal,
                    kind,
                    iter(rows),
                    progress=bar.update,
                    flat=fmt != "jsonl",
                )
        finally:
            matcher.close()
    return result.to_dict()


def _via_http(file: Path, kind: str, fmt: str, url: str, key: str | None) -> dict[str, Any]:
    import httpx

    if not key:
        raise typer.BadParameter("--url needs --key (or TECHMATCH_KEY)", param_hint="--key")
    endpoint = f"{url.rstrip('/')}/api/v1/{kind}s/import"
    with file.open("rb") as fh:
        response = httpx.post(
            endpoint,
            params={"format": fmt},
            files={"file": (file.name, fh)},
            headers={"Authorization": f"Bearer {key}"},
            timeout=600,
        )
    body = (
        response.json()
        if response.headers.get("content-type", "").startswith("application/json")
        else {}
    )
    if response.status_code != 200:
        typer.echo(
            f"error: HTTP {response.status_code}: {json.dumps(body, ensure_ascii=False)}", err=True
        )
        raise typer.Exit(2)
    result: dict[str, Any] = body
    return result


def _print(result: dict[str, Any], report: Path | None) -> None:
    typer.echo(
        f"{result['rows']} rows: {result['created']} created, {result['updated']} updated, "
        f"{result['failed']} failed"
    )
    if result.get("ignored_columns"):
        typer.echo(f"ignored columns: {', '.join(result['ignored_columns'])}")
    for item in result["errors"][:MAX_SHOWN]:
        problems = "; ".join(
            f"{'.'.join(map(str, e['loc'])) or 'row'}: {e['msg']}" for e in item["errors"]
        )
        typer.echo(f"  row {item['row']}: {problems}")
    if len(result["errors"]) > MAX_SHOWN:
        typer.echo(f"  … {len(result['errors']) - MAX_SHOWN} more (see --report)")
    if report is not None:
        report.write_text(json.dumps(result, ensure_ascii=False, indent=2), encoding="utf-8")
        typer.echo(f"report written to {report}")
