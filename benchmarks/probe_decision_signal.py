"""Is there anything in the decisions for the learned ranking to find? (issue 17)

An *oracle* probe, not a result: the same halves and simulated decisions as
``bench_learning.py`` (held-out needs of the dev set, fitted fusion, each tuning need's top
20 decided); each held-out need's top ``POOL`` (100) candidates are re-ranked by the fitted
fusion's logit plus ``w`` times one standardised signal from the tuning half's decisions,
for a grid of ``w`` that *includes the held-out half's best* — so a signal that gains
nothing here at any ``w`` cannot gain anything once ``w`` is fitted on the decisions.

Signals: ``offer_accept`` and ``offer_rejects`` (:mod:`indexer.offer_decisions`), and
``similar_needs``: the offer's acceptances minus the acceptance rate among tuning needs,
each weighted by ``max(0, cos(need, tuning need))**4`` of the need vectors (what a
moderator's decision on a similar need says about this offer).

    TECHMATCH_MODEL_CACHE=/work/main/.cache/models python benchmarks/probe_decision_signal.py \\
        --backend torch [--seeds 10] [--vectors /tmp/vectors.npz]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.bench_learning import candidates, decisions, dev_engine, pool_needs  # noqa: E402
from indexer.engine import fitted_fusion_of  # noqa: E402
from indexer.evaluation.metrics import ndcg_at_k  # noqa: E402
from indexer.learned import Candidate, Sample, base_of, decisions_of, design  # noqa: E402

WEIGHTS = (-2.0, -1.0, -0.5, -0.25, 0.0, 0.25, 0.5, 1.0, 2.0)


def similar_needs(
    samples: list[Sample], rows: list[Candidate], vectors: dict[int, np.ndarray]
) -> np.ndarray:
    """The ``similar_needs`` signal of each candidate (module docstring)."""
    rate = float(np.mean([s.label for s in samples]))
    by_offer: dict[int, list[tuple[int, int]]] = {}
    for s in samples:
        by_offer.setdefault(s.offer_id, []).append((s.need_id, s.label))
    out = np.zeros(len(rows))
    for i, c in enumerate(rows):
        for other, label in by_offer.get(c.offer_id, ()):
            similarity = max(float(vectors[other] @ vectors[c.need_id]), 0.0) ** 4
            out[i] += similarity * (label - rate)
    return out


def mean_ndcg(rows: list[Candidate], scores: np.ndarray, qrels: dict[int, dict[int, int]]) -> float:
    """Mean nDCG@10 of the candidates' needs, each need's rows ranked by ``scores``."""
    by_need: dict[int, list[tuple[float, int]]] = {}
    for c, score in zip(rows, scores, strict=True):
        by_need.setdefault(c.need_id, []).append((-float(score), c.offer_id))
    values = [ndcg_at_k([o for _, o in sorted(v)][:10], qrels[n], 10) for n, v in by_need.items()]
    return float(np.mean(values))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--backend", default="torch")
    parser.add_argument("--vectors", type=Path, default=None)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()

    devset, engine = dev_engine(args.backend, args.vectors, fitted=True)
    need_ids = pool_needs(devset, "heldout")
    every = sorted(n.id for n in devset.needs)
    matrix = engine.corrected_vectors(every)
    matrix = matrix / np.linalg.norm(matrix, axis=1, keepdims=True)
    vectors = dict(zip(every, matrix, strict=True))
    base = base_of(fitted_fusion_of(engine.config))
    gains: dict[str, dict[float, list[float]]] = {}
    for seed in range(args.seeds):
        order = np.random.default_rng(seed).permutation(need_ids).tolist()
        tune, held = sorted(order[: len(order) // 2]), sorted(order[len(order) // 2 :])
        real = decisions(engine, devset, tune, 20, "accept")
        rows = candidates(engine, [n for n in held if devset.relevant(n)])
        x = design(rows, decisions_of(real))
        logits = base.logits(x)
        signals = {
            "offer_accept": x[:, -2],
            "offer_rejects": x[:, -1],
            "similar_needs": similar_needs(real, rows, vectors),
        }
        before = mean_ndcg(rows, logits, devset.qrels)
        for name, signal in signals.items():
            unit = signal / (signal.std() + 1e-12)
            for w in WEIGHTS:
                after = mean_ndcg(rows, logits + w * unit, devset.qrels)
                gains.setdefault(name, {}).setdefault(w, []).append(after - before)
        print(seed, f"before {before:.4f}", flush=True)
    summary = {
        name: {str(w): round(float(np.mean(v)), 4) for w, v in by_weight.items()}
        for name, by_weight in gains.items()
    }
    if args.out is not None:
        args.out.write_text(json.dumps({"mean_gain": summary, "seeds": args.seeds}, indent=2))
    print(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()
