"""Choose the reasons' vector fallback (``LinkRule.vectors`` and ``margin``) on the tune part.

Glossary links (:mod:`vocabulary.glossary`) come first; the vector rule only adds links
for terms the glossary lacks. Prints precision and link recall per part for each
candidate (``off``: glossary links only; a number: vector links from that margin); the
choice is made on the ``tune`` rows only, the held-out rows are reported.

    python benchmarks/tune_reasons.py [--cache .cache/models] [--margins off,0.15,0.2,0.3]
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from indexer import reasons  # noqa: E402
from indexer.engine import MatchEngine  # noqa: E402
from indexer.evaluation import reasons_eval  # noqa: E402
from indexer.evaluation.devset import load_devset  # noqa: E402
from indexer.evaluation.reasons_eval import DEFAULT_DEVSET, evaluate_reasons  # noqa: E402
from models import load_model  # noqa: E402


def candidate_rule(text: str) -> reasons.LinkRule:
    """The rule a ``--margins`` item stands for (``off``: no vector links)."""
    if text == "off":
        return dataclasses.replace(reasons.RULE, vectors=False)
    return dataclasses.replace(reasons.RULE, vectors=True, margin=float(text))


def main() -> None:
    """Evaluate each candidate and print one line per (candidate, part)."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cache", type=Path, default=ROOT / ".cache" / "models")
    parser.add_argument("--margins", default="off,0.15,0.3")
    args = parser.parse_args()
    model = load_model("multilingual-e5-small", args.cache)
    devset = load_devset(DEFAULT_DEVSET)
    defaults = reasons.explain_pair.__defaults__
    engine = MatchEngine(model)
    engine.upsert(devset.needs + devset.offers)  # once: every candidate explains the same pool
    engine.upsert = lambda postings: None  # type: ignore[method-assign,assignment]
    reasons_eval.MatchEngine = lambda _model: engine  # type: ignore[assignment,misc]
    print("load", [round(x, 2) for x in os.getloadavg()])
    for text in args.margins.split(","):
        reasons.explain_pair.__defaults__ = (False, candidate_rule(text))
        result = evaluate_reasons(model, devset, DEFAULT_DEVSET)
        for part, figures in result.items():
            if isinstance(figures, dict):
                print(text, part, {k: v for k, v in figures.items() if not isinstance(v, list)})
    reasons.explain_pair.__defaults__ = defaults


if __name__ == "__main__":
    main()
