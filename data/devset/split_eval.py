"""Ranking figures of the dev set per split part (all, tune, heldout), per system.

Usage: python data/devset/split_eval.py [--model NAME] [--output FILE] [DIRECTORY]

Indexes the whole development set once per system of ``techmatch eval``
(``indexer.evaluation.ranking.systems``), ranks every offer for every need
through the same public functions, and scores the rankings three times: on the
needs ``split.tsv`` puts in ``heldout``, on those in ``tune`` and on all needs.
Prints a markdown table; ``--output`` also writes the figures as JSON. The model
is read from ``$TECHMATCH_MODEL_CACHE`` (default ``/work/main/.cache/models``).
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

from indexer.evaluation.devset import DEFAULT_DEVSET, load_devset, read_split, split_parts
from indexer.evaluation.ranking import evaluate_ranking_by_part, systems
from models import load_model


def main() -> None:
    """Parse the arguments, evaluate every system and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("directory", nargs="?", type=Path, default=DEFAULT_DEVSET)
    parser.add_argument("--model", default=None)
    parser.add_argument("--output", type=Path, default=None)
    args = parser.parse_args()

    cache = Path(os.environ.get("TECHMATCH_MODEL_CACHE", "/work/main/.cache/models"))
    model = load_model(args.model, cache)
    devset = load_devset(args.directory)
    parts = split_parts(devset, read_split(args.directory))
    report = evaluate_ranking_by_part(model, devset, parts, systems())

    print(f"model: {model.name}  needs: {len(devset.needs)}  offers: {len(devset.offers)}")
    print()
    print(
        "| system | part | needs scored | nDCG@10 | Recall@10 | MRR | cross-lingual nDCG@10 "
        "| no-good silent | grade-2 served |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for name, by_part in report.items():
        for part, r in by_part.items():
            o, c, rec = r["overall"], r["cross_lingual_only"], r["recommend"]
            print(
                f"| {name} | {part} | {o.get('needs', 0)} | {o.get('ndcg@10', 0):.3f} | "
                f"{o.get('recall@10', 0):.3f} | {o.get('mrr', 0):.3f} | "
                f"{c.get('ndcg@10', 0):.3f} ({c.get('needs', 0)}) | "
                f"{rec['no_good_offer_without_recommendation']:.2f} "
                f"({rec['no_good_offer_needs']}) | "
                f"{rec['grade2_needs_with_a_relevant_recommendation']:.2f} "
                f"({rec['needs_with_grade2']}) |"
            )
    if args.output:
        args.output.write_text(json.dumps(report, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
