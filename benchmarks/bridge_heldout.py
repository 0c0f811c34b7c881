"""Held-out figures of the glossary bridge, with the glossary as committed and without
the concepts only held-out needs mention (issue 15).

``vocabulary/glossary.tsv`` was written by hand while the dev set existed: nearly all its
concepts occur somewhere in ``data/devset``, held-out needs included, so the bridge's
held-out gain may be optimistic. This script indexes the dev set once with the default
engine (the committed fitted fusion, which reads the ``concept`` part) and measures the
held-out and tune parts (:func:`benchmarks.fit_fusion.measure`: ranking through ``match``,
the active recommendation rule) twice: with the committed glossary, and with a glossary
restricted to the concepts at least one *tune* need mentions — what a glossary written
from the tuning needs and the offer pool alone could at best contain. For tune needs the
``concept`` part is the same under both (all their concepts are kept, each concept's
document frequency is unchanged), so the fitted fusion needs no refit; only held-out needs
lose concepts. Writes ``benchmarks/results/bridge_heldout.json``:

    TECHMATCH_MODEL_CACHE=.cache/models python benchmarks/bridge_heldout.py
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.fit_fusion import measure, summary  # noqa: E402
from indexer.concepts import ConceptIndex, posting_mentions  # noqa: E402
from indexer.engine import MatchEngine  # noqa: E402
from indexer.evaluation.devset import DevSet, load_devset, read_split, split_parts  # noqa: E402
from vocabulary.glossary import Glossary, glossary  # noqa: E402

RESULT = ROOT / "benchmarks" / "results" / "bridge_heldout.json"


def tune_glossary(devset: DevSet, split: dict[int, str]) -> Glossary:
    """The committed glossary's concepts that at least one tune need mentions."""
    full = glossary()
    kept: set[int] = set()
    for need in devset.needs:
        if split.get(need.id) == "tune":
            kept.update(posting_mentions(need, full))
    return Glossary([c for i, c in enumerate(full.concepts) if i in kept])


def use_glossary(engine: MatchEngine, source: Glossary) -> None:
    """Rank with the concepts of ``source`` (the pool re-read, every cache forgotten)."""
    engine.concepts = ConceptIndex(source)
    engine.concepts.reset(engine.store.postings.values())
    engine.ranker.scorer.concepts = engine.concepts.pair_score
    engine.clear_caches()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", default=None)
    parser.add_argument("--out", type=Path, default=RESULT)
    args = parser.parse_args()
    from benchmarks.machine import machine
    from models import load_model

    started, load_start = time.perf_counter(), os.getloadavg()
    cache = Path(os.environ.get("TECHMATCH_MODEL_CACHE") or ROOT / ".cache" / "models")
    model = load_model("multilingual-e5-small", cache, backend=args.backend)
    devset, split = load_devset(), read_split()
    parts = {p: ds for p, ds in split_parts(devset, split).items() if p in ("heldout", "tune")}
    engine = MatchEngine(model)
    engine.upsert(devset.needs + devset.offers)
    restricted = tune_glossary(devset, split)
    figures: dict[str, Any] = {}
    for name, source in (("committed glossary", glossary()), ("tune-needs glossary", restricted)):
        use_glossary(engine, source)
        block = measure(engine, devset, parts)
        figures[name] = {
            "concepts": len(source),
            **{p: summary(block[p]) for p in ("heldout", "tune")},
        }
        print(name, json.dumps(figures[name]), flush=True)
    report = {
        "benchmark": "bridge_heldout",
        "command": " ".join(["python", "benchmarks/bridge_heldout.py", *sys.argv[1:]]),
        "figures": figures,
        "machine": machine(getattr(model, "backend", None)),
        "load_average_start": list(load_start),
        "load_average_end": list(os.getloadavg()),
        "seconds": time.perf_counter() - started,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
