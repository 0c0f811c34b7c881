"""``techmatch serve``: run the HTTP service with uvicorn."""

from __future__ import annotations

from typing import Annotated

import typer

from service.commands.common import (
    DatabaseOption,
    DataDirOption,
    ModelOption,
    load_model_or_exit,
    make_settings,
)


def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.")] = 8000,
    data_dir: DataDirOption = None,
    database_url: DatabaseOption = None,
    model: ModelOption = None,
    log_level: Annotated[str, typer.Option(help="uvicorn log level.")] = "info",
) -> None:
    """Serve the API (docs at /docs). Run one process: the match index lives in memory."""
    import uvicorn

    from service.main import create_app

    settings = make_settings(data_dir=data_dir, database_url=database_url, model=model)
    model_instance = load_model_or_exit(settings)
    uvicorn.run(
        create_app(settings, model=model_instance), host=host, port=port, log_level=log_level
    )
