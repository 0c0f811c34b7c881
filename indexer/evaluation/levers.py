"""Measured levers of issue 15: the VI → EN map's strength and the sentence part's weight.

Each lever is measured on every split part with the hybrid system, so its setting can be
chosen on the tuning part and reported on the held-out part:

- :func:`alignment_grid`: the dev set indexed with the map at each strength (0: centering
  alone), and the bitext mixed pools with the same map (fitted on the in-domain pairs of
  ``data/parallel/``, another corpus than the bitext);
- :func:`sentence_grid`: every need's ranking re-fused with the sentence part
  (:func:`indexer.scoring.best_aligned_cosine`) at each weight (0: today's score).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from indexer.alignment import LanguageMap, fit_map, read_pairs
from indexer.bias import LanguageStats, l2_normalize, standardize_by_language
from indexer.engine import EngineConfig, MatchEngine
from indexer.evaluation.bitext import CORPORA, read_bitext
from indexer.evaluation.devset import DevSet
from indexer.evaluation.ranking import rankings, score_rankings
from indexer.features import evidence_sentences
from indexer.scoring import best_aligned_cosine, fuse, sentence_signal

if TYPE_CHECKING:
    from models import EmbeddingModel

STRENGTHS = (0.0, 0.1, 0.25, 0.5, 0.75, 1.0)
SENTENCE_WEIGHTS = (0.0, 0.05, 0.1, 0.2, 0.35, 0.5)


class CachedModel:
    """``model`` with its embeddings remembered by text: a grid indexes the same texts many
    times, and the vectors are the model's own."""

    def __init__(self, model: EmbeddingModel) -> None:
        self.model, self.name, self.dimension = model, model.name, model.dimension
        self.backend = str(getattr(model, "backend", ""))
        self._cache: dict[str, np.ndarray] = {}

    def encode(self, texts: Sequence[str], batch_size: int = 32) -> np.ndarray:
        """Rows of the model's embeddings of ``texts`` (computed once per text)."""
        missing = [t for t in dict.fromkeys(texts) if t not in self._cache]
        if missing:
            vectors = self.model.encode(missing, batch_size=batch_size)
            self._cache.update(zip(missing, vectors, strict=True))
        if not texts:
            return np.zeros((0, self.dimension), np.float32)
        return np.stack([self._cache[t] for t in texts])


def _ndcg(metrics: dict[str, Any]) -> dict[str, float]:
    return {
        "ndcg@10": float(metrics["overall"].get("ndcg@10", 0.0)),
        "cross_ndcg@10": float(metrics["cross_lingual_only"].get("ndcg@10", 0.0)),
    }


def fitted_map(model: EmbeddingModel) -> LanguageMap:
    """The full (strength 1) map of ``model`` fitted on ``data/parallel/pairs.jsonl``."""
    vi, en = read_pairs()
    return fit_map(model.encode(vi), model.encode(en))


def mixed_pool_top1(vi: np.ndarray, en: np.ndarray, amap: LanguageMap) -> tuple[float, float]:
    """(VI, EN queries) top-1 in a pool of both languages, as
    :func:`indexer.evaluation.bitext.mixed_pool_accuracy` with correction, plus ``amap``."""
    n = len(vi)
    stats = LanguageStats.fit(np.vstack([vi, en]), ["vi"] * n + ["en"] * n)
    cvi = amap.apply(stats.correct(vi, ["vi"] * n), ["vi"] * n)
    cen = stats.correct(en, ["en"] * n)
    pool, langs = np.vstack([cen, cvi]), ["en"] * n + ["vi"] * n
    out = []
    for queries, own, target in ((cvi, n, 0), (cen, 0, n)):
        sims = standardize_by_language(queries, pool, langs)
        sims[np.arange(n), own + np.arange(n)] = -np.inf
        out.append(float((sims.argmax(axis=1) == np.arange(n) + target).mean()))
    return out[0], out[1]


