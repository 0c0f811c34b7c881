"""Learning the ranking from decisions (issue 17): held-out nDCG@10 before and after.

The development set is embedded once with the real model (``multilingual-e5-small``, from
``TECHMATCH_MODEL_CACHE``, offline). Then, for each seed, the needs are split at random
into two halves. On the tuning half, a simulated moderator decides on each need's top
``--suggest`` (20) suggestions of the built-in ranking: grade 2 → accepted, grade 0 and
unjudged → rejected (not relevant), grade 1 (solves part of the need) → accepted as well
(``--grade1 accept``, the default: a moderator sends such a pair to a meeting) or left
undecided (``--grade1 skip``). nDCG gains are the grades. :func:`indexer.learned.evaluate`
cross-validates a learned ranking on those decisions (GroupKFold by need) and applies the
switch rule; :func:`indexer.learned.fit` fits it on all of them. The learned ranking is set
on the engine (``set_rescore``) and every held-out need with a relevant offer is ranked
again over the whole pool: nDCG@10 before, with the learned ranking (forced), and after
the rule (learned if it switched, built-in otherwise).

The built-in ranking is the fitted fusion by default (``--fusion fitted``, the service's
default): it was fitted on the dev set's tuning-part labels, so by default only the needs of
the held-out part (``split.tsv``) are split into the random halves (``--pool heldout``):
the decisions are on needs whose labels the fusion never saw, as at a fair, and "before" is
out of sample too. ``--fusion handset --pool all`` is the earlier setting (all needs).
``--fusion earlier-fair`` is a fair after another one (:mod:`benchmarks.earlier_fair`): the
built-in ranking is the fusion fitted on one round of the dev set only
(``--earlier-round 1|2``), and the halves are drawn from the other round's needs, whose
postings it never saw; each seed also records the same half under the hand-set score and
the shipped fusion (``reference``).
The learned ranking corrects the built-in one (:class:`indexer.learned.Base`), and
"current" in the switch rule is the built-in score of each decided pair.

The switch rule re-ranks each decided need's top ``POOL`` (100) candidates, undecided ones
counting 0 (:mod:`indexer.learned`); each run also records what the first version's rule
(decided pairs only) would have said (``decided_rule``), on the same fits.

The same is repeated with RANDOM decisions (the same suggestions, accepted with the same
rate at random): the rule must refuse, so that "after" equals "before" (no loss).

    TECHMATCH_MODEL_CACHE=/work/main/.cache/models python benchmarks/bench_learning.py \\
        --backend torch [--seeds 10] [--fusion fitted|handset|earlier-fair] \\
        [--earlier-round 1|2] [--pool heldout|all] \\
        [--vectors /tmp/vectors.npz]

``--vectors`` keeps the dev set's vectors in a file, so that a second run does not embed again.

Writes ``benchmarks/results/learning.json`` (per seed, medians, the CPU).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.earlier_fair import earlier_fair_fusion, fair_needs  # noqa: E402
from benchmarks.machine import machine  # noqa: E402
from indexer.config import EngineConfig  # noqa: E402
from indexer.engine import MatchEngine, fitted_fusion_of  # noqa: E402
from indexer.evaluation.caching import CachedModel  # noqa: E402
from indexer.evaluation.devset import DevSet, load_devset, read_split  # noqa: E402
from indexer.evaluation.metrics import ndcg_at_k  # noqa: E402
from indexer.fusion import FittedFusion, default_fusion  # noqa: E402
from indexer.learned import (  # noqa: E402
    POOL,
    Base,
    Candidate,
    LearnedRanking,
    Sample,
    base_of,
    evaluate,
    feature_vector,
    overlap_depths,
    top_overlap,
)

RESULT = ROOT / "benchmarks" / "results" / "learning.json"


def decisions(
    engine: MatchEngine, devset: DevSet, needs: list[int], suggest: int, grade1: str
) -> list[Sample]:
    """The simulated moderator's decisions on the built-in top ``suggest`` of ``needs``."""
    pairs: list[tuple[int, int, int]] = []
    for need_id in needs:
        for match in engine.match(need_id, suggest, with_reasons=False):
            grade = devset.qrels.get(need_id, {}).get(match.offer_id, 0)
            if grade != 1 or grade1 == "accept":
                pairs.append((need_id, match.offer_id, grade))
    parts = engine.pair_parts([(n, o) for n, o, _ in pairs])
    out = []
    for (need_id, offer_id, grade), part in zip(pairs, parts, strict=True):
        need, offer = engine.get(need_id), engine.get(offer_id)
        assert need is not None and offer is not None
        cross = need.language != offer.language
        features = tuple(feature_vector(part, cross))
        out.append(Sample(need_id, offer_id, features, int(grade > 0), grade))
    return out


