"""``techmatch demo``: the service on SQLite with the bilingual demo data set."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Annotated, Any

import typer

from service.commands.common import ModelOption, load_model_or_exit, make_settings, open_database

KEYS_FILE = "demo-keys.json"
#: The demo's own data folder: the demo never writes into the default ``./techmatch-data``.
DEMO_DIR = Path("./techmatch-demo")


def demo(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.")] = 8000,
    data_dir: Annotated[
        Path, typer.Option("--data-dir", help="Where the demo database and index live.")
    ] = DEMO_DIR,
    model: ModelOption = None,
    load_only: Annotated[
        bool, typer.Option("--load-only", help="Load the data and print the keys, don't serve.")
    ] = False,
) -> None:
    """Serve the bilingual demo data set and a demo session on SQLite; prints the web
    addresses, the keys and the next commands with real ids.

    Loading again updates the demo postings instead of duplicating them and keeps the
    demo session, its participants and the keys.
    """
    from service.seed import DemoDataError, ensure_demo_session, load_demo

    settings = make_settings(data_dir=data_dir, model=model)
    settings.database_url = None  # the demo always runs on SQLite
    model_instance = load_model_or_exit(settings) if not load_only else None
    with open_database(settings, announce=False) as database:
        try:
            seeded = load_demo(database)
            demo_session = ensure_demo_session(database)
        except DemoDataError as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(2) from exc
        walk = demo_session.walk_through
        keys = _demo_keys(database, settings.data_dir, walk.need_org, walk.offer_org)
    for line in demo_text(f"http://{host}:{port}", settings, seeded, demo_session, keys):
        typer.echo(line)
    if load_only:
        return
    import uvicorn

    from service.main import create_app

    uvicorn.run(create_app(settings, model=model_instance), host=host, port=port, log_level="info")


def demo_text(
    base: str, settings: Any, seeded: Any, demo_session: Any, keys: dict[str, dict[str, str]]
) -> list[str]:
    """What ``techmatch demo`` prints: the data folder, the web addresses, the keys and the
    commands of README's "Running a session" with the demo's real ids; the moderator key
    is the last word."""
    walk = demo_session.walk_through
    sid = demo_session.id
    folder = settings.data_dir
    auth = "Authorization: Bearer"
    json_type = "-H 'Content-Type: application/json'"
    lines = [
        f"techmatch demo: {seeded.total('need')} needs, {seeded.total('offer')} offers, "
        f"session {sid} with {demo_session.participants} participants "
        f"(model {settings.model})",
        f"  data folder {folder} (SQLite); other commands use it with --data-dir {folder} "
        f"(their default is TECHMATCH_DATA_DIR, else ./techmatch-data)",
        "web pages (sign in with a key below):",
        f"  start      {base}/",
        f"  review     {base}/review        (moderator)",
        f"  dashboard  {base}/dashboard     (moderator)",
        f"  ranking    {base}/ranking       (moderator: learn from the decisions)",
        f"  agenda     {base}/sessions/{sid}/agenda.html   (after scheduling)",
        "API:",
        f"  docs       {base}/docs   (ReDoc: {base}/redoc)",
        f"  health     {base}/health",
        f"  pairs      {base}/api/v1/pairs   (moderators)",
        "keys:",
        f"  company   ({walk.need_org}, owns need {walk.need_id}): {keys['company']['key']}",
        f"  institute ({walk.offer_org}, owns offer {walk.offer_id}): {keys['institute']['key']}",
        f'running session {sid} (README "Running a session"):',
        f"  export API={base}/api/v1 MOD={keys['moderator']['key']} "
        f"CO={keys['company']['key']} IN={keys['institute']['key']}",
    ]
    if not demo_session.need_registered:
        lines.append(
            f'  curl -s -X POST $API/sessions/{sid}/participants -H "{auth} $CO" {json_type} '
            f'-d \'{{"posting_id": {walk.need_id}, "unavailable_slots": [0, 1]}}\''
        )
    if not demo_session.offer_registered:
        lines.append(
            f'  curl -s -X POST $API/sessions/{sid}/participants -H "{auth} $IN" {json_type} '
            f"-d '{{\"posting_id\": {walk.offer_id}}}'"
        )
    lines += [
        f'  curl -s -X POST $API/pairs/{walk.need_id}-{walk.offer_id}/review -H "{auth} $MOD" '
        f'{json_type} -d \'{{"decision": "accepted"}}\'',
        f'  curl -s -X POST $API/sessions/{sid}/schedule -H "{auth} $MOD" {json_type} '
        f"-d '{{\"time_limit_s\": 20}}'",
        f"moderator key: {keys['moderator']['key']}",
    ]
    return lines


def _demo_keys(
    database: object, data_dir: Path, company_org: str, institute_org: str
) -> dict[str, dict[str, str]]:
    """The demo keys (moderator; company and institute for ``company_org`` and
    ``institute_org``), kept in ``data_dir/demo-keys.json``, recreated when revoked."""
    from sqlalchemy import select

    from service.auth.keys import create_key, hash_key
    from service.auth.roles import Role
    from service.db.engine import Database
    from service.db.models import ApiKeyRow

    assert isinstance(database, Database)
    path = data_dir / KEYS_FILE
    stored: dict[str, dict[str, str]] = {}
    if path.exists():
        try:
            stored = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError):
            stored = {}
    with database.session(write=True) as session:
        orgs = {"moderator": "techmatch demo", "company": company_org, "institute": institute_org}
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
