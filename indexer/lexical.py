"""BM25 over segmented tokens (bm25s), with scores normalised to [0, 1].

bm25s has no incremental update, so the index is rebuilt after changes: at the next read
for small pools, and in a background thread for big ones (a rebuild of 40,000 postings
takes seconds), while reads go on against the previous build (a posting written in the
meantime scores 0 lexically until the new build is in place).
"""

from __future__ import annotations

import logging
import math
import threading
from dataclasses import dataclass, field

import bm25s
import numpy as np

logging.getLogger("bm25s").setLevel(logging.WARNING)
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PreparedQuery:
    """A tokenised query checked against the pool once: its known terms and score bound."""

    known: tuple[str, ...]
    upper: float


@dataclass
class LexicalBuild:
    """One immutable build of the index over a snapshot of the documents."""

    ids: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    retriever: bm25s.BM25 | None = None
    token_max: dict[str, float] = field(default_factory=dict)
    df: dict[str, int] = field(default_factory=dict)
    tf: dict[int, dict[str, int]] = field(default_factory=dict)
    idf: dict[str, float] = field(default_factory=dict)
    doc_norm: dict[int, float] = field(default_factory=dict)
    positions: dict[int, int] = field(default_factory=dict)


def build_lexical(docs: dict[int, list[str]], k1: float, b: float) -> LexicalBuild:
    """One BM25 build over ``docs`` (id → tokens); called at a read or in the background."""
    built = LexicalBuild(ids=np.fromiter(docs.keys(), dtype=np.int64, count=len(docs)))
    for doc_id, tokens in docs.items():
        counts: dict[str, int] = {}
        for t in tokens:
            counts[t] = counts.get(t, 0) + 1
        built.tf[doc_id] = counts
        for t in counts:
            built.df[t] = built.df.get(t, 0) + 1
    n = len(docs)
    avgdl = float(np.mean([len(t) or 1 for t in docs.values()])) if n else 1.0
    built.idf = {t: math.log(1 + (n - df + 0.5) / (df + 0.5)) for t, df in built.df.items()}
    built.doc_norm = {
        doc_id: k1 * (1 - b + b * max(len(tokens), 1) / avgdl) for doc_id, tokens in docs.items()
    }
    built.positions = {int(doc_id): row for row, doc_id in enumerate(built.ids)}
    if n:
        corpus = [toks if toks else ["\u2205"] for toks in docs.values()]
        retriever = bm25s.BM25(k1=k1, b=b)
        retriever.index(corpus, show_progress=False)
        built.retriever = retriever
        data = retriever.scores["data"]
        indptr = retriever.scores["indptr"]
        for token, col in retriever.vocab_dict.items():
            lo, hi = int(indptr[col]), int(indptr[col + 1]) if col + 1 < len(indptr) else 0
            if hi > lo:
                built.token_max[token] = float(data[lo:hi].max())
    return built


