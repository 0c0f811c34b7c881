"""Calibrate the recommendation rule on the dev set's tuning part, report the held-out part.

Indexes ``data/devset`` once with the default engine (the real model), records every
need's candidates, fits :class:`indexer.evaluation.abstention.RecommendRule` (same-language
threshold, cross-language threshold, reciprocity margin) on the *tune* needs, and prints the
silent / grade-2 / relevant shares of the engine's current rule and of the fitted one per
part, held-out first. The engine's constants (``FusionConfig.recommend_threshold``,
``reciprocal_margin``) are changed only when the fitted rule also does better on held-out.

    TECHMATCH_MODEL_CACHE=.cache/models python benchmarks/calibrate_recommendation.py [--out x.json]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from dataclasses import asdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from indexer.engine import EngineConfig  # noqa: E402
from indexer.evaluation.abstention import (  # noqa: E402
    RecommendRule,
    calibrate,
    default_rule,
    figures,
    objective,
    record_candidates,
)
from indexer.evaluation.devset import load_devset, read_split, split_parts  # noqa: E402
from models import load_model  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="multilingual-e5-small")
    parser.add_argument("--backend", default=None)
    parser.add_argument("--out", type=Path, default=None, help="also write JSON here")
    args = parser.parse_args()
    cache = Path(os.environ.get("TECHMATCH_MODEL_CACHE") or ROOT / ".cache" / "models")
    model = load_model(args.model, cache, backend=args.backend)
    devset = load_devset()
    parts = split_parts(devset, read_split())
    config = EngineConfig()
    cands = record_candidates(model, devset, config)
    rules = {"default": default_rule(config), "calibrated on tune": calibrate(cands, parts["tune"])}
    report = {
        name: {
            "rule": asdict(rule),
            "parts": {p: figures(cands, rule, ds) for p, ds in parts.items()},
            "objective_heldout": objective(figures(cands, rule, parts["heldout"])),
        }
        for name, rule in rules.items()
    }
    margin = config.fusion.reciprocal_margin
    report["curve"] = {  # one threshold for every pair, the engine's margin: the trade-off
        f"{t:.3f}": {p: figures(cands, RecommendRule(t, t, margin), ds) for p, ds in parts.items()}
        for t in (0.40 + 0.025 * i for i in range(17))
    }
    try:
        from benchmarks.machine import machine

        report["machine"] = machine(args.backend)
    except ImportError:
        pass
    for name, entry in report.items():
        if name in ("machine", "curve"):
            continue
        print(name, entry["rule"])
        for part, f in entry["parts"].items():
            print(
                f"  {part:8} silent {f['silent']:.2f}  grade-2 {f['grade2']:.2f}  "
                f"relevant {f['relevant']:.2f}  ({f['no_good_offer_needs']} without a good "
                f"offer, {f['needs_with_grade2']} with a grade-2 offer)"
            )
    print("one threshold (margin as the engine's): silent / grade-2, tune | held-out")
    for t, by_part in report["curve"].items():
        tu, ho = by_part["tune"], by_part["heldout"]
        print(
            f"  {t}  {tu['silent']:.2f} / {tu['grade2']:.2f} | "
            f"{ho['silent']:.2f} / {ho['grade2']:.2f}"
        )
    if args.out:
        args.out.write_text(json.dumps(report, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
