"""``techmatch keys create|list|revoke``: manage API keys in the database."""

from __future__ import annotations

from typing import Annotated

import typer

from service.auth import keys as key_store
from service.auth.roles import Role
from service.commands.common import DatabaseOption, DataDirOption, make_settings, open_database

app = typer.Typer(help="Create, list and revoke API keys.", no_args_is_help=True)


@app.command("create")
def create(
    role: Annotated[Role, typer.Option(help="company, institute, moderator or admin.")],
    org: Annotated[str, typer.Option("--org", help="Organization the key belongs to.")],
    name: Annotated[str | None, typer.Option(help="A note: who holds the key.")] = None,
    data_dir: DataDirOption = None,
    database_url: DatabaseOption = None,
) -> None:
    """Create a key; the key itself is the last word printed (shown only this once)."""
    settings = make_settings(data_dir=data_dir, database_url=database_url)
    if not org.strip() or len(org.strip()) > 200:
        raise typer.BadParameter("must have 1 to 200 characters", param_hint="--org")
    with open_database(settings) as database, database.session(write=True) as session:
        new = key_store.create_key(session, role, org, name)
    typer.echo(
        f"Created {new.row.role} key {new.row.id} for {new.row.organization!r} "
        f"(prefix {new.row.prefix}); store it now, it is not shown again:"
    )
    typer.echo(new.secret)


@app.command("list")
def list_(
    all_: Annotated[bool, typer.Option("--all", help="Include revoked keys.")] = False,
    data_dir: DataDirOption = None,
    database_url: DatabaseOption = None,
) -> None:
    """List keys (id, prefix, role, organization, created, revoked)."""
    settings = make_settings(data_dir=data_dir, database_url=database_url)
    with open_database(settings) as database, database.session() as session:
        rows = key_store.list_keys(session, include_revoked=all_)
    typer.echo(f"{'id':>4}  {'prefix':<10}  {'role':<9}  {'organization':<30}  created  revoked")
    for r in rows:
        revoked = r.revoked_at.strftime("%Y-%m-%d") if r.revoked_at else "-"
        typer.echo(
            f"{r.id:>4}  {r.prefix:<10}  {r.role:<9}  {r.organization[:30]:<30}  "
            f"{r.created_at:%Y-%m-%d}  {revoked}"
        )


@app.command("revoke")
def revoke(
    key_id: Annotated[int, typer.Argument(help="Id of the key (see `keys list`).")],
    data_dir: DataDirOption = None,
    database_url: DatabaseOption = None,
) -> None:
    """Revoke a key; it stops working at once."""
    settings = make_settings(data_dir=data_dir, database_url=database_url)
    with open_database(settings) as database, database.session(write=True) as session:
        row = key_store.revoke_key(session, key_id)
    if row is None:
        typer.echo(f"no key {key_id}", err=True)
        raise typer.Exit(1)
    typer.echo(f"Revoked key {row.id} ({row.prefix}, {row.role}, {row.organization!r}).")
