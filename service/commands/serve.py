"""``techmatch serve``: run the HTTP service with uvicorn, as one process or as several
workers behind one port (PostgreSQL only: they keep in step through the change feed)."""

from __future__ import annotations

import os
import time
from typing import Annotated

import typer

from service.commands.common import (
    DatabaseOption,
    DataDirOption,
    ModelOption,
    load_model_or_exit,
    make_settings,
)
from service.db.engine import is_sqlite

SQLITE_ONE_WORKER = (
    "techmatch: SQLite chạy một worker: chỉ một tiến trình được ghi tệp SQLite cùng lúc, "
    "nên --workers cần PostgreSQL (TECHMATCH_DATABASE_URL).\n"
    "techmatch: SQLite runs one worker: one process at a time may write an SQLite file, "
    "so --workers needs PostgreSQL (TECHMATCH_DATABASE_URL)."
)
PGVECTOR_ONE_WORKER = (
    "techmatch: với TECHMATCH_ENGINE__ANN=pgvector dịch vụ chạy một worker: mỗi worker "
    "dựng lại bảng vector khi hiệu chỉnh lại, hai worker sẽ ghi đè nhau (docs/scaling.md).\n"
    "techmatch: with TECHMATCH_ENGINE__ANN=pgvector the service runs one worker: every worker "
    "rebuilds the vector table when it refits, so two would overwrite each other (docs/scaling.md)."
)


def loaded_line(model: object, seconds: float) -> str:
    """The start-up line saying which model and backend loaded, and in how long."""
    name = getattr(model, "name", "?")
    backend = getattr(model, "backend", None) or "default"
    return f"techmatch: model {name} ({backend}) loaded in {seconds:.2f} s"


def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.")] = 8000,
    data_dir: DataDirOption = None,
    database_url: DatabaseOption = None,
    model: ModelOption = None,
    workers: Annotated[
        int,
        typer.Option(min=1, help="Worker processes behind the port (PostgreSQL; SQLite runs one)."),
    ] = 1,
    log_level: Annotated[str, typer.Option(help="uvicorn log level.")] = "info",
) -> None:
    """Serve the API (docs at /docs). With --workers N over PostgreSQL, N processes share
    the port; each holds its own index, kept in step by the database's change feed."""
    import uvicorn

    settings = make_settings(data_dir=data_dir, database_url=database_url, model=model)
    if workers > 1 and is_sqlite(settings.sqlalchemy_url):
        typer.echo(SQLITE_ONE_WORKER, err=True)
        workers = 1
    if workers > 1 and settings.engine.ann == "pgvector":
        typer.echo(PGVECTOR_ONE_WORKER, err=True)
        workers = 1
    if workers == 1:
        from service.main import create_app

        started = time.perf_counter()
        model_instance = load_model_or_exit(settings)
        typer.echo(loaded_line(model_instance, time.perf_counter() - started), err=True)
        uvicorn.run(
            create_app(settings, model=model_instance), host=host, port=port, log_level=log_level
        )
        return
    # Each worker process builds its app from the environment: hand the options over,
    # and the worker count (each takes cores // workers native threads, Settings.workers).
    os.environ["TECHMATCH_WORKERS"] = str(workers)
    for name, value in (("DATA_DIR", data_dir), ("DATABASE_URL", database_url), ("MODEL", model)):
        if value is not None:
            os.environ[f"TECHMATCH_{name}"] = str(value)
    load_model_or_exit(settings)  # a missing model fails here, not in every worker
    uvicorn.run(
        "service.main:create_app",
        factory=True,
        workers=workers,
        # uvicorn restarts a worker that does not answer its supervisor's ping in time;
        # on busy cores (embedding a bulk import) 5 s is too short.
        timeout_worker_healthcheck=30,
        host=host,
        port=port,
        log_level=log_level,
    )
