"""Command-line access to the indexer, without the server: ``techmatch match`` and ``eval``."""

from __future__ import annotations

import csv
import json
import os
import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from indexer.postings import Posting

if TYPE_CHECKING:
    from models import EmbeddingModel

app = typer.Typer(help="Match and evaluate postings without the server.", no_args_is_help=True)

_ID = re.compile(r"^(?:(n|o|need|offer)\s*[:_-]?\s*)?(\d+)$", re.IGNORECASE)
_ID_HELP = "use a number (12) or a kind and a number: n12 / need:12, o34 / offer:34"


def parse_posting_id(value: object, kind: str, row: int) -> int:
    """The number of a posting id written ``12``, ``n12``, ``o34``, ``need:12`` or
    ``offer:34`` (a prefix must agree with the row's ``kind``); raises
    :class:`typer.BadParameter` naming the row otherwise."""
    if isinstance(value, bool):
        raise typer.BadParameter(f"row {row}: id {value!r} is not a posting id; {_ID_HELP}")
    if isinstance(value, int):
        return value
    found = _ID.match(str(value).strip())
    if found is None:
        raise typer.BadParameter(f"row {row}: id {value!r} is not a posting id; {_ID_HELP}")
    prefix, number = found.group(1), int(found.group(2))
    if prefix and prefix[0].lower() != kind[0]:
        named = "a need" if prefix[0].lower() == "n" else "an offer"
        raise typer.BadParameter(f"row {row}: id {value!r} names {named} but kind is {kind!r}")
    return number


def read_labelled_postings(path: Path) -> tuple[list[Posting], dict[int, str]]:
    """Postings from a ``.jsonl`` or ``.csv`` file (columns: id, kind, title, description,
    keywords, sector, trl, language) and ``{posting id: id as written}``.

    Rows without an id are numbered from 1. Ids may carry their kind (``n12``, ``o34``,
    ``need:12``); when two rows' numbers collide (``n1`` and ``o1``), postings are numbered
    by row instead, and the labels keep the ids as written."""
    rows: list[dict[str, Any]]
    if path.suffix.lower() == ".csv":
        with open(path, encoding="utf-8-sig", newline="") as fh:
            rows = list(csv.DictReader(fh))
    else:
        with open(path, encoding="utf-8") as fh:
            rows = [json.loads(line) for line in fh if line.strip()]
    parsed: list[tuple[dict[str, Any], int, str]] = []
    for n, row in enumerate(rows, start=1):
        row = dict(row)
        if row.get("id") in (None, ""):
            row["id"] = n
        if row.get("kind") not in ("need", "offer"):
            raise typer.BadParameter(
                f"row {n}: kind must be 'need' or 'offer', got {row.get('kind')!r}"
            )
        parsed.append((row, parse_posting_id(row["id"], row["kind"], n), str(row["id"]).strip()))
    numbers = [number for _, number, _ in parsed]
    by_row = len(set(numbers)) != len(numbers)
    postings: list[Posting] = []
    labels: dict[int, str] = {}
    for n, (row, number, label) in enumerate(parsed, start=1):
        posting_id = n if by_row else number
        postings.append(Posting.from_dict({**row, "id": posting_id}))
        labels[posting_id] = label
    return postings, labels


def read_postings_file(path: Path) -> list[Posting]:
    """The postings of :func:`read_labelled_postings`."""
    return read_labelled_postings(path)[0]


def _load_model(
    name: str | None, cache: Path | None = None, backend: str | None = None
) -> EmbeddingModel:
    """The model named on the command line; the environment (``TECHMATCH_MODEL``,
    ``TECHMATCH_MODEL_CACHE``, ``TECHMATCH_MODEL_BACKEND``) only fills in what is not."""
    from models import ModelNotFoundError, load_model

    data_dir = Path(os.environ.get("TECHMATCH_DATA_DIR") or "./techmatch-data")
    folder = cache or Path(os.environ.get("TECHMATCH_MODEL_CACHE") or data_dir / "models")
    typer.echo(f"techmatch: model cache {folder}", err=True)  # the server's default too
    try:
        return load_model(name or os.environ.get("TECHMATCH_MODEL"), folder, backend=backend)
    except ModelNotFoundError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from exc


ModelOption = Annotated[str | None, typer.Option(help="model name or folder")]
CacheOption = Annotated[
    Path | None, typer.Option(help="model cache folder (default: $TECHMATCH_MODEL_CACHE)")
]
BackendOption = Annotated[
    str | None,
    typer.Option(help="onnx-int8, onnx or torch (default: $TECHMATCH_MODEL_BACKEND)"),
]


@app.command("match")
def match_command(
    file: Annotated[
        Path, typer.Argument(exists=True, dir_okay=False, help="CSV or JSONL postings")
    ],
    top: Annotated[int, typer.Option(help="offers shown per need")] = 5,
    model: ModelOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON lines")] = False,
    cache: CacheOption = None,
    backend: BackendOption = None,
) -> None:
    """Index FILE and print, for each need, its ranked offers with scores and reasons.

    Ids may be numbers or carry their kind: n12 / need:12, o34 / offer:34."""
    from indexer.engine import MatchEngine

    postings, labels = read_labelled_postings(file)
    engine = MatchEngine(_load_model(model, cache, backend))
    engine.upsert(postings)
    for posting in postings:
        if posting.kind != "need":
            continue
        matches = engine.match(posting.id, limit=top)
        if as_json:
            items = [m.to_dict() for m in matches]
            if any(label != str(i) for i, label in labels.items()):  # text ids: as written
                for item in items:
                    item["need_id"] = labels[item["need_id"]]
                    item["offer_id"] = labels[item["offer_id"]]
                    item["pair_id"] = f"{item['need_id']}-{item['offer_id']}"
            need_id: int | str = (
                posting.id if labels[posting.id] == str(posting.id) else labels[posting.id]
            )
            print(json.dumps({"need_id": need_id, "matches": items}, ensure_ascii=False))
            continue
        print(f"\nNEED {labels[posting.id]}: {posting.title}")
        if not matches:
            print("  (no offers)")
        for m in matches:
            offer = engine.get(m.offer_id)
            flag = "★" if m.recommended else " "
            title = offer.title if offer else m.offer_id
            print(f" {flag} {m.score:.3f}  offer {labels[m.offer_id]}: {title}")
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
    model: ModelOption = None,
    segmentation: Annotated[
        bool, typer.Option(help="also measure segmented embedding input")
    ] = True,
    output: Annotated[Path | None, typer.Option(help="write the JSON report here")] = None,
    cache: CacheOption = None,
    backend: BackendOption = None,
) -> None:
    """Measure ranking quality on the development set and cross-lingual accuracy on bitext."""
    from indexer.evaluation.report import run_evaluation

    bitext = bitext or _default_bitext()
    report = run_evaluation(
        _load_model(model, cache, backend), devset, bitext, segmentation=segmentation
    )
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
