"""Print the items of a term-judgements file without their verdicts, for a blind second judge.

For each need–offer pair it prints both postings (title, description, keywords, language,
organisation) and then the shown shared terms and links of that pair, numbered, in file
order. The ``accept`` and ``note`` fields are never printed, so a second judge can write
verdicts without seeing the first judge's.

    python benchmarks/blind_items.py [--items data/devset/term_judgements.jsonl]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DEVSET = ROOT / "data" / "devset"
BLIND_FIELDS = ("need", "offer", "term", "link")


def read_items(path: Path) -> list[dict[str, Any]]:
    """The items of a JSONL file (``#`` comments skipped), keeping only the blind fields."""
    items = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            row = json.loads(line)
            items.append({k: row[k] for k in BLIND_FIELDS if k in row})
    return items


def read_postings(directory: Path) -> dict[int, dict[str, Any]]:
    """The dev set's needs and offers (raw JSON rows) by id."""
    rows: dict[int, dict[str, Any]] = {}
    for name in ("needs.jsonl", "offers.jsonl"):
        for line in (directory / name).read_text(encoding="utf-8").splitlines():
            if line.strip():
                row = json.loads(line)
                rows[row["id"]] = row
    return rows


def describe(posting: dict[str, Any]) -> str:
    """A posting's id, language, organisation, title, description and keywords as text."""
    return (
        f"[{posting['id']} {posting['language']} | org: {posting.get('organization', '')}]\n"
        f"  T: {posting['title']}\n  D: {posting['description']}\n"
        f"  K: {'; '.join(posting['keywords'])}"
    )


def main() -> None:
    """Print every pair's two postings followed by its items, without verdicts."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--items", type=Path, default=DEVSET / "term_judgements.jsonl")
    args = parser.parse_args()
    by_id = read_postings(DEVSET)
    pairs: dict[tuple[int, int], list[dict[str, Any]]] = {}
    for item in read_items(args.items):
        pairs.setdefault((item["need"], item["offer"]), []).append(item)
    for (need, offer), items in pairs.items():
        print("=" * 100)
        print("NEED ", describe(by_id[need]))
        print("OFFER", describe(by_id[offer]))
        for n, item in enumerate(items):
            if "link" in item:
                shown = f"link {item['link'][0]} ≈ {item['link'][1]}"
            else:
                shown = f"term {item['term']}"
            print(f"  {n:2d}. {shown}")


if __name__ == "__main__":
    main()
