"""Evaluation of need → offer ranking on the development set, per system.

Systems are engine configurations: BM25 alone, dense alone (raw), dense with
bias correction, and the hybrid (the default). Metrics: nDCG@10, Recall@10 and
MRR over needs with at least one relevant offer, overall and on the
cross-lingual-only needs; and how well the ``recommended`` flag separates
needs with a good offer from needs without one.
"""

from __future__ import annotations

import dataclasses
from statistics import mean
from typing import TYPE_CHECKING, Any

from indexer.engine import EngineConfig, MatchEngine
from indexer.evaluation.devset import DevSet
from indexer.evaluation.metrics import ndcg_at_k, recall_at_k, reciprocal_rank
from indexer.scoring import FusionConfig

if TYPE_CHECKING:
    from models import EmbeddingModel

DENSE_ONLY = FusionConfig(dense_weight=1.0, lexical_weight=0.0, field_weight=0.0)


def systems(base: EngineConfig | None = None) -> dict[str, EngineConfig]:
    """The configurations compared by ``techmatch eval``, derived from ``base``."""
    base = base or EngineConfig()
    bm25 = FusionConfig(
        dense_weight=0.0, lexical_weight=1.0, field_weight=0.0, cross_lingual_lexical="raw"
    )
    return {
        "bm25": dataclasses.replace(base, fusion=bm25),
        "dense_raw": dataclasses.replace(base, bias_correction="none", fusion=DENSE_ONLY),
        "dense_corrected": dataclasses.replace(base, fusion=DENSE_ONLY),
        "hybrid": base,
    }


def rankings(engine: MatchEngine, devset: DevSet) -> dict[int, list[tuple[int, float, bool]]]:
    """For every need: ``(offer_id, score, recommended)`` over the whole offer pool, best first."""
    n_offers = len(devset.offers)
    return {
        need.id: [(m.offer_id, m.score, m.recommended) for m in engine.match(need.id, n_offers)]
        for need in devset.needs
    }


def score_rankings(
    ranked: dict[int, list[tuple[int, float, bool]]], devset: DevSet, k: int = 10
) -> dict[str, Any]:
    """Metrics of one system's rankings (see module docstring)."""
    judged = [n.id for n in devset.needs if devset.relevant(n.id)]
    cross = [i for i in devset.need_ids_with("cross_lingual_only") if i in judged]

    def block(ids: list[int]) -> dict[str, float]:
        ids = [i for i in ids if i in ranked]
        if not ids:
            return {"needs": 0}
        lists = {i: [o for o, _, _ in ranked[i]] for i in ids}
        return {
            "needs": len(ids),
            f"ndcg@{k}": mean(ndcg_at_k(lists[i], devset.qrels[i], k) for i in ids),
            f"recall@{k}": mean(recall_at_k(lists[i], devset.qrels[i], k) for i in ids),
            "mrr": mean(reciprocal_rank(lists[i], devset.qrels[i]) for i in ids),
        }

    no_good = devset.need_ids_with("no_good_offer")
    with_good = [n.id for n in devset.needs if devset.relevant(n.id, 2)]
    silent = [i for i in no_good if not any(r for _, _, r in ranked.get(i, []))]
    served_any = [i for i in with_good if any(r for _, _, r in ranked.get(i, []))]
    served_good = [
        i
        for i in with_good
        if any(r and devset.qrels[i].get(o, 0) >= 1 for o, _, r in ranked.get(i, []))
    ]
    return {
        "overall": block(judged),
        "cross_lingual_only": block(cross),
        "recommend": {
            "no_good_offer_needs": len(no_good),
            "no_good_offer_without_recommendation": len(silent) / max(len(no_good), 1),
            "needs_with_grade2": len(with_good),
            "grade2_needs_with_a_recommendation": len(served_any) / max(len(with_good), 1),
            "grade2_needs_with_a_relevant_recommendation": len(served_good)
            / max(len(with_good), 1),
        },
    }


def evaluate_ranking(
    model: EmbeddingModel, devset: DevSet, configs: dict[str, EngineConfig] | None = None
) -> dict[str, dict[str, Any]]:
    """Index the development set under each configuration and score its rankings."""
    by_part = evaluate_ranking_by_part(model, devset, {"all": devset}, configs)
    return {name: parts["all"] for name, parts in by_part.items()}


def evaluate_ranking_by_part(
    model: EmbeddingModel,
    devset: DevSet,
    parts: dict[str, DevSet],
    configs: dict[str, EngineConfig] | None = None,
) -> dict[str, dict[str, dict[str, Any]]]:
    """``{system: {part: metrics}}``: the whole set is indexed once per system (every need and
    offer, as the service would hold them) and each part (e.g. from
    :func:`indexer.evaluation.devset.split_parts`) is scored on the same rankings."""
    configs = configs or systems()
    report: dict[str, dict[str, dict[str, Any]]] = {}
    for name, config in configs.items():
        engine = MatchEngine(model, config)
        engine.upsert(devset.needs + devset.offers)
        ranked = rankings(engine, devset)
        report[name] = {part: score_rankings(ranked, ds) for part, ds in parts.items()}
    return report
