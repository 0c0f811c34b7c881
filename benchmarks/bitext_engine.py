"""Bitext mixed pool through the engine (issue 15): which score part loses top-1.

For each corpus of ``../shared/data/bitext`` and each of two folds, ``--pairs`` (450)
Vietnamese sentences are needs and the pool holds ``2 × pairs`` (900) offers of both
languages: their English translations and as many *other* Vietnamese sentences (those of
the other fold, whose translations are not in the pool). Everything goes through
:class:`indexer.engine.MatchEngine` (``upsert``, ``match``) with the default config but
``key_terms`` 0 (key terms feed the reasons only) and ``with_reasons=False``. Reported per
corpus: top-1 of the engine's score, of each part alone (re-ranking the engine's
``--depth`` candidates by that part), the share of needs whose winner is Vietnamese (a
same-language distractor) and the ceiling (the translation among the candidates).

    TECHMATCH_MODEL_CACHE=.cache/models python benchmarks/bitext_engine.py --backend torch \
        [--vectors FILE.npz] [--alignment-strength S]
"""

from __future__ import annotations

import argparse
import dataclasses
import functools
import json
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from indexer.engine import EngineConfig, MatchEngine  # noqa: E402
from indexer.evaluation.bitext import CORPORA, read_bitext  # noqa: E402
from indexer.evaluation.levers import CachedModel  # noqa: E402
from indexer.fusion import FittedFusion  # noqa: E402
from indexer.postings import Match, Posting  # noqa: E402

PARTS = ("score", "dense_z", "offer_z", "lexical", "lexical_used", "fusion", "concept")


def fold_postings(vi: Sequence[str], en: Sequence[str], n: int, fold: int) -> list[Posting]:
    """Needs: VI sentences of this fold (ids 1..n); offers: their EN translations (ids
    10001..) and the other fold's VI sentences (ids 20001..)."""
    mine = range(fold * n, fold * n + n)
    other = range((1 - fold) * n, (1 - fold) * n + n)
    out = [Posting(1 + k, "need", vi[i], "") for k, i in enumerate(mine)]
    out += [Posting(10001 + k, "offer", en[i], "") for k, i in enumerate(mine)]
    out += [Posting(20001 + k, "offer", vi[i], "") for k, i in enumerate(other)]
    return out


def _part(match: Match, part: str) -> float:
    """The engine's score (``part`` "score") or one of the match's components."""
    return match.score if part == "score" else match.components.get(part, 0.0)


def _rank_key(part: str, match: Match) -> tuple[float, int]:
    """Sort key: the part, then the lower offer id."""
    return _part(match, part), -match.offer_id


def measure(engine: MatchEngine, n: int, depth: int) -> dict[str, Any]:
    """Top-1 of the score and of each part alone over the needs 1..n of ``engine``."""
    hits = {p: 0 for p in PARTS}
    vi_winner = in_candidates = 0
    for k in range(n):
        found = engine.match(1 + k, depth, with_reasons=False)
        target = 10001 + k
        if not found:
            continue
        in_candidates += any(m.offer_id == target for m in found)
        vi_winner += found[0].offer_id >= 20001
        for part in PARTS:
            best = max(found, key=functools.partial(_rank_key, part))
            hits[part] += best.offer_id == target
    out: dict[str, Any] = {f"top1_{p}": hits[p] / n for p in PARTS}
    out["winner_is_vi"] = vi_winner / n
    out["translation_in_candidates"] = in_candidates / n
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--backend", default=os.environ.get("TECHMATCH_MODEL_BACKEND"))
    parser.add_argument(
        "--bitext",
        type=Path,
        default=Path("/work/shared/data/bitext")
        if not (ROOT.parent / "shared").is_dir()
        else ROOT.parent / "shared" / "data" / "bitext",
    )
    parser.add_argument("--pairs", type=int, default=450)
    parser.add_argument("--depth", type=int, default=20)
    parser.add_argument("--alignment-strength", type=float, default=None)
    parser.add_argument("--fitted-fusion", choices=("on", "off"), default="on")
    parser.add_argument(
        "--fusion", type=Path, help="a fusion file fit_fusion.py wrote (default: the committed one)"
    )
    parser.add_argument("--vectors", type=Path, help="npz of raw vectors keyed by corpus.lang")
    parser.add_argument(
        "--output", type=Path, default=ROOT / "benchmarks" / "results" / "bitext_engine.json"
    )
    args = parser.parse_args()
    from models import load_model

    cache = Path(os.environ.get("TECHMATCH_MODEL_CACHE", ".cache/models"))
    model = CachedModel(load_model(None, cache, backend=args.backend))
    bitext = {c: read_bitext(args.bitext, c) for c in CORPORA}
    if args.vectors:  # embeddings computed before by the same model and backend
        with np.load(args.vectors) as saved:
            for corpus, (vi, en) in bitext.items():
                for lang, texts in (("vi", vi), ("en", en)):
                    model._cache.update(zip(texts, saved[f"{corpus}.{lang}"], strict=True))
            if "pairs.vi" in saved.files:  # the VI → EN map's pairs (data/parallel)
                from indexer.alignment import read_pairs

                for texts, key in zip(read_pairs(), ("pairs.vi", "pairs.en"), strict=True):
                    model._cache.update(zip(texts, saved[key], strict=True))
    config = dataclasses.replace(
        EngineConfig(), key_terms=0, fitted_fusion=args.fitted_fusion == "on"
    )
    if args.alignment_strength is not None:
        config = dataclasses.replace(config, alignment_strength=args.alignment_strength)
    report: dict[str, Any] = {
        "config": {
            "alignment_strength": config.alignment_strength,
            "fitted_fusion": config.fitted_fusion,
            "pairs": args.pairs,
            "depth": args.depth,
            "fusion": str(args.fusion or "committed"),
        }
    }
    start = time.process_time()
    for corpus, (vi, en) in bitext.items():
        folds = []
        for fold in (0, 1):
            engine = MatchEngine(model, config)
            if args.fusion and config.fitted_fusion:
                doc = json.loads(args.fusion.read_text("utf-8"))
                engine.fitted = FittedFusion.from_json(doc["model"])
                engine.set_rescore(None)
            engine.upsert(fold_postings(vi, en, args.pairs, fold))
            folds.append(measure(engine, args.pairs, args.depth))
        report[corpus] = {k: float(np.mean([f[k] for f in folds])) for k in folds[0]}
        print(corpus, json.dumps(report[corpus]), flush=True)
    report["cpu_seconds"] = time.process_time() - start
    report["load"] = os.getloadavg()
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(report, indent=1) + "\n", "utf-8")


if __name__ == "__main__":
    main()
