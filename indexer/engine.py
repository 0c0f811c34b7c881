"""The matching engine: postings in, ranked counterparts with reasons out.

:class:`MatchEngine` is a facade over small parts, one per concept:

- :mod:`indexer.store` keeps the postings, raw vectors and lexical features;
- :mod:`indexer.features` derives those features from a posting's text;
- :mod:`indexer.bias` corrects the same-language bias (and says when to refit);
- :mod:`indexer.retrieval` finds candidates (FAISS + BM25, one of each per kind);
- :mod:`indexer.scoring` fuses the signals into one score per pair;
- :mod:`indexer.recommendation` sets the ``recommended`` flag;
- :mod:`indexer.selection` picks pairs under per-need / per-offer caps;
- :mod:`indexer.reasons` explains a pair (only when asked);
- :mod:`indexer.persistence` saves and loads the state; :mod:`indexer.inspection`
  summarises it.

The engine is derived data: a lost or stale file is rebuilt from the postings. Not
thread-safe: callers serialise access (the service holds one lock).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from indexer.bias import BiasModel, LanguageStats, needs_refit, sample_references, z_stats
from indexer.config import EngineConfig
from indexer.errors import IndexLoadError, UnknownPosting
from indexer.features import embedding_text, featurise, prepare
from indexer.inspection import EngineInfo, describe
from indexer.persistence import FORMAT_VERSION, INDEX_FILE, model_backend, read_index, write_index
from indexer.postings import KINDS, Filters, Kind, Match, Posting, Reasons, other_kind
from indexer.reasons import explain_pair
from indexer.recommendation import Recommender
from indexer.retrieval import Dense, Retriever
from indexer.scoring import PairScorer
from indexer.selection import Candidate, select_pairs
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


class MatchEngine:
    """Bilingual need ↔ offer matching over an in-memory pool (see module docstring)."""

    def __init__(self, model: EmbeddingModel, config: EngineConfig | None = None) -> None:
        self.model = model
        self.config = config or EngineConfig()
        self.dimension = model.dimension
        self.embedded_count = 0  # texts embedded since creation (for re-import checks)
        self._reset()

    def _reset(self, store: PostingStore | None = None) -> None:
        """Empty (or ``store``-filled) parts, wired together."""
        config = self.config
        self.store = store or PostingStore(self.dimension)
        self.bias = BiasModel(self.dimension, config.bias_correction)
        self.retriever = Retriever(
            self.store,
            self.corrected_vectors,
            config.ann,
            config.ann_threshold,
            config.lexical_background_above,
        )
        self.scorer = PairScorer(self.bias.z, self.retriever.pair_lexical, config.fusion)
        self.recommender = Recommender(self._best_needs, config.fusion)

    # ------------------------------------------------------------------ pool
    @property
    def model_name(self) -> str:
        """Name of the embedding model the vectors come from."""
        return self.model.name

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
        c = self.config
        return needs_refit(
            self.bias.stats.fitted_on,
            len(self.store.raw),
            c.always_refit_below,
            c.refit_min_change,
            c.refit_growth,
        )

    def wait_for_background(self, timeout: float | None = None) -> None:
        """Wait for background BM25 rebuilds to finish (tests, benchmarks)."""
        for lex in self.retriever.lex.values():
            lex.wait(timeout)

    def clear_caches(self) -> None:
        """Forget every cache valid for one pool state (benchmarks measure cold calls)."""
        self.retriever.invalidate()
        self.recommender.clear()

    def upsert(self, postings: Sequence[Posting]) -> None:
        """Add or replace postings by id; only postings whose text changed are re-embedded."""
        self.clear_caches()
        prepared = [prepare(p) for p in postings]
        changed = [p for p in prepared if self.store.hashes.get(p.id) != p.content_hash()]
        for posting in prepared:
            old = self.store.get(posting.id)
            if old is not None and old.kind != posting.kind:
                self._remove(posting.id)
            self.store.put(posting)
        if changed:
            self._embed(changed)
        if self.refit_due():
            self._refit()
        else:
            self._index_vectors([p.id for p in prepared])

    def delete(self, ids: Iterable[int]) -> None:
        """Remove postings by id (unknown ids are ignored)."""
        self.clear_caches()
        for posting_id in list(ids):
            self._remove(posting_id)

    def rebuild(self, postings: Sequence[Posting]) -> None:
        """Drop everything and index ``postings`` from scratch (re-embedding all)."""
        self.embedded_count = 0
        self._reset()
        self.upsert(postings)

    def _embed(self, postings: list[Posting]) -> None:
        segment = self.config.segment_for_embedding
        vectors = self.model.encode(
            [embedding_text(p, segment) for p in postings], batch_size=self.config.batch_size
        )
        self.embedded_count += len(postings)
        new_terms: list[str] = []
        for posting, vector in zip(postings, vectors, strict=True):
            features = featurise(posting, self.config.key_terms)
            self.store.set_embedding(posting, vector, features)
            new_terms.extend(features.terms)
        unique = self.store.missing_terms(new_terms)
        if unique:
            term_vectors = self.model.encode(unique, batch_size=64)
            self.store.term_vectors.update(zip(unique, term_vectors, strict=True))

    def _remove(self, posting_id: int) -> None:
        posting = self.store.remove(posting_id)
        if posting is not None:
            self.bias.zstats.pop(posting_id, None)
            self.retriever.remove(posting)

    # ------------------------------------------------------- bias correction
    def corrected_vectors(self, ids: Sequence[int]) -> np.ndarray:
        """Bias-corrected, unit-length vectors of indexed postings (one row per id)."""
        return self.bias.correct(
            self.store.raw_matrix(list(ids)), [self.store.language(i) for i in ids]
        )

    def _refit(self) -> None:
        """Refit the language statistics and the reference samples, then re-derive vectors."""
        ids = self.store.embedded_ids()
        languages = [self.store.language(i) for i in ids]
        raw = self.store.raw_matrix(ids) if ids else np.zeros((0, self.dimension))
        self.bias.stats = LanguageStats.fit(raw, languages)
        members: dict[str, list[tuple[int, str]]] = {
            kind: [(i, lang) for i, lang in zip(ids, languages, strict=True) if self._is(i, kind)]
            for kind in KINDS
        }
        c = self.config
        self.bias.reference_ids = sample_references(
            members, c.reference_sample, c.min_language_reference, c.seed
        )
        self._apply_stats()

    def _is(self, posting_id: int, kind: str) -> bool:
        return self.store.postings[posting_id].kind == kind

    def _apply_stats(self) -> None:
        """Rebuild the FAISS indexes, reference samples and z statistics from raw vectors."""
        ids = self.store.embedded_ids()
        self.retriever.rebuild_dense(ids)
        self.bias.set_references(
            {
                key: self.corrected_vectors([i for i in members if i in self.store.raw])
                for key, members in self.bias.reference_ids.items()
            }
        )
        self._index_vectors(ids, dense=False)

    def _index_vectors(self, ids: Sequence[int], dense: bool = True) -> None:
        ids = [i for i in ids if i in self.store.raw]
        if not ids:
            return
        vectors = self.corrected_vectors(ids)
        self.retriever.index(ids, vectors, dense=dense)
        for posting_id, vector in zip(ids, vectors, strict=True):
            target = other_kind(self.store.postings[posting_id].kind)
            self.bias.zstats[posting_id] = z_stats(vector, self.bias.references_of(target))

    # --------------------------------------------------------------- ranking
    def _scored(
        self,
        posting: Posting,
        limit: int,
        min_score: float,
        filters: Filters | None,
        allowed: np.ndarray | None | str = "compute",
        dense: Dense | None = None,
        depth: int | None = None,
    ) -> list[tuple[float, int, float, float | None]]:
        """``(score, counterpart id, cosine, lexical)`` of a posting's candidates, best first;
        ``depth`` overrides the dense search depth (default ``max(candidates, 3·limit)``)."""
        if isinstance(allowed, str):
            allowed = self.retriever.allowed(other_kind(posting.kind), filters)
        k = depth if depth is not None else max(self.config.candidates, limit * 3)
        scored: list[tuple[float, int, float, float | None]] = []
        cosines, lexical = self.retriever.candidates(posting, k, allowed, dense)
        postings = self.store.postings
        for cid, cosine in cosines.items():
            other = postings[cid]
            need, offer = (posting, other) if posting.kind == "need" else (other, posting)
            lex = lexical.get(cid)
            if lex is None:
                lex = self.retriever.pair_lexical(need.id, offer.id)
            score, _ = self.scorer.score(need, offer, cosine, lex)
            if score >= min_score:
                scored.append((score, cid, cosine, lex))
        scored.sort(key=lambda t: (-t[0], t[1]))
        return scored[:limit]

    def _best_needs(self, offer_ids: list[int]) -> dict[int, float]:
        """The best score each offer reaches with any published need (one batched search)."""
        depth = self.config.reciprocal_candidates
        allowed = self.retriever.allowed("need", None)
        if allowed is not None and not len(allowed):
            return dict.fromkeys(offer_ids, 0.0)
        scores, ids = self.retriever.search(
            "need", self.corrected_vectors(offer_ids), depth, allowed
        )
        out: dict[int, float] = {}
        for row, offer_id in enumerate(offer_ids):
            dense = (scores[row], ids[row])
            top = self._scored(self.store.postings[offer_id], 1, 0.0, None, allowed, dense, depth)
            out[offer_id] = top[0][0] if top else 0.0
        return out

    def _make_match(
        self,
        need: Posting,
        offer: Posting,
        cosine: float,
        with_sentences: bool = False,
        lexical: float | None = None,
        with_reasons: bool = True,
    ) -> Match:
        score, components = self.scorer.score(need, offer, cosine, lexical)
        components["cosine"] = cosine
        if with_reasons:
            reasons = explain_pair(self, need, offer, components, with_sentences=with_sentences)
        else:
            reasons = Reasons(language_pair=f"{need.language}-{offer.language}")
        return Match(
            need_id=need.id,
            offer_id=offer.id,
            score=score,
            recommended=self.recommender.recommended(offer.id, score),
            components=components,
            reasons=reasons,
        )

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
        scored = self._scored(posting, limit, min_score, filters)
        is_need = posting.kind == "need"
        self.recommender.prefetch((s, c if is_need else posting_id) for s, c, *_ in scored)
        out = []
        for _, cid, cosine, lexical in scored:
            other = self.store.postings[cid]
            need, offer = (posting, other) if is_need else (other, posting)
            out.append(
                self._make_match(need, offer, cosine, lexical=lexical, with_reasons=with_reasons)
            )
        return out

    def explain(self, need_id: int, offer_id: int) -> Match:
        """Score and full reasons (aligned sentences included) of one need–offer pair."""
        need, offer = self.store.require(need_id), self.store.require(offer_id)
        if need.kind != "need" or offer.kind != "offer":
            raise ValueError("explain() takes a need id and an offer id")
        cosine = float(self.corrected_vectors([need_id])[0] @ self.corrected_vectors([offer_id])[0])
        return self._make_match(need, offer, cosine, with_sentences=True)

    def score_pairs(self, pairs: Iterable[tuple[int, int]]) -> list[float]:
        """The score of each known ``(need id, offer id)`` pair, in order, whatever the
        postings' status: the cosine from the vector index, BM25 and the fusion, as
        :meth:`match` scores a pair it finds, without search depth, reasons or the
        recommended flag. Raises :class:`UnknownPosting` for an id not indexed and
        ``ValueError`` for a pair that is not need–offer."""
        wanted = list(pairs)
        by_need: dict[int, list[int]] = {}
        for need_id, offer_id in wanted:
            need, offer = self.store.require(need_id), self.store.require(offer_id)
            if need.kind != "need" or offer.kind != "offer":
                raise ValueError(f"({need_id}, {offer_id}) is not a need–offer pair")
            by_need.setdefault(need_id, []).append(offer_id)
        cosines = {n: self.retriever.dense_cosines(n, o) for n, o in by_need.items()}
        postings = self.store.postings
        return [self.scorer.score(postings[n], postings[o], cosines[n][o])[0] for n, o in wanted]

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
        """Need–offer pairs over the whole pool, best first, capped per need and per offer.

        ``batched`` (default) searches the dense candidates of many needs at once and
        explains only the returned pairs; ``batched=False`` calls :meth:`match` per need.
        Both give the same pairs."""
        needs = [
            p.id
            for p in self.store
            if p.kind == "need"
            and p.status == "published"
            and (need_ids is None or p.id in need_ids)
        ]
        filters = Filters(ids=frozenset(offer_ids) if offer_ids is not None else None)
        excluded = set(exclude)
        depth = max(per_need * 3, per_need + per_offer, 10)
        if not batched:
            pool: list[Candidate] = []
            for need_id in needs:
                for m in self.match(need_id, limit=depth, min_score=min_score, filters=filters):
                    if (m.need_id, m.offer_id) not in excluded:
                        pool.append(
                            Candidate(m.score, m.need_id, m.offer_id, m.components["cosine"])
                        )
        else:
            pool = self._pair_pool(needs, depth, min_score, filters, excluded)
        chosen = select_pairs(pool, limit, per_need, per_offer)
        self.recommender.prefetch((row.score, row.offer_id) for row in chosen)
        postings = self.store.postings
        return [
            self._make_match(
                postings[c.need_id],
                postings[c.offer_id],
                c.cosine,
                lexical=c.lexical,
                with_reasons=with_reasons,
            )
            for c in chosen
        ]

    def _pair_pool(
        self,
        needs: list[int],
        depth: int,
        min_score: float,
        filters: Filters,
        excluded: set[tuple[int, int]],
        batch: int = 1024,
    ) -> list[Candidate]:
        """Every need's top ``depth`` offers: the dense candidates come from one FAISS search
        per ``batch`` needs; scores, order and ties are exactly those of :meth:`match`."""
        allowed = self.retriever.allowed("offer", filters)
        k = max(self.config.candidates, depth * 3)
        pool: list[Candidate] = []
        if allowed is not None and not len(allowed):
            return pool
        for start in range(0, len(needs), batch):
            chunk = needs[start : start + batch]
            scores, ids = self.retriever.search("offer", self.corrected_vectors(chunk), k, allowed)
            for row, need_id in enumerate(chunk):
                posting = self.store.postings[need_id]
                dense = (scores[row], ids[row])
                for score, offer_id, cosine, lexical in self._scored(
                    posting, depth, min_score, filters, allowed, dense
                ):
                    if (need_id, offer_id) not in excluded:
                        pool.append(Candidate(score, need_id, offer_id, cosine, lexical))
        return pool

    # ------------------------------------------- for explanations (ExplanationSource)
    def tokens_of(self, posting_id: int) -> list[str]:
        """Lexical tokens of an indexed posting."""
        return self.store.tokens.get(posting_id, [])

    def surface(self, posting_id: int, token: str) -> str:
        """The word a lexical token came from in a posting's text (for display)."""
        return self.store.surface(posting_id, token)

    def terms_of(self, posting_id: int) -> list[str]:
        """Key terms of an indexed posting, most characteristic first."""
        return self.store.terms.get(posting_id, [])

    def term_vector(self, term: str) -> np.ndarray | None:
        """Embedding of a key term (computed when its posting was indexed)."""
        return self.store.term_vectors.get(term)

    def idf(self, kind: Kind, token: str) -> float:
        """Inverse document frequency of a token among postings of ``kind``."""
        return self.retriever.lex[kind].idf(token)

    def correct(self, vectors: np.ndarray, language: str) -> np.ndarray:
        """Apply the pool's bias correction to vectors of texts in ``language``."""
        return self.bias.correct(vectors, [language] * len(vectors))

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Embeddings of ``texts`` by the engine's model (for sentence alignment)."""
        return self.model.encode(texts)

    # ------------------------------------------------------------ persistence
    def save(self, directory: Path) -> Path:
        """Write the engine atomically to ``directory/index.npz``; returns the file path."""
        return write_index(
            directory, self.store, self.model, self.bias.stats, self.bias.reference_ids
        )

    @classmethod
    def load(
        cls, directory: Path, model: EmbeddingModel, config: EngineConfig | None = None
    ) -> MatchEngine:
        """Load an engine saved by :meth:`save`; raises :class:`IndexLoadError` if unusable."""
        saved = read_index(directory, model)
        engine = cls(model, config)
        engine._reset(saved.store)
        if saved.stats is not None:
            engine.bias.stats = saved.stats
            engine.bias.reference_ids = saved.reference_ids
            engine._apply_stats()
        return engine
