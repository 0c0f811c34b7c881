"""``techmatch demo``: the service on SQLite with the bilingual demo data set."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Annotated

import typer

from service.commands.common import ModelOption, load_model_or_exit, make_settings, open_database

KEYS_FILE = "demo-keys.json"


def demo(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.")] = 8000,
    data_dir: Annotated[
        Path, typer.Option("--data-dir", help="Where the demo database and index live.")
    ] = Path("./techmatch-demo"),
    model: ModelOption = None,
    load_only: Annotated[
        bool, typer.Option("--load-only", help="Load the data and print the keys, don't serve.")
    ] = False,
) -> None:
    """Serve the bilingual demo data set on SQLite; prints the URLs and a moderator key.

    Loading again updates the demo postings instead of duplicating them.
    """
    from service.seed import DemoDataError, load_demo

    settings = make_settings(data_dir=data_dir, model=model)
    settings.database_url = None  # the demo always runs on SQLite
    model_instance = load_model_or_exit(settings) if not load_only else None
    with open_database(settings) as database:
        try:
            seeded = load_demo(database)
        except DemoDataError as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(2) from exc
        keys = _demo_keys(database, settings.data_dir)
    base = f"http://{host}:{port}"
    typer.echo(
        f"techmatch demo: {seeded.total('need')} needs, {seeded.total('offer')} offers "
        f"(SQLite in {settings.data_dir}, model {settings.model})"
    )
    typer.echo(f"  API docs   {base}/docs")
    typer.echo(f"  health     {base}/health")
    typer.echo(f"  needs      {base}/api/v1/needs")
    typer.echo(f"  offers     {base}/api/v1/offers")
    typer.echo(f"  pairs      {base}/api/v1/pairs   (moderators)")
    typer.echo(f"  company key   ({keys['company']['org']}): {keys['company']['key']}")
    typer.echo(f"  institute key ({keys['institute']['org']}): {keys['institute']['key']}")
    typer.echo(
        f"  try: curl -H 'Authorization: Bearer {keys['moderator']['key']}' "
        f"'{base}/api/v1/pairs?limit=5'"
    )
    typer.echo(f"moderator key: {keys['moderator']['key']}")
    if load_only:
        return
    import uvicorn

    from service.main import create_app

    uvicorn.run(create_app(settings, model=model_instance), host=host, port=port, log_level="info")


def _demo_keys(database: object, data_dir: Path) -> dict[str, dict[str, str]]:
    """The demo keys, kept in ``data_dir/demo-keys.json`` and recreated when revoked."""
    from sqlalchemy import select

    from service.auth.keys import create_key, hash_key
    from service.auth.roles import Role
    from service.db.engine import Database
    from service.db.models import ApiKeyRow, PostingRow

    assert isinstance(database, Database)
    path = data_dir / KEYS_FILE
    stored: dict[str, dict[str, str]] = {}
    if path.exists():
        try:
            stored = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError):
            stored = {}
    with database.session(write=True) as session:
        orgs = {
            "moderator": "techmatch demo",
            "company": session.scalar(
                select(PostingRow.owner_org)
                .where(PostingRow.kind == "need")
                .order_by(PostingRow.id)
            )
            or "Demo Company",
            "institute": session.scalar(
                select(PostingRow.owner_org)
                .where(PostingRow.kind == "offer")
                .order_by(PostingRow.id)
            )
            or "Demo Institute",
        }
        keys: dict[str, dict[str, str]] = {}
        for role, org in orgs.items():
            old = stored.get(role, {})
            row = None
            if old.get("key"):
                row = session.scalar(
                    select(ApiKeyRow).where(ApiKeyRow.key_hash == hash_key(old["key"]))
                )
            if row is not None and row.revoked_at is None and row.organization == org:
                keys[role] = old
                continue
            new = create_key(session, Role(role), org, name="demo")
            keys[role] = {"key": new.secret, "org": org}
    path.write_text(json.dumps(keys, ensure_ascii=False, indent=2), encoding="utf-8")
    os.chmod(path, 0o600)
    return keys