def candidates(engine: MatchEngine, needs: list[int], limit: int = POOL) -> list[Candidate]:
    """Each need's candidate list under the engine's current ranking: its top ``limit``
    offers with their features and scores (what the switch rule re-ranks)."""
    pairs = [(n, m.offer_id) for n in needs for m in engine.match(n, limit, with_reasons=False)]
    parts = engine.pair_parts(pairs)
    scores = engine.score_pairs(pairs)
    out = []
    for (need_id, offer_id), part, score in zip(pairs, parts, scores, strict=True):
        need, offer = engine.get(need_id), engine.get(offer_id)
        assert need is not None and offer is not None
        features = tuple(feature_vector(part, need.language != offer.language))
        out.append(Candidate(need_id, offer_id, features, score))
    return out


def held_out_ndcg(engine: MatchEngine, devset: DevSet, needs: list[int]) -> float:
    """Mean nDCG@10 of ``needs`` (those with a relevant offer) over the whole offer pool."""
    judged = [n for n in needs if devset.relevant(n)]
    values = []
    for need_id in judged:
        ranked = [m.offer_id for m in engine.match(need_id, 10, with_reasons=False)]
        values.append(ndcg_at_k(ranked, devset.qrels[need_id], 10))
    return float(np.mean(values))


def one_run(
    engine: MatchEngine,
    devset: DevSet,
    samples: list[Sample],
    held_out: list[int],
    base: Base,
    offers: bool = True,
) -> dict[str, Any]:
    """Cross-validate and fit on ``samples``, then measure the held-out needs."""
    engine.set_rescore(None)
    current = engine.score_pairs([(s.need_id, s.offer_id) for s in samples])  # built-in score
    depth = overlap_depths(s.need_id for s in samples)

    def tops() -> dict[int, list[int]]:
        return {
            n: [m.offer_id for m in engine.match(n, k, with_reasons=False)]
            for n, k in depth.items()
        }

    engine.set_rescore(None)
    builtin_tops = tops()

    def overlap(model: LearnedRanking) -> float:
        engine.set_rescore(model.rescore)
        try:
            return top_overlap(builtin_tops, tops())
        finally:
            engine.set_rescore(None)

    pool = candidates(engine, sorted(depth))
    started = time.perf_counter()
    report, model = evaluate(samples, current, overlap, base, pool, offers=offers)
    learn_s = time.perf_counter() - started
    # the first version's rule
    decided_only, _ = evaluate(samples, current, overlap, base, offers=offers)
    before = held_out_ndcg(engine, devset, held_out)
    engine.set_rescore(model.rescore)
    learned = held_out_ndcg(engine, devset, held_out)
    engine.set_rescore(None)
    after = learned if report.switch else before
    return {
        "decisions": report.decisions,
        "needs": report.needs,
        "accepted": report.accepted,
        "cv": report.to_json(),
        "switched": report.switch,
        "decided_rule": {
            "switched": decided_only.switch,
            "reason_code": decided_only.reason_code,
            "gain": decided_only.gain,
            "gain_lower": decided_only.gain_lower,
            "gain_after": (learned - before) if decided_only.switch else 0.0,
        },
        "held_out_ndcg10": {"before": before, "learned": learned, "after": after},
        "gain_after": after - before,
        "gain_forced": learned - before,
        "learn_seconds": learn_s,
        "weights": dict(zip(model.features, model.weights, strict=True)),
    }


