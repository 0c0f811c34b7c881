"""Choose the reasons' ``LinkRule.single_margin`` on the tune part of the dev set.

Prints precision and link recall per part for each candidate margin (``inf``: single-word
links off); the choice is made on the ``tune`` rows only, the held-out rows are reported.

    python benchmarks/tune_reasons.py [--cache .cache/models] [--margins 0.25,0.3,0.4,inf]
"""

from __future__ import annotations

import argparse
import dataclasses
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


def main() -> None:
    """Evaluate each margin and print one line per (margin, part)."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cache", type=Path, default=ROOT / ".cache" / "models")
    parser.add_argument("--margins", default="0.25,0.3,0.4,inf")
    args = parser.parse_args()
    model = load_model("multilingual-e5-small", args.cache)
    devset = load_devset(DEFAULT_DEVSET)
    defaults = reasons.explain_pair.__defaults__
    engine = MatchEngine(model)
    engine.upsert(devset.needs + devset.offers)  # once: every margin explains the same pool
    engine.upsert = lambda postings: None  # type: ignore[method-assign,assignment]
    reasons_eval.MatchEngine = lambda _model: engine  # type: ignore[assignment,misc]
    for text in args.margins.split(","):
        rule = dataclasses.replace(reasons.RULE, single_margin=float(text))
        reasons.explain_pair.__defaults__ = (False, rule)
        result = evaluate_reasons(model, devset, DEFAULT_DEVSET)
        for part, figures in result.items():
            if isinstance(figures, dict):
                print(text, part, {k: v for k, v in figures.items() if not isinstance(v, list)})
    reasons.explain_pair.__defaults__ = defaults


if __name__ == "__main__":
    main()
