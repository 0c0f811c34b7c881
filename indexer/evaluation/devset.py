"""The labelled bilingual development set: postings, graded judgements and tags."""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from pathlib import Path

from indexer.postings import Posting

DEFAULT_DEVSET = Path(__file__).resolve().parents[2] / "data" / "devset"


@dataclass
class DevSet:
    """Needs, offers, ``qrels[need_id][offer_id] = grade`` and ``tags[need_id]``."""

    needs: list[Posting]
    offers: list[Posting]
    qrels: dict[int, dict[int, int]]
    tags: dict[int, set[str]]

    def need_ids_with(self, tag: str) -> list[int]:
        """Ids of the needs carrying ``tag``."""
        return [n.id for n in self.needs if tag in self.tags.get(n.id, set())]

    def relevant(self, need_id: int, min_grade: int = 1) -> set[int]:
        """Offers judged at least ``min_grade`` for a need."""
        return {o for o, g in self.qrels.get(need_id, {}).items() if g >= min_grade}

    def restricted(self, need_ids: set[int]) -> DevSet:
        """The set with only the needs in ``need_ids`` (all offers, judgements, tags kept)."""
        needs = [n for n in self.needs if n.id in need_ids]
        return DevSet(needs=needs, offers=self.offers, qrels=self.qrels, tags=self.tags)


def read_postings(path: Path) -> tuple[list[Posting], dict[int, set[str]]]:
    """Read a JSONL file of postings; returns the postings and their tags."""
    postings, tags = [], {}
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                row = json.loads(line)
                postings.append(Posting.from_dict(row))
                tags[int(row["id"])] = set(row.get("tags") or [])
    return postings, tags


def load_devset(directory: Path = DEFAULT_DEVSET) -> DevSet:
    """Load ``needs.jsonl``, ``offers.jsonl`` and ``qrels.tsv`` from ``directory``."""
    directory = Path(directory)
    needs, tags = read_postings(directory / "needs.jsonl")
    offers, _ = read_postings(directory / "offers.jsonl")
    qrels: dict[int, dict[int, int]] = {}
    with open(directory / "qrels.tsv", encoding="utf-8") as fh:
        for row in csv.DictReader(fh, delimiter="\t"):
            qrels.setdefault(int(row["need_id"]), {})[int(row["offer_id"])] = int(row["grade"])
    return DevSet(needs=needs, offers=offers, qrels=qrels, tags=tags)


SPLIT_PARTS = ("heldout", "tune")  # report order: held-out first


def read_split(directory: Path = DEFAULT_DEVSET) -> dict[int, str]:
    """``need_id -> "tune" | "heldout"`` from ``split.tsv`` in ``directory`` (empty if absent)."""
    path = Path(directory) / "split.tsv"
    if not path.is_file():
        return {}
    with open(path, encoding="utf-8", newline="") as fh:
        return {int(r["need_id"]): r["part"] for r in csv.DictReader(fh, delimiter="\t")}


def split_parts(devset: DevSet, split: dict[int, str]) -> dict[str, DevSet]:
    """The parts to report, in order: held-out, tune (those ``split`` names), then all needs."""
    parts = {
        part: devset.restricted({i for i, p in split.items() if p == part})
        for part in SPLIT_PARTS
        if part in split.values()
    }
    parts["all"] = devset
    return parts
