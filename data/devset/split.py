"""Write split.tsv: a fixed, seeded tuning / held-out split of the development set by need.

Usage: python data/devset/split.py [DIRECTORY]

Needs are grouped into three strata: ``no_good`` (tag ``no_good_offer``),
``cross_lingual_only`` (tag ``cross_lingual_only``) and ``other``. Each stratum,
sorted by id, is shuffled with ``random.Random(SEED)`` and cut in half; when a
stratum has an odd size, the extra need goes to ``tune`` for the 1st and 3rd
strata and to ``heldout`` for the 2nd, so the two parts differ by at most one
need overall. The output is ``need_id<TAB>part`` sorted by id. Standard library
only; the same input always gives the same file.
"""

from __future__ import annotations

import json
import random
import sys
from pathlib import Path

SEED = 15
STRATA = ("no_good", "cross_lingual_only", "other")


def stratum(tags: list[str]) -> str:
    """The split stratum of a need from its tags."""
    if "no_good_offer" in tags:
        return "no_good"
    if "cross_lingual_only" in tags:
        return "cross_lingual_only"
    return "other"


def make_split(needs: list[dict]) -> dict[int, str]:
    """``need_id -> "tune" | "heldout"`` for the needs (dicts with ``id`` and ``tags``)."""
    rng = random.Random(SEED)
    parts: dict[int, str] = {}
    for index, name in enumerate(STRATA):
        ids = sorted(n["id"] for n in needs if stratum(n.get("tags") or []) == name)
        rng.shuffle(ids)
        half = len(ids) // 2 + (len(ids) % 2 if index != 1 else 0)
        for position, need_id in enumerate(ids):
            parts[need_id] = "tune" if position < half else "heldout"
    return parts


def main(directory: Path) -> None:
    """Read ``needs.jsonl`` in ``directory`` and write ``split.tsv`` next to it."""
    with open(directory / "needs.jsonl", encoding="utf-8") as fh:
        needs = [json.loads(line) for line in fh if line.strip()]
    parts = make_split(needs)
    with open(directory / "split.tsv", "w", encoding="utf-8", newline="") as fh:
        fh.write("need_id\tpart\n")
        for need_id in sorted(parts):
            fh.write(f"{need_id}\t{parts[need_id]}\n")
    print(f"wrote {directory / 'split.tsv'}: {len(parts)} needs")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parent)
