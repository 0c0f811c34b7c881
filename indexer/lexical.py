"""BM25 over segmented tokens (bm25s), with scores normalised to [0, 1]."""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass

import bm25s
import numpy as np

logging.getLogger("bm25s").setLevel(logging.WARNING)


@dataclass(frozen=True)
class PreparedQuery:
    """A tokenised query checked against the pool once: its known terms and score bound."""

    known: tuple[str, ...]
    upper: float


class LexicalIndex:
    """BM25 over one kind's postings; rebuilt lazily after changes.

    ``score(query_tokens)`` returns, for every indexed posting, BM25 divided by
    the best score each query term reaches anywhere in the pool, so 1.0 means
    "every query term matched as strongly as it can" and the value keeps its
    meaning from query to query.
    """

    def __init__(self, k1: float = 1.2, b: float = 0.75) -> None:
        self.k1, self.b = k1, b
        self._docs: dict[int, list[str]] = {}
        self._dirty = True
        self._ids = np.zeros(0, dtype=np.int64)
        self._retriever: bm25s.BM25 | None = None
        self._token_max: dict[str, float] = {}
        self._df: dict[str, int] = {}
        self._tf: dict[int, dict[str, int]] = {}
        self._idf: dict[str, float] = {}
        self._doc_norm: dict[int, float] = {}
        self._positions: dict[int, int] = {}
        self._avgdl = 1.0
        self.version = 0  # bumped at every rebuild: PreparedQuery objects are per version

    def __len__(self) -> int:
        return len(self._docs)

    def upsert(self, posting_id: int, tokens: list[str]) -> None:
        """Store (or replace) the tokens of one posting."""
        self._docs[posting_id] = tokens
        self._dirty = True

    def remove(self, posting_id: int) -> None:
        """Forget a posting (unknown ids are ignored)."""
        if self._docs.pop(posting_id, None) is not None:
            self._dirty = True

    def _build(self) -> None:
        self._ids = np.fromiter(self._docs.keys(), dtype=np.int64, count=len(self._docs))
        self._df = {}
        self._tf = {}
        for doc_id, tokens in self._docs.items():
            counts: dict[str, int] = {}
            for t in tokens:
                counts[t] = counts.get(t, 0) + 1
            self._tf[doc_id] = counts
            for t in counts:
                self._df[t] = self._df.get(t, 0) + 1
        lengths = [len(t) or 1 for t in self._docs.values()]
        self._avgdl = float(np.mean(lengths)) if lengths else 1.0
        n = len(self._docs)
        self._idf = {t: math.log(1 + (n - df + 0.5) / (df + 0.5)) for t, df in self._df.items()}
        self._doc_norm = {
            doc_id: self.k1 * (1 - self.b + self.b * max(len(tokens), 1) / self._avgdl)
            for doc_id, tokens in self._docs.items()
        }
        self._positions = {int(doc_id): row for row, doc_id in enumerate(self._ids)}
        self._retriever = None
        self._token_max = {}
        if len(self._docs):
            corpus = [toks if toks else ["\u2205"] for toks in self._docs.values()]
            retriever = bm25s.BM25(k1=self.k1, b=self.b)
            retriever.index(corpus, show_progress=False)
            self._retriever = retriever
            data = retriever.scores["data"]
            indptr = retriever.scores["indptr"]
            for token, col in retriever.vocab_dict.items():
                lo, hi = int(indptr[col]), int(indptr[col + 1]) if col + 1 < len(indptr) else 0
                if hi > lo:
                    self._token_max[token] = float(data[lo:hi].max())
        self._dirty = False
        self.version += 1

    def idf(self, token: str) -> float:
        """Inverse document frequency of ``token`` in this pool (BM25's smoothed form)."""
        if self._dirty:
            self._build()
        n = max(len(self._docs), 1)
        df = self._df.get(token, 0)
        return float(np.log(1 + (n - df + 0.5) / (df + 0.5)))

    def score(self, query_tokens: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """``(ids, scores in [0, 1])`` of every posting for a tokenised query."""
        if self._dirty:
            self._build()
        if self._retriever is None or not query_tokens:
            return self._ids, np.zeros(len(self._ids), dtype=np.float32)
        unique = list(dict.fromkeys(query_tokens))
        known = [t for t in unique if t in self._token_max]
        if not known:
            return self._ids, np.zeros(len(self._ids), dtype=np.float32)
        raw = self._retriever.get_scores(known)
        upper = sum(self._token_max[t] for t in known) + 1e-9
        # Query terms unknown to the pool count towards the upper bound at the
        # mean strength of the known ones: matching 1 of 10 terms is not "perfect".
        upper *= len(unique) / len(known)
        return self._ids, np.clip(raw / upper, 0.0, 1.0).astype(np.float32)

    def positions(self, doc_ids: list[int]) -> np.ndarray:
        """Rows of ``doc_ids`` in the arrays :meth:`score` returns (-1: not indexed)."""
        if self._dirty:
            self._build()
        return np.array([self._positions.get(d, -1) for d in doc_ids], dtype=np.int64)

    def prepare(self, query_tokens: list[str]) -> PreparedQuery:
        """Check a tokenised query against the pool once, for many :meth:`pair_score` calls."""
        if self._dirty:
            self._build()
        unique = list(dict.fromkeys(query_tokens))
        known = tuple(t for t in unique if t in self._token_max)
        if not known:
            return PreparedQuery((), 0.0)
        upper = sum(self._token_max[t] for t in known) * len(unique) / len(known)
        return PreparedQuery(known, upper)

    def pair_score(self, query: list[str] | PreparedQuery, doc_id: int) -> float:
        """Normalised BM25 of one posting for a tokenised query (same scale as :meth:`score`).

        Computed directly with BM25's Lucene formula (the one bm25s uses), so one
        pair costs O(query length) instead of a pass over the pool. ``query`` may be
        prepared with :meth:`prepare` (valid until the index changes).
        """
        prepared = query if isinstance(query, PreparedQuery) else self.prepare(query)
        if self._dirty:
            self._build()
        counts = self._tf.get(doc_id)
        if counts is None or not prepared.known:
            return 0.0
        norm = self._doc_norm[doc_id]
        raw = 0.0
        for t in prepared.known:
            tf = counts.get(t)
            if tf:
                raw += self._idf[t] * tf / (tf + norm)
        return float(min(max(raw / (prepared.upper + 1e-9), 0.0), 1.0))