def alignment_grid(
    model: EmbeddingModel,
    devset: DevSet,
    parts: dict[str, DevSet],
    bitext_dir: Path | None = None,
    strengths: Sequence[float] = STRENGTHS,
    bitext_limit: int = 0,
) -> dict[str, Any]:
    """``{"devset": {strength: {part: nDCG}}, "bitext": {corpus: {strength: top-1}}}``."""
    cached = CachedModel(model)
    full = fitted_map(cached)
    base = dataclasses.replace(EngineConfig(), alignment_strength=0.0)
    dev: dict[str, dict[str, dict[str, float]]] = {}
    for strength in strengths:
        engine = MatchEngine(cached, base, full.shrunk(strength) if strength else None)
        engine.upsert(devset.needs + devset.offers)
        ranked = rankings(engine, devset)
        dev[str(strength)] = {p: _ndcg(score_rankings(ranked, ds)) for p, ds in parts.items()}
    out: dict[str, Any] = {"devset": dev}
    if bitext_dir is not None and Path(bitext_dir).is_dir():
        bitext: dict[str, dict[str, dict[str, float]]] = {}
        for corpus in CORPORA:
            vi_text, en_text = read_bitext(Path(bitext_dir), corpus)
            if bitext_limit:
                vi_text, en_text = vi_text[:bitext_limit], en_text[:bitext_limit]
            vi, en = l2_normalize(model.encode(vi_text)), l2_normalize(model.encode(en_text))
            bitext[corpus] = {}
            for strength in strengths:
                top_vi, top_en = mixed_pool_top1(vi, en, full.shrunk(strength))
                bitext[corpus][str(strength)] = {"mixed_vi": top_vi, "mixed_en": top_en}
        out["bitext"] = bitext
    return out


def sentence_grid(
    model: EmbeddingModel,
    devset: DevSet,
    parts: dict[str, DevSet],
    weights: Sequence[float] = SENTENCE_WEIGHTS,
    config: EngineConfig | None = None,
) -> dict[str, dict[str, dict[str, float]]]:
    """``{weight: {part: nDCG}}``: the hybrid's rankings re-fused with the sentence part."""
    config = config or EngineConfig()
    engine = MatchEngine(model, config)
    engine.upsert(devset.needs + devset.offers)
    sentence_vectors: dict[int, np.ndarray] = {}
    for posting in devset.needs + devset.offers:
        prepared = engine.get(posting.id)
        if prepared is None:
            continue
        texts = evidence_sentences(prepared)
        sentence_vectors[posting.id] = engine.bias.correct(
            model.encode(texts), [prepared.language or "other"] * len(texts)
        )
    n_offers = len(devset.offers)
    matches = {n.id: engine.match(n.id, n_offers, with_reasons=False) for n in devset.needs}
    out: dict[str, dict[str, dict[str, float]]] = {}
    for weight in weights:
        fusion = dataclasses.replace(config.fusion, sentence_weight=weight)
        ranked: dict[int, list[tuple[int, float, bool]]] = {}
        for need_id, found in matches.items():
            need = engine.get(need_id)
            assert need is not None
            rows = []
            for m in found:
                offer = engine.get(m.offer_id)
                assert offer is not None
                best = best_aligned_cosine(sentence_vectors[need_id], sentence_vectors[offer.id])
                z = (
                    None
                    if best is None
                    else engine.bias.z(need_id, offer.language or "other", best)
                )
                score, _ = fuse(
                    need, offer, m.components["dense_z"], m.components["lexical"], fusion,
                    sentence_signal(z, fusion),
                )  # fmt: skip
                rows.append((m.offer_id, score, m.recommended))
            rows.sort(key=lambda r: (-r[1], r[0]))
            ranked[need_id] = rows
        out[str(weight)] = {p: _ndcg(score_rankings(ranked, ds)) for p, ds in parts.items()}
    return out
