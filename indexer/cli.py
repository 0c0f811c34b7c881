"""Command-line access to the indexer, without the server: ``techmatch match`` and ``eval``."""

from __future__ import annotations

import csv
import json
import os
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from indexer.postings import Posting

app = typer.Typer(help="Match and evaluate postings without the server.", no_args_is_help=True)


def read_postings_file(path: Path) -> list[Posting]:
    """Postings from a ``.jsonl`` or ``.csv`` file (columns: id, kind, title, description,
    keywords, sector, trl, language). Rows without an id are numbered from 1."""
    rows: list[dict[str, Any]]
    if path.suffix.lower() == ".csv":
        with open(path, encoding="utf-8-sig", newline="") as fh:
            rows = list(csv.DictReader(fh))
    else:
        with open(path, encoding="utf-8") as fh:
            rows = [json.loads(line) for line in fh if line.strip()]
    postings = []
    for n, row in enumerate(rows, start=1):
        row = dict(row)
        row.setdefault("id", n)
        if row.get("id") in (None, ""):
            row["id"] = n
        if row.get("kind") not in ("need", "offer"):
            raise typer.BadParameter(
                f"row {n}: kind must be 'need' or 'offer', got {row.get('kind')!r}"
            )
        postings.append(Posting.from_dict(row))
    return postings


def _load_model(name: str | None) -> Any:
    from models import ModelNotFoundError, load_model

    data_dir = Path(os.environ.get("TECHMATCH_DATA_DIR") or "./techmatch-data")
    cache = Path(os.environ.get("TECHMATCH_MODEL_CACHE") or data_dir / "models")
    typer.echo(f"techmatch: model cache {cache}", err=True)  # the server's default too
    try:
        return load_model(name or os.environ.get("TECHMATCH_MODEL"), cache)
    except ModelNotFoundError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from exc


@app.command("match")
def match_command(
    file: Annotated[
        Path, typer.Argument(exists=True, dir_okay=False, help="CSV or JSONL postings")
    ],
    top: Annotated[int, typer.Option(help="offers shown per need")] = 5,
    model: Annotated[str | None, typer.Option(help="model name or folder")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON lines")] = False,
) -> None:
    """Index FILE and print, for each need, its ranked offers with scores and reasons."""
    from indexer.engine import MatchEngine

    postings = read_postings_file(file)
    engine = MatchEngine(_load_model(model))
    engine.upsert(postings)
    for posting in postings:
        if posting.kind != "need":
            continue
        matches = engine.match(posting.id, limit=top)
        if as_json:
            print(
                json.dumps(
                    {"need_id": posting.id, "matches": [m.to_dict() for m in matches]},
                    ensure_ascii=False,
                )
            )
            continue
        print(f"\nNEED {posting.id}: {posting.title}")
        if not matches:
            print("  (no offers)")
        for m in matches:
            offer = engine.get(m.offer_id)
            flag = "★" if m.recommended else " "
            title = offer.title if offer else m.offer_id
            print(f" {flag} {m.score:.3f}  offer {m.offer_id}: {title}")
            r = m.reasons
            terms = r.shared_terms + [f"{x['need']}≈{x['offer']}" for x in r.linked_terms]
            if terms:
                print(f"          terms: {', '.join(dict.fromkeys(terms))}")
            notes = r.agreements + [f"⚠ {d}" for d in r.disagreements]
            if notes:
                print(f"          {'; '.join(notes)}")


@app.command("eval")
def eval_command(
    devset: Annotated[Path | None, typer.Option(help="development set folder")] = None,
    bitext: Annotated[Path | None, typer.Option(help="bitext folder (skip when absent)")] = None,
    model: Annotated[str | None, typer.Option(help="model name or folder")] = None,
    segmentation: Annotated[
        bool, typer.Option(help="also measure segmented embedding input")
    ] = True,
    output: Annotated[Path | None, typer.Option(help="write the JSON report here")] = None,
) -> None:
    """Measure ranking quality on the development set and cross-lingual accuracy on bitext."""
    from indexer.evaluation.report import run_evaluation

    bitext = bitext or _default_bitext()
    report = run_evaluation(_load_model(model), devset, bitext, segmentation=segmentation)
    from indexer.evaluation.report import format_report

    print(format_report(report))
    if output:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(json.dumps(report, indent=2, ensure_ascii=False), encoding="utf-8")
        print(f"\nreport written to {output}", file=sys.stderr)


def _default_bitext() -> Path | None:
    for candidate in (Path("../shared/data/bitext"), Path("shared/data/bitext")):
        if candidate.is_dir():
            return candidate
    return None