def dev_engine(
    backend: str | None, vectors: Path | None, fitted: bool, model_name: str | None = None
) -> tuple[DevSet, MatchEngine]:
    """The dev set and an engine holding all its postings, embedded with the real model
    (``TECHMATCH_MODEL_CACHE``) on ``backend``; the built-in ranking is the fitted fusion
    when ``fitted``, else the hand-set one. ``vectors`` (an npz file) is read when it
    exists and written afterwards, so that a second run embeds nothing."""
    from models import load_model

    cache = os.environ.get("TECHMATCH_MODEL_CACHE")
    model = CachedModel(load_model(model_name, Path(cache) if cache else None, backend))
    if vectors is not None and vectors.exists():
        model.load(vectors)
    devset = load_devset()
    engine = MatchEngine(model, EngineConfig(fitted_fusion=fitted))
    engine.upsert(devset.needs + devset.offers)
    if vectors is not None:
        model.save(vectors)
    return devset, engine


def pool_needs(devset: DevSet, pool: str) -> list[int]:
    """The ids of the needs the random halves are drawn from: the held-out part's
    (``heldout``, which the fitted fusion never saw) or every need (``all``)."""
    need_ids = sorted(n.id for n in devset.needs)
    if pool == "heldout":
        split = read_split()
        need_ids = [n for n in need_ids if split.get(n) == "heldout"]
    return need_ids


