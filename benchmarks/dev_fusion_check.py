"""The dev set's figures with the committed fusion, nothing refit (issue 15 guard).

A change to tokenising, language detection or the glossary matcher must not lose on the dev
set while the fitted fusion (``indexer/resources/fusion.json``) stays as committed: this
indexes ``data/devset`` with the default engine (fitted fusion on) and prints, per part
(held-out first), :func:`benchmarks.fit_fusion.summary` of :func:`benchmarks.fit_fusion.measure`
(nDCG@10, recall@10, cross-lingual-only nDCG@10, the silent and grade-2 shares).
``--cache FILE`` keeps the embeddings by text (a pickle), so that a run on another tree
(before / after) embeds nothing again:

    TECHMATCH_MODEL_CACHE=.cache/models python benchmarks/dev_fusion_check.py --backend torch \\
        [--cache /tmp/dev-vectors.pkl] [--out FILE.json]
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.fit_fusion import measure, summary  # noqa: E402
from indexer.engine import EngineConfig, MatchEngine  # noqa: E402
from indexer.evaluation.devset import load_devset, read_split, split_parts  # noqa: E402
from indexer.evaluation.levers import CachedModel  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", default=None)
    parser.add_argument("--cache", type=Path, help="pickle of embeddings by text (read, updated)")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    from models import load_model

    cache = Path(os.environ.get("TECHMATCH_MODEL_CACHE") or ROOT / ".cache" / "models")
    model = CachedModel(load_model(None, cache, backend=args.backend))
    if args.cache and args.cache.exists():
        model._cache.update(pickle.loads(args.cache.read_bytes()))
    start = time.process_time()
    devset = load_devset()
    parts = split_parts(devset, read_split())
    engine = MatchEngine(model, EngineConfig())
    engine.upsert(devset.needs + devset.offers)
    figures = measure(engine, devset, parts)
    result: dict[str, Any] = {
        "root": str(ROOT),
        "backend": args.backend,
        **{part: summary(figures[part]) for part in ("heldout", "tune", "all") if part in parts},
        "cpu_seconds": time.process_time() - start,
        "load": os.getloadavg(),
    }
    if args.cache:
        args.cache.write_bytes(pickle.dumps(model._cache))
    print(json.dumps(result, indent=1))
    if args.out:
        args.out.write_text(json.dumps(result, indent=1) + "\n", "utf-8")


if __name__ == "__main__":
    main()
