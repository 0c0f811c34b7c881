"""List the top candidate offers per need, to help a person judge them by reading.

Usage: python data/devset/candidates.py [--model hashing|multilingual-e5-small]
       [--top 12] [--needs 56,57,...] [--unjudged] [DIRECTORY]

Ranks every offer for each chosen need with the project's MatchEngine (the same
public functions the service uses) and prints, per need, the offers best first
with the judged grade ("-" when unjudged). The score is only a reading order:
judgements are made from the texts. ``--unjudged`` prints only unjudged
candidates. The real model is read from ``$TECHMATCH_MODEL_CACHE`` (default
``/work/main/.cache/models``); nothing is downloaded.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from indexer.engine import MatchEngine
from indexer.evaluation.devset import DEFAULT_DEVSET, load_devset
from models import load_model


def main() -> None:
    """Parse the arguments and print the candidate lists."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("directory", nargs="?", type=Path, default=DEFAULT_DEVSET)
    parser.add_argument("--model", default="hashing")
    parser.add_argument("--top", type=int, default=12)
    parser.add_argument("--needs", default="", help="comma-separated need ids (default: all)")
    parser.add_argument("--unjudged", action="store_true", help="print only unjudged offers")
    args = parser.parse_args()

    cache = Path(os.environ.get("TECHMATCH_MODEL_CACHE", "/work/main/.cache/models"))
    devset = load_devset(args.directory)
    engine = MatchEngine(load_model(args.model, cache))
    engine.upsert(devset.needs + devset.offers)
    offers = {o.id: o for o in devset.offers}
    wanted = {int(x) for x in args.needs.split(",") if x.strip()}
    for need in devset.needs:
        if wanted and need.id not in wanted:
            continue
        judged = devset.qrels.get(need.id, {})
        print(f"\n== need {need.id} [{need.language}] {need.title}")
        for m in engine.match(need.id, limit=args.top):
            grade = judged.get(m.offer_id)
            if args.unjudged and grade is not None:
                continue
            o = offers[m.offer_id]
            mark = "-" if grade is None else str(grade)
            print(f"  {mark} {m.offer_id} [{o.language}] {m.score:.3f} {o.title}")


if __name__ == "__main__":
    main()
