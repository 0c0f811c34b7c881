"""Index upkeep: postings in, every derived structure kept consistent.

A write normalises the postings, embeds the ones whose text changed, then either
refits the bias statistics (and re-derives every vector from the raw ones) or
indexes only the written postings with the current statistics.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, MutableMapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from indexer.ann import to_index_precision
from indexer.bias import (
    BiasModel,
    LanguageStats,
    ZStats,
    ZTable,
    needs_refit,
    sample_references,
    z_stats,
)
from indexer.config import EngineConfig
from indexer.features import Features, embedding_text, featurise, model_view, prepare
from indexer.postings import KINDS, Posting, other_kind
from indexer.retrieval import Retriever
from indexer.store import PostingStore

if TYPE_CHECKING:
    from models import EmbeddingModel


@dataclass
class Embedded:
    """What :meth:`Indexer.embed_ahead` computed without touching the store: per content
    hash, the posting's raw vector and features, and the vectors of new key terms."""

    vectors: dict[str, tuple[np.ndarray, Features]] = field(default_factory=dict)
    term_vectors: dict[str, np.ndarray] = field(default_factory=dict)


class Indexer:
    """Writes postings into the store and keeps the bias model and indexes in step."""

    def __init__(
        self,
        model: EmbeddingModel,
        config: EngineConfig,
        store: PostingStore,
        bias: BiasModel,
        retriever: Retriever,
    ) -> None:
        self.model, self.config = model, config
        self.store, self.bias, self.retriever = store, bias, retriever
        self.embedded_count = 0  # texts embedded (for re-import checks)

    def corrected(self, ids: Sequence[int]) -> np.ndarray:
        """Bias-corrected, unit-length vectors of stored postings (one row per id), at the
        vector index's precision (:func:`indexer.ann.to_index_precision`): what the index
        stores is what every other product with these vectors uses."""
        corrected = self.bias.correct(
            self.store.raw_matrix(list(ids)), [self.store.language(i) for i in ids]
        )
        return to_index_precision(corrected)

    def refit_due(self) -> bool:
        """True when the bias statistics are to be refitted at the next write."""
        c = self.config
        return needs_refit(
            self.bias.stats.fitted_on,
            len(self.store.raw),
            c.always_refit_below,
            c.refit_min_change,
            c.refit_growth,
        )

    def embed_ahead(self, postings: Sequence[Posting]) -> Embedded:
        """Embed and featurise the postings whose text differs from the stored one, without
        changing anything: the slow part of a write, which callers run outside their
        exclusive lock and pass to :meth:`upsert` (it only reads the store's dicts)."""
        prepared = [prepare(p) for p in postings]
        changed = [p for p in prepared if self.store.hashes.get(p.id) != p.content_hash()]
        out = Embedded()
        if not changed:
            return out
        segment = self.config.segment_for_embedding
        vectors = self.model.encode(
            [embedding_text(p, segment) for p in changed], batch_size=self.config.batch_size
        )
        new_terms: list[str] = []
        for posting, vector in zip(changed, vectors, strict=True):
            features = featurise(posting, self.config.key_terms)
            out.vectors[posting.content_hash()] = (vector, features)
            new_terms.extend(features.terms)
        unique = self.store.missing_terms(new_terms)
        if unique:
            term_vectors = self.model.encode(unique, batch_size=64)
            out.term_vectors = dict(zip(unique, term_vectors, strict=True))
        return out

    def upsert(self, postings: Sequence[Posting], ahead: Embedded | None = None) -> bool:
        """Add or replace postings by id; only postings whose text changed are re-embedded
        (``ahead``: what :meth:`embed_ahead` computed for them; texts it lacks are embedded
        here). Returns True when the bias statistics were refitted (every vector changed)."""
        prepared = [prepare(p) for p in postings]
        changed = [p for p in prepared if self.store.hashes.get(p.id) != p.content_hash()]
        for posting in prepared:
            old = self.store.get(posting.id)
            if old is not None and old.kind != posting.kind:
                self.remove(posting.id)
            self.store.put(posting)
        if ahead is not None:
            self.store.term_vectors.update(ahead.term_vectors)
            for posting in changed:
                found = ahead.vectors.get(posting.content_hash())
                if found is not None:
                    self.store.set_embedding(posting, found[0], found[1])
                    self.embedded_count += 1
            changed = [p for p in changed if p.content_hash() not in ahead.vectors]
        if changed:
            self._embed(changed)
        if self.refit_due():
            self.refit()
            return True
        self._index_vectors([p.id for p in prepared])
        return False

    def delete(self, ids: Iterable[int]) -> None:
        """Remove postings by id (unknown ids are ignored)."""
        for posting_id in list(ids):
            self.remove(posting_id)

    def remove(self, posting_id: int) -> None:
        """Remove one posting from the store, the bias model and the indexes."""
        posting = self.store.remove(posting_id)
        if posting is not None:
            self.bias.zstats.pop(posting_id, None)
            self.retriever.remove(posting)

    def _embed(self, postings: list[Posting]) -> None:
        segment = self.config.segment_for_embedding
        views = [model_view(p, self.config.restore_diacritics) for p in postings]
        vectors = self.model.encode(
            [embedding_text(v, segment) for v in views], batch_size=self.config.batch_size
        )
        self.embedded_count += len(postings)
        new_terms: list[str] = []
        for posting, view, vector in zip(postings, views, vectors, strict=True):
            features = featurise(view, self.config.key_terms)
            self.store.set_embedding(posting, vector, features)
            new_terms.extend(features.terms)
        unique = self.store.missing_terms(new_terms)
        if unique:
            term_vectors = self.model.encode(unique, batch_size=64)
            self.store.term_vectors.update(zip(unique, term_vectors, strict=True))

    def refit(self) -> None:
        """Refit the language statistics and the reference samples, then re-derive vectors."""
        ids = self.store.embedded_ids()
        languages = [self.store.language(i) for i in ids]
        raw = self.store.raw_matrix(ids) if ids else np.zeros((0, self.store.dimension))
        self.bias.stats = LanguageStats.fit(raw, languages)
        postings = self.store.postings
        members: dict[str, list[tuple[int, str]]] = {
            kind: [
                (i, lang)
                for i, lang in zip(ids, languages, strict=True)
                if postings[i].kind == kind
            ]
            for kind in KINDS
        }
        c = self.config
        self.bias.reference_ids = sample_references(
            members, c.reference_sample, c.min_language_reference, c.seed
        )
        self.apply_stats()

    def apply_stats(self) -> None:
        """Rebuild the FAISS indexes, reference samples and z statistics from raw vectors."""
        ids = self.store.embedded_ids()
        self.retriever.rebuild_dense(ids)
        self.bias.set_references(
            {
                key: self.corrected([i for i in members if i in self.store.raw])
                for key, members in self.bias.reference_ids.items()
            }
        )
        self._index_vectors(ids, dense=False)

    def restore(
        self,
        zstats: MutableMapping[int, ZStats] | None,
        dense: Mapping[str, tuple[np.ndarray, np.ndarray]] | None = None,
    ) -> None:
        """Install the FAISS indexes (from ``dense``, the saved corrected vectors per kind,
        when they hold exactly the store's postings of that kind; else rebuilt from the raw
        vectors) and the reference samples of a loaded store, and take the saved z
        statistics (computed for the postings without them)."""
        ids = self.store.embedded_ids()
        rebuild = self._install_dense(ids, dense or {})
        if rebuild:
            self.retriever.rebuild_dense(ids)
        self.bias.set_references(
            {
                key: self.corrected([i for i in members if i in self.store.raw])
                for key, members in self.bias.reference_ids.items()
            }
        )
        table = zstats if isinstance(zstats, ZTable) else ZTable()
        if table is not zstats:
            table.update(zstats or {})
        self.bias.zstats = table
        self.retriever.index_tokens(ids)
        missing = [i for i in ids if i not in self.bias.zstats]
        if missing:
            self._index_vectors(missing, dense=False)

    def _install_dense(
        self, ids: list[int], dense: Mapping[str, tuple[np.ndarray, np.ndarray]]
    ) -> bool:
        """Install every kind's saved vectors; True when some kind could not be (then all
        are rebuilt from the raw vectors)."""
        postings = self.store.postings
        of_kind = {k: [i for i in ids if postings[i].kind == k] for k in KINDS}
        for kind in KINDS:
            saved = dense.get(kind)
            if saved is None or len(saved[0]) != len(of_kind[kind]):
                return True
            if not np.array_equal(np.sort(saved[0]), np.sort(np.array(of_kind[kind], np.int64))):
                return True
        return not all(self.retriever.restore_dense(kind, *dense[kind]) for kind in KINDS)

    def _index_vectors(self, ids: Sequence[int], dense: bool = True) -> None:
        ids = [i for i in ids if i in self.store.raw]
        if not ids:
            return
        vectors = self.corrected(ids)
        self.retriever.index(ids, vectors, dense=dense)
        for posting_id, vector in zip(ids, vectors, strict=True):
            target = other_kind(self.store.postings[posting_id].kind)
            self.bias.zstats[posting_id] = z_stats(vector, self.bias.references_of(target))