class LexicalIndex:
    """BM25 over one kind's postings; rebuilt after changes (see module docstring).

        ``score(query_tokens)`` returns, for every indexed posting, BM25 divided by
        the best score each query term reaches anywhere in the pool, so 1.0 means
        "every query term matched as strongly as it can" and the value keeps its
        meaning from query to query. Pools of ``background_above`` postings or more are
        rebuilt in a background thread. Reads may run concurrently with each other (one
    build at a time); writes (``upsert``, ``remove``) must exclude reads.
    """

    def __init__(self, k1: float = 1.2, b: float = 0.75, background_above: int = 20_000) -> None:
        self.k1, self.b = k1, b
        self.background_above = background_above
        self._docs: dict[int, list[str]] = {}
        self._changes = 0  # writes so far
        self._built_changes = 0  # writes the current build reflects
        self._built = LexicalBuild()
        self._builder: threading.Thread | None = None
        self._install_lock = threading.Lock()
        self._build_lock = threading.Lock()
        self.version = 0  # bumped at every new build: PreparedQuery objects are per version

    def __len__(self) -> int:
        return len(self._docs)

    def upsert(self, posting_id: int, tokens: list[str]) -> None:
        """Store (or replace) the tokens of one posting."""
        self._docs[posting_id] = tokens
        self._changes += 1

    def remove(self, posting_id: int) -> None:
        """Forget a posting (unknown ids are ignored)."""
        if self._docs.pop(posting_id, None) is not None:
            self._changes += 1

    @property
    def stale(self) -> bool:
        """True while the build in use misses some writes."""
        return self._built_changes != self._changes

    def wait(self, timeout: float | None = None) -> None:
        """Wait for a background rebuild to finish (tests, benchmarks)."""
        builder = self._builder
        if builder is not None:
            builder.join(timeout)

    def _current(self) -> LexicalBuild:
        if not self.stale:
            return self._built
        with self._build_lock:  # concurrent readers: one build, one background thread
            if not self.stale:
                return self._built
            empty_build = len(self._built.ids) == 0
            if len(self._docs) < self.background_above or empty_build:
                self._install(build_lexical(dict(self._docs), self.k1, self.b), self._changes)
            elif self._builder is None or not self._builder.is_alive():
                snapshot, changes = dict(self._docs), self._changes
                self._builder = threading.Thread(
                    target=self._build_in_background, args=(snapshot, changes), daemon=True
                )
                self._builder.start()
            return self._built

    def _build_in_background(self, snapshot: dict[int, list[str]], changes: int) -> None:
        try:
            self._install(build_lexical(snapshot, self.k1, self.b), changes)
        except Exception:  # the next read starts another build; reads go on meanwhile
            log.exception("background BM25 rebuild failed")

    def _install(self, built: LexicalBuild, changes: int) -> None:
        with self._install_lock:
            if changes >= self._built_changes:  # never go back to an older snapshot
                self._built, self._built_changes = built, changes
                self.version += 1

    def idf(self, token: str) -> float:
        """Inverse document frequency of ``token`` in this pool (BM25's smoothed form)."""
        built = self._current()
        n = max(len(built.ids), 1)
        df = built.df.get(token, 0)
        return float(np.log(1 + (n - df + 0.5) / (df + 0.5)))

    def snapshot(self) -> LexicalBuild:
        """The build in use now: pass it to :meth:`score` and :meth:`positions` so that both
        answer from the same build even if a background rebuild lands in between."""
        return self._current()

    def score(
        self, query_tokens: list[str], build: LexicalBuild | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """``(ids, scores in [0, 1])`` of every posting for a tokenised query."""
        built = build if build is not None else self._current()
        if built.retriever is None or not query_tokens:
            return built.ids, np.zeros(len(built.ids), dtype=np.float32)
        unique = list(dict.fromkeys(query_tokens))
        known = [t for t in unique if t in built.token_max]
        if not known:
            return built.ids, np.zeros(len(built.ids), dtype=np.float32)
        raw = built.retriever.get_scores(known)
        upper = sum(built.token_max[t] for t in known) + 1e-9
        # Query terms unknown to the pool count towards the upper bound at the
        # mean strength of the known ones: matching 1 of 10 terms is not "perfect".
        upper *= len(unique) / len(known)
        return built.ids, np.clip(raw / upper, 0.0, 1.0).astype(np.float32)

    def positions(self, doc_ids: list[int], build: LexicalBuild | None = None) -> np.ndarray:
        """Rows of ``doc_ids`` in the arrays :meth:`score` returns (-1: not indexed)."""
        positions = (build if build is not None else self._current()).positions
        return np.array([positions.get(d, -1) for d in doc_ids], dtype=np.int64)

    def prepare(self, query_tokens: list[str]) -> PreparedQuery:
        """Check a tokenised query against the pool once, for many :meth:`pair_score` calls."""
        built = self._current()
        unique = list(dict.fromkeys(query_tokens))
        known = tuple(t for t in unique if t in built.token_max)
        if not known:
            return PreparedQuery((), 0.0)
        upper = sum(built.token_max[t] for t in known) * len(unique) / len(known)
        return PreparedQuery(known, upper)

    def pair_score(self, query: list[str] | PreparedQuery, doc_id: int) -> float:
        """Normalised BM25 of one posting for a tokenised query (same scale as :meth:`score`).

        Computed directly with BM25's Lucene formula (the one bm25s uses), so one
        pair costs O(query length) instead of a pass over the pool. ``query`` may be
        prepared with :meth:`prepare` (valid until the index changes).
        """
        prepared = query if isinstance(query, PreparedQuery) else self.prepare(query)
        built = self._current()
        counts = built.tf.get(doc_id)
        if counts is None or not prepared.known:
            return 0.0
        norm = built.doc_norm[doc_id]
        raw = 0.0
        for t in prepared.known:
            tf = counts.get(t)
            if tf:
                raw += built.idf.get(t, 0.0) * tf / (tf + norm)
        return float(min(max(raw / (prepared.upper + 1e-9), 0.0), 1.0))
