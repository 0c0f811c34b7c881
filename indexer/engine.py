"""The matching engine: postings in, ranked counterparts with reasons out.

:class:`MatchEngine` is a facade over small parts, one per concept:

- :mod:`indexer.store` keeps the postings, raw vectors and lexical features;
- :mod:`indexer.features` derives those features from a posting's text;
- :mod:`indexer.indexing` keeps every derived structure in step with the store;
- :mod:`indexer.bias` corrects the same-language bias (and says when to refit);
- :mod:`indexer.retrieval` finds candidates (FAISS + BM25, one of each per kind);
- :mod:`indexer.scoring` fuses the signals into one score per pair;
- :mod:`indexer.concepts` finds the glossary concepts both sides of a pair mention;
- :mod:`indexer.fusion` re-scores it with the fitted fusion (the default ranking);
- :mod:`indexer.ranking` orders candidates and builds matches;
- :mod:`indexer.recommendation` sets the ``recommended`` flag;
- :mod:`indexer.selection` picks pairs under per-need / per-offer caps;
- :mod:`indexer.reasons` explains a pair (only when asked), reading the pool through
  :mod:`indexer.pool_view`;
- :mod:`indexer.persistence` saves and loads the state; :mod:`indexer.inspection`
  summarises it.

The engine is derived data: a lost or stale file is rebuilt from the postings. Not
thread-safe: callers serialise access (the service holds one lock).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Collection, Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from indexer.alignment import LanguageMap, adopt_map, pairs_digest, shared_map
from indexer.bias import BiasModel
from indexer.concepts import ConceptIndex
from indexer.config import EngineConfig
from indexer.errors import IndexLoadError, UnknownPosting
from indexer.fusion import FittedFusion, default_fusion
from indexer.indexing import Embedded, Indexer
from indexer.inspection import EngineInfo, describe
from indexer.persistence import FORMAT_VERSION, INDEX_FILE, model_backend, read_index, write_index
from indexer.pool_view import PoolView
from indexer.postings import Filters, Match, Posting
from indexer.ranking import Ranker
from indexer.retrieval import Retriever
from indexer.scoring import FusionConfig, PairScorer, Rescore
from indexer.store import PostingStore

if TYPE_CHECKING:
    from models import EmbeddingModel

__all__ = [
    "FORMAT_VERSION",
    "INDEX_FILE",
    "EngineConfig",
    "EngineInfo",
    "IndexLoadError",
    "MatchEngine",
    "UnknownPosting",
    "model_backend",
]


def fitted_fusion_of(config: EngineConfig) -> FittedFusion | None:
    """The fitted fusion the engine ranks with by default: the committed one when
    ``config.fitted_fusion`` is on and the hand-set fusion's weights and curves (its
    inputs) are the defaults it was fitted over; else ``None`` (the hand-set score)."""
    if not config.fitted_fusion:
        return None
    recommendation = {"recommend_threshold", "reciprocal_margin"}
    defaults = FusionConfig()
    for item in dataclasses.fields(FusionConfig):
        name = item.name
        if name not in recommendation and getattr(config.fusion, name) != getattr(defaults, name):
            return None
    return default_fusion()


#: Names of the shared map's arrays in the index file's extra arrays.
_ROTATION, _PAIRS = "alignment_rotation", "alignment_pairs"


def _aligns(config: EngineConfig) -> bool:
    """Whether an engine of ``config`` applies the shared VI → EN map."""
    return config.alignment_strength > 0 and config.bias_correction != "none"


class MatchEngine:
    """Bilingual need ↔ offer matching over an in-memory pool (see module docstring)."""

    def __init__(
        self,
        model: EmbeddingModel,
        config: EngineConfig | None = None,
        alignment: LanguageMap | None = None,
    ) -> None:
        """``alignment``: a VI → EN map applied after centering (:mod:`indexer.alignment`);
        ``None``: the model's map at ``config.alignment_strength`` (fitted once per process
        and model), or centering alone when that strength is 0."""
        self.model = model
        self.config = config or EngineConfig()
        strength = self.config.alignment_strength
        #: Whether the map is the model's shared one (saved with the index, adopted at load).
        self.shared_alignment = alignment is None and _aligns(self.config)
        if self.shared_alignment:
            alignment = shared_map(model, strength)
        self.alignment = alignment
        self.dimension = model.dimension
        self._rescore: Rescore | None = None
        self.fitted = fitted_fusion_of(self.config)
        self.extra: dict[str, np.ndarray] = {}  # the caller's arrays saved with the index
        self._assemble(PostingStore(self.dimension))

    def _assemble(self, store: PostingStore, saved: dict[str, np.ndarray] | None = None) -> None:
        """Wire fresh parts around ``store`` (empty, or read from a file with the ``saved``
        extra arrays, which may hold the postings' glossary concepts)."""
        c = self.config
        self.store = store
        self.bias = BiasModel(self.dimension, c.bias_correction, self.alignment)
        self.retriever = Retriever(
            store,
            self.corrected_vectors,
            c.ann,
            c.ann_threshold,
            c.lexical_background_above,
            pgvector_url=c.pgvector_url,
            pgvector_table=c.pgvector_table,
        )
        self.indexer = Indexer(self.model, c, store, self.bias, self.retriever)
        scorer = PairScorer(
            self.bias.z, self.retriever.pair_lexical, c.fusion, None, offer_z=self.bias.z
        )
        self.concepts = ConceptIndex()
        if not (saved and self.concepts.restore(saved, store.postings, store.hashes)):
            self.concepts.reset(store.postings.values())
        scorer.concepts = self.concepts.pair_score
        self.view = PoolView(store, self.retriever, self.bias, self.model)
        self.ranker = Ranker(store, self.retriever, scorer, self.view, c)
        self.set_rescore(self._rescore)

    # ------------------------------------------------------------------ pool
    @property
    def model_name(self) -> str:
        """Name of the embedding model the vectors come from."""
        return self.model.name

    @property
    def embedded_count(self) -> int:
        """Texts embedded since creation or the last :meth:`rebuild` (re-import checks)."""
        return self.indexer.embedded_count

    def __len__(self) -> int:
        return len(self.store)

    def __contains__(self, posting_id: object) -> bool:
        return posting_id in self.store

    def ids(self) -> set[int]:
        """Ids of every indexed posting."""
        return set(self.store.postings)

    def get(self, posting_id: int) -> Posting | None:
        """The indexed posting (with its detected language), or ``None``."""
        return self.store.get(posting_id)

    def content_hashes(self) -> dict[int, str]:
        """``{id: content hash}`` of every indexed posting, for staleness checks."""
        return dict(self.store.hashes)

    def info(self) -> EngineInfo:
        """Sizes, BM25 build state and bias refit state (see :class:`EngineInfo`)."""
        return describe(self.store, self.bias, self.retriever, self.embedded_count)

    def refit_due(self) -> bool:
        """True when the bias statistics would be refitted at the next write."""
        return self.indexer.refit_due()

    def wait_for_background(self, timeout: float | None = None) -> None:
        """Wait for background BM25 rebuilds to finish (tests, benchmarks)."""
        for lex in self.retriever.lex.values():
            lex.wait(timeout)

    def clear_caches(self) -> None:
        """Forget every cache valid for one pool state (benchmarks measure cold calls)."""
        self.retriever.invalidate()
        self.ranker.clear()

    # ---------------------------------------------------------------- writes
    def embed_ahead(self, postings: Sequence[Posting]) -> Embedded:
        """Embed what :meth:`upsert` of ``postings`` would embed, changing nothing (safe
        beside concurrent reads; pass the result to :meth:`upsert`)."""
        return self.indexer.embed_ahead(postings)

    def upsert(self, postings: Sequence[Posting], ahead: Embedded | None = None) -> None:
        """Add or replace postings by id; only postings whose text changed are re-embedded
        (``ahead``: computed earlier by :meth:`embed_ahead`)."""
        before = {p.id: self.store.get(p.id) for p in postings}
        refitted = self.indexer.upsert(postings, ahead)
        self._written(before, refitted)

    def delete(self, ids: Iterable[int]) -> None:
        """Remove postings by id (unknown ids are ignored)."""
        before = {i: self.store.get(i) for i in ids}
        self.indexer.delete(before)
        self._written(before, refitted=False)

    def _written(self, before: dict[int, Posting | None], refitted: bool) -> None:
        """Bring the caches up to date after a write (all forgotten after a refit, which
        changes every vector)."""
        self.concepts.sync(before, self.store.postings)
        if refitted:
            self.clear_caches()
            return
        self.retriever.written(before)
        self.ranker.written(before)

    def rebuild(self, postings: Sequence[Posting]) -> None:
        """Drop everything and index ``postings`` from scratch (re-embedding all)."""
        self._assemble(PostingStore(self.dimension))
        self.upsert(postings)

    def corrected_vectors(self, ids: Sequence[int]) -> np.ndarray:
        """Bias-corrected, unit-length vectors of indexed postings (one row per id)."""
        return self.indexer.corrected(ids)

    # --------------------------------------------------------------- ranking
    def match(
        self,
        posting_id: int,
        limit: int = 10,
        min_score: float = 0.0,
        filters: Filters | None = None,
        with_reasons: bool = True,
    ) -> list[Match]:
        """Counterparts of ``posting_id`` (offers for a need, needs for an offer), best first.

        ``with_reasons=False`` leaves each match's reasons empty (but for the language
        pair); scores, flags and order are the same. Raises :class:`UnknownPosting` when
        the posting is not indexed.
        """
        posting = self.store.require(posting_id)
        return self.ranker.match(posting, limit, min_score, filters, with_reasons)

    def explain(self, need_id: int, offer_id: int) -> Match:
        """Score and full reasons (aligned sentences included) of one need–offer pair."""
        need, offer = self._pair(need_id, offer_id)
        vectors = self.corrected_vectors([need_id, offer_id])
        cosine = float(vectors[0] @ vectors[1])
        return self.ranker.make_match(need, offer, cosine, with_sentences=True)

    def score_pairs(self, pairs: Iterable[tuple[int, int]]) -> list[float]:
        """The score of each known ``(need id, offer id)`` pair, in order, whatever the
        postings' status: the cosine from the vector index, BM25 and the fusion, exactly
        as :meth:`match` scores the pair when it finds it, without a search, reasons or
        the recommended flag. Raises :class:`UnknownPosting` for an id not indexed and
        ``ValueError`` for a pair that is not need–offer."""
        return self.ranker.score_pairs([self._pair(n, o) for n, o in pairs])

    def set_rescore(self, rescore: Rescore | None) -> None:
        """Rank with ``rescore`` (a learned ranking) instead of the default one, or go
        back to it with ``None``: the fitted fusion (:mod:`indexer.fusion`, with its own
        recommendation threshold and margin) when :attr:`fitted` is set, else the
        hand-set fusion; kept across :meth:`rebuild`."""
        self._rescore = rescore
        fusion = self.config.fusion
        if rescore is None and self.fitted is not None:
            rescore = self.fitted.rescore
            fusion = dataclasses.replace(
                fusion,
                recommend_threshold=self.fitted.threshold,
                reciprocal_margin=self.fitted.margin,
            )
        self.ranker.scorer.rescore = rescore
        self.ranker.recommender.config = fusion
        self.ranker.recommender.clear()  # best-need scores are on the ranking's scale

    @property
    def recommend_threshold(self) -> float:
        """The score from which the active ranking recommends a pair."""
        return float(self.ranker.recommender.config.recommend_threshold)

    def pair_parts(self, pairs: Iterable[tuple[int, int]]) -> list[dict[str, float]]:
        """The built-in score parts of each known ``(need id, offer id)`` pair, ``fusion``
        (the built-in score) included, whatever the rescore hook (same errors as
        :meth:`score_pairs`)."""
        return self.ranker.pair_parts([self._pair(n, o) for n, o in pairs])

    def _pair(self, need_id: int, offer_id: int) -> tuple[Posting, Posting]:
        need, offer = self.store.require(need_id), self.store.require(offer_id)
        if need.kind != "need" or offer.kind != "offer":
            raise ValueError(f"({need_id}, {offer_id}) is not a need id and an offer id")
        return need, offer

    def pairs(
        self,
        limit: int = 100,
        min_score: float = 0.0,
        per_need: int = 3,
        per_offer: int = 3,
        need_ids: Collection[int] | None = None,
        offer_ids: Collection[int] | None = None,
        exclude: Collection[tuple[int, int]] = (),
        batched: bool = True,
        with_reasons: bool = True,
    ) -> list[Match]:
        """Need–offer pairs over the published needs, best first, capped per need and per
        offer (``need_ids`` / ``offer_ids`` restrict the pool; ``exclude`` pairs are never
        proposed). ``batched`` (default) searches the dense candidates of many needs at
        once; ``batched=False`` ranks need by need. Both give the same pairs."""
        needs = [
            p.id
            for p in self.store
            if p.kind == "need"
            and p.status == "published"
            and (need_ids is None or p.id in need_ids)
        ]
        return self.ranker.pairs(
            needs, limit, min_score, per_need, per_offer, offer_ids, exclude, batched, with_reasons
        )

    # ------------------------------------------------------------ persistence
    def _alignment_arrays(self) -> dict[str, np.ndarray]:
        """The shared VI → EN map's full rotation and its pairs' digest, for the index file
        (fitting it again embeds every pair: seconds of a restart with a real model)."""
        if not self.shared_alignment or self.alignment is None:
            return {}
        return {_ROTATION: self.alignment.rotation, _PAIRS: np.array([pairs_digest()])}

    def save(self, directory: Path, extra: dict[str, np.ndarray] | None = None) -> Path:
        """Write the engine atomically to ``directory/index.npz``; returns the file path.
        ``extra`` arrays are saved with it and come back in :attr:`extra` at load."""
        bias = self.bias
        lexical = {k: lex.export() for k, lex in self.retriever.lex.items()}
        return write_index(
            directory,
            self.store,
            self.model,
            bias.stats,
            bias.reference_ids,
            zstats=bias.zstats,
            lexical=lexical,  # type: ignore[arg-type]
            extra={**(extra or {}), **self.concepts.to_arrays(), **self._alignment_arrays()},
            dense={str(k): v for k, v in self.retriever.export_dense().items()},
            dense_key=bias.correction_key(),
        )

    @classmethod
    def load(
        cls, directory: Path, model: EmbeddingModel, config: EngineConfig | None = None
    ) -> MatchEngine:
        """Load an engine saved by :meth:`save`; raises :class:`IndexLoadError` if unusable."""
        saved = read_index(directory, model)  # of this model and backend, or it raises
        rotation, digest = saved.extra.get(_ROTATION), saved.extra.get(_PAIRS)
        square = (model.dimension, model.dimension)
        if (
            rotation is not None
            and rotation.shape == square
            and digest is not None
            and str(digest[0]) == pairs_digest()
        ):
            adopt_map(model, rotation)  # the map fitted for this model: no pair embedded
        engine = cls(model, config)
        engine._assemble(saved.store, saved.extra)
        if saved.stats is not None:
            engine.bias.stats = saved.stats
            engine.bias.reference_ids = saved.reference_ids
            own = saved.dense_key == engine.bias.correction_key()
            engine.indexer.restore(saved.zstats, saved.dense if own else None)
            for kind, (build, stale) in saved.lexical.items():
                engine.retriever.lex[kind].restore(build, stale)  # type: ignore[index]
        engine.extra = saved.extra
        return engine
