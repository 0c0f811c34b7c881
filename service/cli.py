"""The ``techmatch`` command. Every sub-command is registered here, in one place."""

from __future__ import annotations

import typer

from service.commands import demo, imports, keys, serve
from service.matching import indexer_commands

app = typer.Typer(
    name="techmatch",
    help="Match technology needs with technology offers (Vietnamese and English).",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)

app.command("serve")(serve.serve)
app.command("demo")(demo.demo)
app.command("import")(imports.import_file)
app.add_typer(keys.app, name="keys")
app.add_typer(indexer_commands())  # `match` and `eval`: the indexer without the server
# Other layers register theirs here too.


if __name__ == "__main__":
    app()
