"""The posting store: every indexed posting with its raw vector and lexical features.

One dict per attribute, keyed by posting id (ids are unique across kinds). The store is
the engine's source for everything derived (FAISS, BM25, bias statistics); it knows
nothing of how they are derived.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from indexer.errors import UnknownPosting
from indexer.features import Features, surface_of
from indexer.postings import Kind, Posting


class PostingStore:
    """Postings, content hashes, raw vectors, tokens, key terms and key-term vectors."""

    def __init__(self, dimension: int) -> None:
        self.dimension = dimension
        self.postings: dict[int, Posting] = {}
        self.hashes: dict[int, str] = {}
        self.raw: dict[int, np.ndarray] = {}
        self.tokens: dict[int, list[str]] = {}
        self.terms: dict[int, list[str]] = {}
        self.surfaces: dict[int, dict[str, str]] = {}
        self.term_vectors: dict[str, np.ndarray] = {}

    def __len__(self) -> int:
        return len(self.postings)

    def __contains__(self, posting_id: object) -> bool:
        return posting_id in self.postings

    def __iter__(self) -> Iterator[Posting]:
        return iter(self.postings.values())

    def get(self, posting_id: int) -> Posting | None:
        """The posting, or ``None``."""
        return self.postings.get(posting_id)

    def require(self, posting_id: int) -> Posting:
        """The posting; raises :class:`UnknownPosting` when it is not indexed."""
        posting = self.postings.get(posting_id)
        if posting is None:
            raise UnknownPosting(posting_id)
        return posting

    def is_kind(self, posting_id: int, kind: Kind) -> bool:
        """True when ``posting_id`` is stored now as a ``kind``."""
        posting = self.postings.get(posting_id)
        return posting is not None and posting.kind == kind

    def language(self, posting_id: int) -> str:
        """The posting's language (``"other"`` when unknown)."""
        return self.postings[posting_id].language or "other"

    def embedded_ids(self) -> list[int]:
        """Ids that have a raw vector, in insertion order."""
        return list(self.raw)

    def put(self, posting: Posting) -> None:
        """Store or replace the posting record (its vector and features are kept)."""
        self.postings[posting.id] = posting

    def set_embedding(self, posting: Posting, vector: np.ndarray, features: Features) -> None:
        """Record a freshly embedded posting's vector, content hash and features."""
        self.raw[posting.id] = vector.astype(np.float32)
        self.hashes[posting.id] = posting.content_hash()
        self.tokens[posting.id] = features.tokens
        if features.surfaces:
            self.surfaces[posting.id] = features.surfaces
        self.terms[posting.id] = features.terms

    def missing_terms(self, terms: list[str]) -> list[str]:
        """The distinct ``terms`` that have no vector yet, in order."""
        return list(dict.fromkeys(t for t in terms if t not in self.term_vectors))

    def remove(self, posting_id: int) -> Posting | None:
        """Forget a posting and everything stored with it; returns it (``None``: unknown)."""
        posting = self.postings.pop(posting_id, None)
        if posting is None:
            return None
        for store in (self.hashes, self.raw, self.tokens, self.terms, self.surfaces):
            store.pop(posting_id, None)  # type: ignore[attr-defined]
        return posting

    def raw_matrix(self, ids: list[int]) -> np.ndarray:
        """Raw vectors of ``ids`` stacked into one (n, dimension) array."""
        if not ids:
            return np.zeros((0, self.dimension), np.float32)
        return np.stack([self.raw[i] for i in ids])

    def surface(self, posting_id: int, token: str) -> str:
        """The word a lexical token came from in a posting's text (for display)."""
        return surface_of(self.surfaces.get(posting_id, {}), token)
