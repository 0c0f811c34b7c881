"""``techmatch import FILE --kind need|offer``: load a booth list (CSV, XLSX, JSONL)."""

from __future__ import annotations

import json
import time
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
POLL_SECONDS = 0.5


class KindChoice(StrEnum):
    """Kind of postings in the file."""

    need = "need"
    offer = "offer"


class LangChoice(StrEnum):
    """Language of the row error messages."""

    vi = "vi"
    en = "en"


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
            "http://127.0.0.1:8000 (needs --key); the import runs there as a job."
        ),
    ] = None,
    key: Annotated[
        str | None, typer.Option(help="API key for --url.", envvar="TECHMATCH_KEY")
    ] = None,
    lang: Annotated[LangChoice, typer.Option(help="Language of row error messages.")] = (
        LangChoice.en
    ),
    data_dir: DataDirOption = None,
    database_url: DatabaseOption = None,
    model: ModelOption = None,
) -> None:
    """Import a booth list (CSV, XLSX, JSONL) with a progress bar and a per-row report.

    Bad rows are reported and skipped, good ones stored; the exit code is 1 when a row
    failed, 2 when the file was refused. Without --url it writes to the database and the
    saved index directly; a running server sees the rows at once through the database's
    change feed (and then keeps writing the index file itself). Importing the same file
    again updates its rows instead of duplicating them.
    """
    from service.importing import guess_format

    fmt = fmt or guess_format(file.name)
    if fmt not in ("csv", "xlsx", "jsonl"):
        raise typer.BadParameter(
            "cannot tell the format; pass --format csv|xlsx|jsonl", param_hint="--format"
        )
    if url:
        result = _via_http(file, kind.value, fmt, url, key, lang.value)
    else:
        settings = make_settings(data_dir=data_dir, database_url=database_url, model=model)
        result = _direct(file, kind.value, fmt, org, settings, lang.value)
    _print(result, report)
    if result["failed"]:
        raise typer.Exit(1)


def _direct(file: Path, kind: str, fmt: str, org: str, settings: Any, lang: str) -> dict[str, Any]:
    from tqdm import tqdm

    from service.auth.roles import Principal, Role
    from service.changes.writer_lock import WriterLock
    from service.errors import ServiceError
    from service.importing import ImportLimits, ImportReport, import_rows, read_file
    from service.matching import Matcher
    from service.postings import PostingService

    principal = Principal(role=Role.admin, organization=org)
    with open_database(settings) as database:
        matcher = Matcher.from_settings(database, settings, save_delay=-1)
        # A running server holds the writer lock: then it writes the index file (it sees
        # these rows through the change feed) and this import leaves the file alone.
        lock = WriterLock(database.url, settings.index_dir)
        lock.try_acquire()
        matcher.may_write_index = lambda: lock.held
        matcher.start()
        try:
            try:
                parsed = read_file(file.read_bytes(), fmt, ImportLimits.from_settings(settings))
            except ServiceError as exc:
                typer.echo(f"error: {exc.message(lang)}", err=True)
                raise typer.Exit(2) from exc
            postings = PostingService(database, matcher, settings.max_postings_per_organization)
            with tqdm(total=len(parsed.rows), unit="row", desc=f"import {kind}s") as bar:

                def progress(done: ImportReport) -> None:
                    bar.update(done.rows - bar.n)

                result = import_rows(
                    postings,
                    principal,
                    kind,
                    parsed.rows,
                    progress=progress,
                    flat=fmt != "jsonl",
                    lang=lang,
                )
            result.encoding = parsed.encoding
        finally:
            matcher.close()
            lock.release()
    return result.to_dict()


def _via_http(
    file: Path, kind: str, fmt: str, url: str, key: str | None, lang: str
) -> dict[str, Any]:
    """Upload as a job (``?async=true``) and follow it with a progress bar."""
    import httpx

    if not key:
        raise typer.BadParameter("--url needs --key (or TECHMATCH_KEY)", param_hint="--key")
    base = url.rstrip("/")
    headers = {"Authorization": f"Bearer {key}"}
    with httpx.Client(base_url=base, headers=headers, timeout=120) as client:
        with file.open("rb") as fh:
            response = client.post(
                f"/api/v1/{kind}s/import",
                params={"format": fmt, "async": "true", "lang": lang},
                files={"file": (file.name, fh)},
            )
        if response.status_code == 200:  # a server that imported at once
            result: dict[str, Any] = response.json()
            return result
        if response.status_code != 202:
            _fail(response)
        job = response.json()
        return _follow(client, job, kind)


def _follow(client: Any, job: dict[str, Any], kind: str) -> dict[str, Any]:
    """Poll the job's status URL until it is done; its report (exit 2 when it failed)."""
    from tqdm import tqdm

    with tqdm(total=job["rows_total"], unit="row", desc=f"import {kind}s (job {job['id']})") as bar:
        while True:
            bar.update(job["rows_done"] - bar.n)
            if job["state"] == "done":
                result: dict[str, Any] = job["report"]
                return result
            if job["state"] == "failed":
                bar.close()
                typer.echo(f"error: import job {job['id']} failed: {job['error']}", err=True)
                raise typer.Exit(2)
            time.sleep(POLL_SECONDS)
            response = client.get(job["status_url"])
            if response.status_code != 200:
                _fail(response)
            job = response.json()


def _fail(response: Any) -> None:
    body = (
        response.json()
        if response.headers.get("content-type", "").startswith("application/json")
        else {}
    )
    typer.echo(
        f"error: HTTP {response.status_code}: {json.dumps(body, ensure_ascii=False)}", err=True
    )
    raise typer.Exit(2)


def _print(result: dict[str, Any], report: Path | None) -> None:
    typer.echo(
        f"{result['rows']} rows: {result['created']} created, {result['updated']} updated, "
        f"{result['failed']} failed"
    )
    if result.get("encoding") and result["encoding"] not in ("utf-8", "utf-8-sig"):
        typer.echo(f"read as {result['encoding']}")
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
