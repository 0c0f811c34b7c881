"""The "need's most specific concept absent from the offer" levers, tune-chosen (issue 15).

Indexes ``data/devset`` once (hand-set ranking, as :mod:`benchmarks.fit_fusion`), builds the
pair table of :func:`benchmarks.fit_fusion.pair_table` and, per lever, one more feature column
read from the postings' glossary concepts (:mod:`indexer.concepts`, each concept weighted by
its IDF over the pool): the share of the need's concepts (all, top 3, title + keywords, title,
keywords) that the offer mentions, whether the need's rarest concept is absent (``top1``),
the largest IDF among the absent ones over the need's largest (``missmax``), the same read
from the offer's side (``offer …``: the offer's concepts looked up in the need), and two
products with the dense part. For each column the fusion is chosen and refitted exactly as
``fit_fusion.py`` does (C and weighting by 5-fold CV on tune nDCG@10, the rule on the tune
needs' out-of-fold scores, :func:`benchmarks.fit_fusion.choose_rule`); the held-out part is
only reported. A lever is kept only if it raises the tune out-of-fold rule objective without
lowering the tune CV nDCG@10, and then passes the held-out guard (nDCG@10 within 0.005 of
today's, silent >= 0.90). Nothing is written to ``indexer/resources``:

    TECHMATCH_MODEL_CACHE=.cache/models python benchmarks/concept_gap_levers.py --backend torch
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.fit_fusion import (  # noqa: E402
    choose_rule,
    cross_validate,
    fit_on,
    mean_ndcg,
    out_of_fold,
    pair_table,
    scores_of,
)
from indexer.concepts import ConceptLexicon, Mentions  # noqa: E402
from indexer.engine import EngineConfig, MatchEngine  # noqa: E402
from indexer.evaluation.abstention import candidates_from_pairs, figures  # noqa: E402
from indexer.evaluation.devset import DevSet, load_devset, read_split, split_parts  # noqa: E402
from indexer.fusion import FEATURES  # noqa: E402
from vocabulary.glossary import glossary  # noqa: E402

RESULT = ROOT / "benchmarks" / "results" / "concept_gap_levers.json"
Pair = Callable[[int, int], float]


def lever_columns(engine: MatchEngine, devset: DevSet, table: dict[str, Any]) -> dict[str, Any]:
    """Lever name → one feature value per row of ``table``."""
    concepts = engine.concepts
    lexicon = ConceptLexicon(glossary())
    posts = {p.id: p for p in devset.needs + devset.offers}
    full = {i: concepts.concepts(i) for i in posts}
    title = {i: lexicon.mentions(p.title) for i, p in posts.items()}
    keys = {i: lexicon.mentions(", ".join(p.keywords)) for i, p in posts.items()}
    head = {i: lexicon.mentions(f"{p.title}. {', '.join(p.keywords)}") for i, p in posts.items()}
    idf = concepts.idf

    def share(src: dict[int, Mentions], k: int | None = None) -> Pair:
        def f(a: int, b: int) -> float:
            items = sorted(((idf(c), c) for c in src[a]), reverse=True)[:k]
            total = sum(w for w, _ in items)
            return sum(w for w, c in items if c in full[b]) / total if total > 0 else 0.0

        return f

    def top1_absent(src: dict[int, Mentions]) -> Pair:
        def f(a: int, b: int) -> float:
            if not src[a]:
                return 0.0
            top = max(idf(c) for c in src[a])
            rarest = [c for c in src[a] if math.isclose(idf(c), top)]
            return 1.0 if all(c not in full[b] for c in rarest) else 0.0

        return f

    def missmax(src: dict[int, Mentions]) -> Pair:
        def f(a: int, b: int) -> float:
            weights = {c: idf(c) for c in src[a]}
            missing = [w for c, w in weights.items() if c not in full[b]]
            return max(missing) / max(weights.values()) if missing else 0.0

        return f

    def offer_side(f: Pair) -> Pair:
        return lambda need, offer: f(offer, need)

    levers: dict[str, Pair] = {
        "share of the need's top-3 concepts": share(full, 3),
        "share of the need's title + keyword concepts": share(head),
        "share of the need's title concepts": share(title),
        "share of the need's keyword concepts": share(keys),
        "need's rarest concept absent (top1)": top1_absent(full),
        "need's rarest title + keyword concept absent": top1_absent(head),
        "largest absent IDF / largest IDF (missmax)": missmax(full),
        "missmax over title + keyword concepts": missmax(head),
        "offer: share of its concepts the need mentions": offer_side(share(full)),
        "offer: share of its title + keyword concepts": offer_side(share(head)),
        "offer: its rarest title + keyword concept absent": offer_side(top1_absent(head)),
    }
    pairs = list(zip(table["need"].tolist(), table["offer"].tolist(), strict=True))
    out = {name: np.array([f(n, o) for n, o in pairs]) for name, f in levers.items()}
    dense = table["x"][:, FEATURES.index("dense")]
    top1 = out["need's rarest title + keyword concept absent"]
    out["top1 (title + keywords) x dense"] = top1 * dense
    out["(1 - title share) x dense"] = (1 - out["share of the need's title concepts"]) * dense
    return out


def evaluate(
    table: dict[str, Any], devset: DevSet, parts: dict[str, DevSet], tune: list[int]
) -> dict[str, Any]:
    """The fit_fusion choice on ``table`` (tune only) and its tune / held-out figures."""
    grid = cross_validate(table, devset, tune)
    choice = max(grid, key=lambda k: (grid[k], k))
    c, weighting = float(choice.split(",")[0].removeprefix("C=")), choice.split(",")[1]
    model = fit_on(table, np.isin(table["need"], tune), c, weighting)
    oof = out_of_fold(table, tune, c, weighting)
    rule, _ = choose_rule(oof, parts["tune"])
    scores = scores_of(model, table, np.ones(len(table["need"]), dtype=bool))
    cross = table["x"][:, FEATURES.index("cross_lingual")] > 0.5
    cands = candidates_from_pairs(
        table["need"].tolist(), table["offer"].tolist(), scores.tolist(), cross.tolist()
    )
    held = parts["heldout"]
    held_fig, oof_fig = figures(cands, rule, held), figures(oof, rule, parts["tune"])
    cross_held = held.need_ids_with("cross_lingual_only")
    return {
        "choice": choice,
        "cv_tune_ndcg@10": grid[choice],
        "threshold": rule.threshold,
        "tune_out_of_fold": {"silent": oof_fig["silent"], "grade2": oof_fig["grade2"]},
        "heldout": {
            "ndcg@10": mean_ndcg(table, scores, devset, [n.id for n in held.needs]),
            "cross_lingual_ndcg@10": mean_ndcg(table, scores, devset, cross_held),
            "silent": held_fig["silent"],
            "grade2": held_fig["grade2"],
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="multilingual-e5-small")
    parser.add_argument("--backend", default=None)
    parser.add_argument("--out", type=Path, default=RESULT)
    args = parser.parse_args()
    from benchmarks.machine import machine
    from models import load_model

    load_start, started, cpu = os.getloadavg(), time.perf_counter(), time.process_time()
    cache = Path(os.environ.get("TECHMATCH_MODEL_CACHE") or ROOT / ".cache" / "models")
    model = load_model(args.model, cache, backend=args.backend)
    devset, split = load_devset(), read_split()
    parts = split_parts(devset, split)
    tune = sorted(n for n, p in split.items() if p == "tune")
    engine = MatchEngine(model, EngineConfig(fitted_fusion=False))
    engine.upsert(devset.needs + devset.offers)
    table = pair_table(engine, devset)
    rows = {"none (the committed features)": evaluate(table, devset, parts, tune)}
    for name, column in lever_columns(engine, devset, table).items():
        extended = {**table, "x": np.column_stack([table["x"], column])}
        rows[name] = evaluate(extended, devset, parts, tune)
        print(name, json.dumps(rows[name]), flush=True)
    result = {
        "benchmark": "concept_gap_levers",
        "command": " ".join(["python", "benchmarks/concept_gap_levers.py", *sys.argv[1:]]),
        "machine": machine(getattr(model, "backend", None)),
        "load_average_start": list(load_start),
        "load_average_end": list(os.getloadavg()),
        "seconds": time.perf_counter() - started,
        "cpu_seconds": time.process_time() - cpu,
        "levers": rows,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