def reference_figures(
    engine: MatchEngine, devset: DevSet, held_out: list[int], builtin: FittedFusion | None
) -> dict[str, float]:
    """Held-out nDCG@10 of the same half under the hand-set score and the shipped fitted
    fusion (which saw the tuning part's labels of both rounds, so it is not out of sample
    here), for context; the engine is left ranking with ``builtin``."""
    out = {}
    for name, fusion in (("handset", None), ("shipped_fusion", default_fusion())):
        engine.fitted = fusion
        engine.set_rescore(None)
        out[name] = held_out_ndcg(engine, devset, held_out)
    engine.fitted = builtin
    engine.set_rescore(None)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--suggest", type=int, default=20, help="suggestions decided per need")
    parser.add_argument("--grade1", choices=("accept", "skip"), default="accept")
    parser.add_argument("--model", default="multilingual-e5-small")
    parser.add_argument(
        "--backend",
        default="torch",
        help="model backend (explicit, so that 'auto' never re-measures the shared cache)",
    )
    parser.add_argument(
        "--vectors",
        type=Path,
        default=None,
        help="an .npz file of text vectors read and written (embeds each text once across runs)",
    )
    parser.add_argument("--out", type=Path, default=RESULT)
    parser.add_argument(
        "--offer-decisions",
        choices=("on", "off"),
        default="on",
        help="the per-offer decision features (indexer.offer_decisions); off: the parts only",
    )
    parser.add_argument(
        "--fusion",
        choices=("handset", "fitted", "earlier-fair"),
        default="fitted",
        help="built-in ranking the learned one is compared with (see above; earlier-fair: "
        "fitted on one round of the dev set only, the fair is the other round's needs)",
    )
    parser.add_argument(
        "--earlier-round",
        type=int,
        choices=(1, 2),
        default=1,
        help="with --fusion earlier-fair: the round the fusion is fitted on",
    )
    parser.add_argument(
        "--pool",
        choices=("heldout", "all"),
        default="heldout",
        help="needs split into random halves: the dev set's held-out part (default; no "
        "label of theirs was used to fit the fusion) or all needs",
    )
    args = parser.parse_args()

    started = time.perf_counter()
    devset, engine = dev_engine(args.backend, args.vectors, args.fusion == "fitted", args.model)
    embed_s = time.perf_counter() - started  # embedded once, reused by every seed
    need_ids = pool_needs(devset, args.pool)
    builtin = fitted_fusion_of(engine.config)
    earlier: dict[str, Any] | None = None
    if args.fusion == "earlier-fair":
        builtin, earlier = earlier_fair_fusion(engine.model, devset, args.earlier_round)
        engine.fitted = builtin
        engine.set_rescore(None)
        need_ids = fair_needs(devset, args.earlier_round)
    base = base_of(builtin)
    offers = args.offer_decisions == "on"

    runs: list[dict[str, Any]] = []
    for seed in range(args.seeds):
        rng = np.random.default_rng(seed)
        order = rng.permutation(need_ids).tolist()
        tune, held_out = sorted(order[: len(order) // 2]), sorted(order[len(order) // 2 :])
        real = decisions(engine, devset, tune, args.suggest, args.grade1)
        labels = rng.permutation([s.label for s in real])
        noise = [
            Sample(s.need_id, s.offer_id, s.features, int(y), int(y))
            for s, y in zip(real, labels, strict=True)
        ]
        run: dict[str, Any] = {
            "seed": seed,
            "labelled": one_run(engine, devset, real, held_out, base, offers),
            "random": one_run(engine, devset, noise, held_out, base, offers),
        }
        if earlier is not None:
            run["reference"] = reference_figures(engine, devset, held_out, builtin)
        runs.append(run)
        lab, rnd = run["labelled"], run["random"]
        print(
            f"seed {seed}: {lab['decisions']} decisions / {lab['needs']} needs · labelled "
            f"{lab['held_out_ndcg10']['before']:.4f} → {lab['held_out_ndcg10']['after']:.4f} "
            f"(switched {lab['switched']} cv {lab['cv']['gain']:+.4f} "
            f"≥ {lab['cv']['gain_lower']:+.4f}"
            f", forced {lab['gain_forced']:+.4f}; decided-pairs rule "
            f"{lab['decided_rule']['switched']}) · random: "
            f"switched {rnd['switched']}, after {rnd['gain_after']:+.4f} "
            f"(forced {rnd['gain_forced']:+.4f})",
            flush=True,
        )

    def med(kind: str, key: str) -> float:
        return statistics.median(r[kind][key] for r in runs)

    summary: dict[str, Any] = {
        "seeds": len(runs),
        "median_decisions": statistics.median(r["labelled"]["decisions"] for r in runs),
        "min_decisions": min(r["labelled"]["decisions"] for r in runs),
        "labelled": {
            "switched": sum(r["labelled"]["switched"] for r in runs),
            "median_before": statistics.median(
                r["labelled"]["held_out_ndcg10"]["before"] for r in runs
            ),
            "median_after": statistics.median(
                r["labelled"]["held_out_ndcg10"]["after"] for r in runs
            ),
            "median_gain_after": med("labelled", "gain_after"),
            "min_gain_after": min(r["labelled"]["gain_after"] for r in runs),
            "median_gain_forced": med("labelled", "gain_forced"),
            "decided_rule_switched": sum(r["labelled"]["decided_rule"]["switched"] for r in runs),
            "decided_rule_median_gain_after": statistics.median(
                r["labelled"]["decided_rule"]["gain_after"] for r in runs
            ),
        },
        "random": {
            "switched": sum(r["random"]["switched"] for r in runs),
            "median_gain_after": med("random", "gain_after"),
            "min_gain_after": min(r["random"]["gain_after"] for r in runs),
            "median_gain_forced": med("random", "gain_forced"),
            "decided_rule_switched": sum(r["random"]["decided_rule"]["switched"] for r in runs),
        },
    }
    if earlier is not None:
        summary["reference_median"] = {
            k: statistics.median(r["reference"][k] for r in runs) for k in runs[0]["reference"]
        }
    result = {
        "benchmark": "learning",
        "command": " ".join(["python", "benchmarks/bench_learning.py", *sys.argv[1:]]),
        "model": args.model,
        "suggest": args.suggest,
        "grade1": args.grade1,
        "fusion": args.fusion,
        "pool": f"round {3 - args.earlier_round}" if earlier is not None else args.pool,
        "earlier_fair_fit": earlier,
        "offer_decisions": args.offer_decisions,
        "load_before": os.getloadavg(),
        "embed_seconds": embed_s,
        "machine": machine(getattr(getattr(engine.model, "model", None), "backend", None)),
        "summary": summary,
        "runs": runs,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()
