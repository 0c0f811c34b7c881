"""Helpers shared by the commands: settings with command-line overrides, an open database."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer

from service.core.config import Settings
from service.db.engine import Database
from service.db.migrate import upgrade

DataDirOption = Annotated[
    Path | None, typer.Option("--data-dir", help="Data directory (env TECHMATCH_DATA_DIR).")
]
DatabaseOption = Annotated[
    str | None,
    typer.Option("--database-url", help="SQLAlchemy URL (env TECHMATCH_DATABASE_URL)."),
]
ModelOption = Annotated[
    str | None, typer.Option("--model", help="Embedding model (env TECHMATCH_MODEL).")
]


def make_settings(**overrides: Any) -> Settings:
    """Settings from the environment, with the options that were given on top."""
    return Settings(**{k: v for k, v in overrides.items() if v is not None})


def where(settings: Settings) -> str:
    """Which database and data folder a command uses, in one line (password hidden)."""
    from sqlalchemy.engine import make_url

    url = make_url(settings.sqlalchemy_url).render_as_string(hide_password=True)
    return f"techmatch: database {url} (data folder {settings.data_dir})"


@contextmanager
def open_database(settings: Settings, announce: bool = True) -> Iterator[Database]:
    """The migrated database of ``settings``, disposed of afterwards; ``announce`` says on
    stderr which database and data folder it is (see :func:`where`)."""
    if announce:
        typer.echo(where(settings), err=True)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    database = Database(settings.sqlalchemy_url)
    try:
        upgrade(database)
        yield database
    finally:
        database.dispose()


def load_model_or_exit(settings: Settings) -> Any:
    """Load the configured embedding model, or print how to provide one and exit with 2."""
    from models import ModelNotFoundError, load_model

    try:
        return load_model(settings.model, settings.model_cache_dir, settings.model_backend)
    except (ModelNotFoundError, ValueError) as exc:  # ValueError: an unknown backend
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
