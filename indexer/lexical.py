"""BM25 over segmented tokens (bm25s), with scores normalised to [0, 1].

bm25s has no incremental update, so the index is rebuilt after changes: at the next read
for small pools, and in a background thread for big ones (a rebuild of 40,000 postings
takes seconds), while reads go on against the previous build (a posting written in the
meantime scores 0 lexically until the new build is in place).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field

import bm25s
import numpy as np

logging.getLogger("bm25s").setLevel(logging.WARNING)
log = logging.getLogger(__name__)


class Strings:
    """A process-wide, append-only table of distinct token strings: each token is stored
    once and named by its index (like ``sys.intern``, but indexable from numpy ids)."""

    def __init__(self) -> None:
        self.values: list[str] = []
        self._ids: dict[str, int] = {}
        self._lock = threading.Lock()

    def encode(self, tokens: Iterable[str]) -> np.ndarray:
        """Ids of ``tokens`` (new strings are added), as an int32 array."""
        ids = self._ids
        tokens = list(tokens)
        if any(t not in ids for t in tokens):
            with self._lock:
                for t in tokens:
                    if t not in ids:
                        ids[t] = len(self.values)
                        self.values.append(t)
        return np.fromiter((ids[t] for t in tokens), dtype=np.int32, count=len(tokens))

    def decode(self, ids: np.ndarray) -> list[str]:
        """The strings of ``ids`` (the shared objects, not copies)."""
        values = self.values
        return [values[i] for i in ids.tolist()]


STRINGS = Strings()


@dataclass(frozen=True)
class PreparedQuery:
    """A tokenised query checked against one build once: its known terms, their columns
    in that build (sorted) and its score bound."""

    known: tuple[str, ...]
    upper: float
    columns: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int32))
    build: LexicalBuild | None = None


@dataclass
class LexicalBuild:
    """One immutable build of the index over a snapshot of the documents, as arrays.

    ``data[indptr[c]:indptr[c + 1]]`` are the BM25 scores (bm25s's Lucene form) of token
    column ``c`` in the rows ``indices[...]`` (sorted), row ``r`` being posting ``ids[r]``.
    Everything a read needs is here, and all of it can be saved with the index and
    installed again at start (:meth:`to_arrays`, :meth:`from_arrays`): nothing is
    re-tokenised or rebuilt."""

    ids: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    vocab: dict[str, int] = field(default_factory=dict)
    indptr: np.ndarray = field(default_factory=lambda: np.zeros(1, dtype=np.int64))
    indices: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int32))
    data: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.float32))
    token_max: dict[str, float] = field(default_factory=dict)
    sorted_ids: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    sorted_rows: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    doc_indptr: np.ndarray = field(default_factory=lambda: np.zeros(1, dtype=np.int64))
    doc_columns: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int32))
    doc_data: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.float32))

    @classmethod
    def assemble(
        cls,
        ids: np.ndarray,
        tokens: list[str],
        indptr: np.ndarray,
        indices: np.ndarray,
        data: np.ndarray,
    ) -> LexicalBuild:
        """A build from its arrays (``tokens``: the vocabulary in column order)."""
        indptr = np.asarray(indptr, dtype=np.int64)
        counts = np.diff(indptr)
        columns = np.flatnonzero(counts > 0)
        maxima = np.maximum.reduceat(data, indptr[columns]) if len(columns) else data[:0]
        order = np.argsort(ids, kind="stable")
        # The same scores row by row (columns sorted within a row), for pair scores.
        column = np.repeat(np.arange(len(counts), dtype=np.int32), counts)
        by_row = np.argsort(indices, kind="stable")
        per_row = np.bincount(indices, minlength=len(ids)) if len(indices) else np.zeros(len(ids))
        return cls(
            ids=np.asarray(ids, dtype=np.int64),
            vocab={t: c for c, t in enumerate(tokens)},
            indptr=indptr,
            indices=np.asarray(indices, dtype=np.int32),
            data=np.asarray(data, dtype=np.float32),
            token_max={tokens[c]: float(m) for c, m in zip(columns, maxima, strict=True)},
            sorted_ids=ids[order],
            sorted_rows=order.astype(np.int64),
            doc_indptr=np.concatenate([[0], np.cumsum(per_row)]).astype(np.int64),
            doc_columns=column[by_row],
            doc_data=np.asarray(data, dtype=np.float32)[by_row],
        )

    def to_arrays(self) -> tuple[dict[str, np.ndarray], list[str]]:
        """The arrays to save and the vocabulary in column order."""
        tokens = sorted(self.vocab, key=self.vocab.__getitem__)
        arrays = {"ids": self.ids, "indptr": self.indptr, "indices": self.indices}
        arrays["data"] = self.data
        return arrays, tokens

    def rows(self, doc_ids: np.ndarray) -> np.ndarray:
        """Rows of ``doc_ids`` (-1: not in this build)."""
        if not len(self.sorted_ids):
            return np.full(len(doc_ids), -1, dtype=np.int64)
        at = np.minimum(np.searchsorted(self.sorted_ids, doc_ids), len(self.sorted_ids) - 1)
        return np.where(self.sorted_ids[at] == doc_ids, self.sorted_rows[at], -1)

    def df(self, token: str) -> int:
        """Documents of the build that hold ``token``."""
        col = self.vocab.get(token)
        if col is None or col + 1 >= len(self.indptr):
            return 0
        return int(self.indptr[col + 1] - self.indptr[col])

    def row_sum(self, row: int, columns: np.ndarray) -> float:
        """Summed stored BM25 of the token ``columns`` (sorted) in ``row``."""
        lo, hi = int(self.doc_indptr[row]), int(self.doc_indptr[row + 1])
        have = self.doc_columns[lo:hi]
        if not len(have) or not len(columns):
            return 0.0
        at = np.minimum(np.searchsorted(have, columns), len(have) - 1)
        hit = at[have[at] == columns]
        return float(self.doc_data[lo:hi][hit].sum(dtype=np.float32))

    def scores(self, known: list[str]) -> np.ndarray:
        """Summed BM25 of every row for the ``known`` tokens (as bm25s sums them)."""
        out = np.zeros(len(self.ids), dtype=np.float32)
        for token in known:
            col = self.vocab[token]
            lo, hi = int(self.indptr[col]), int(self.indptr[col + 1])
            np.add.at(out, self.indices[lo:hi], self.data[lo:hi])
        return out


Tokens = list[str] | np.ndarray  # strings, or their ids in STRINGS (what the store keeps)


def build_lexical(docs: dict[int, Tokens], k1: float, b: float) -> LexicalBuild:
    """One BM25 build over ``docs`` (id → tokens); called at a read or in the background."""
    ids = np.fromiter(docs.keys(), dtype=np.int64, count=len(docs))
    if not len(docs):
        return LexicalBuild()
    decode = STRINGS.decode
    corpus = [
        (decode(toks) if isinstance(toks, np.ndarray) else toks) if len(toks) else ["\u2205"]
        for toks in docs.values()
    ]
    retriever = bm25s.BM25(k1=k1, b=b)
    retriever.index(corpus, show_progress=False)
    scores = retriever.scores
    tokens = sorted(retriever.vocab_dict, key=retriever.vocab_dict.__getitem__)
    indptr = np.asarray(scores["indptr"], dtype=np.int64)
    if len(indptr) < len(tokens) + 1:  # bm25s leaves trailing empty columns out
        indptr = np.concatenate([indptr, np.full(len(tokens) + 1 - len(indptr), indptr[-1])])
    indices = np.asarray(scores["indices"], dtype=np.int32)
    data = np.asarray(scores["data"], dtype=np.float32)
    column = np.repeat(np.arange(len(tokens)), np.diff(indptr))
    if len(indices) > 1 and not np.all((np.diff(indices) > 0) | (np.diff(column) > 0)):
        order = np.lexsort((indices, column))
        indices, data = indices[order], data[order]
    return LexicalBuild.assemble(ids, tokens, indptr, indices, data)


class LexicalIndex:
    """BM25 over one kind's postings; rebuilt after changes (see module docstring).

        ``score(query_tokens)`` returns, for every indexed posting, BM25 divided by
        the best score each query term reaches anywhere in the pool, so 1.0 means
        "every query term matched as strongly as it can" and the value keeps its
        meaning from query to query. Pools of ``background_above`` postings or more are
        rebuilt in a background thread, no sooner than ``rebuild_pause`` times the previous
    background build's duration after it ended (builds use at most a quarter of a core
    while writes keep coming; a new posting waits that much longer for its lexical score).
    Reads may run concurrently with each other (one build at a time); writes (``upsert``,
    ``remove``) must exclude reads.
    """

    def __init__(
        self,
        k1: float = 1.2,
        b: float = 0.75,
        background_above: int = 20_000,
        rebuild_pause: float = 3.0,
    ) -> None:
        self.k1, self.b = k1, b
        self.background_above = background_above
        self.rebuild_pause = rebuild_pause  # idle time after a background build, × its time
        self._next_build_at = 0.0
        self._docs: dict[int, Tokens] = {}  # arrays shared with the posting store
        self._changes = 0  # writes so far
        self._built_changes = 0  # writes the current build reflects
        self._built = LexicalBuild()
        self._builder: threading.Thread | None = None
        self._install_lock = threading.Lock()
        self._build_lock = threading.Lock()
        self.version = 0  # bumped at every new build: PreparedQuery objects are per version

    def __len__(self) -> int:
        return len(self._docs)

    def upsert(self, posting_id: int, tokens: Tokens) -> None:
        """Store (or replace) the tokens of one posting: strings, or their :data:`STRINGS`
        ids (kept as given, not copied: the store's arrays serve both)."""
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
            elif (self._builder is None or not self._builder.is_alive()) and (
                time.monotonic() >= self._next_build_at
            ):
                snapshot, changes = dict(self._docs), self._changes
                self._builder = threading.Thread(
                    target=self._build_in_background, args=(snapshot, changes), daemon=True
                )
                self._builder.start()
            return self._built

    def _build_in_background(self, snapshot: dict[int, Tokens], changes: int) -> None:
        started = time.monotonic()
        try:
            self._install(build_lexical(snapshot, self.k1, self.b), changes)
        except Exception:  # the next read starts another build; reads go on meanwhile
            log.exception("background BM25 rebuild failed")
        finally:  # pace the builds: they compete with the reads for the GIL and the cores
            ended = time.monotonic()
            self._next_build_at = ended + self.rebuild_pause * (ended - started)

    def _install(self, built: LexicalBuild, changes: int) -> None:
        with self._install_lock:
            if changes >= self._built_changes:  # never go back to an older snapshot
                self._built, self._built_changes = built, changes
                self.version += 1

    def export(self) -> tuple[LexicalBuild, bool]:
        """The build in use and whether it misses writes (what saving the index keeps)."""
        return self._built, self.stale

    def restore(self, build: LexicalBuild, stale: bool) -> None:
        """Install a saved build over the documents upserted since creation; it counts as
        stale (rebuilt at the next read, in the background for big pools) when it missed
        writes when saved or does not hold exactly these documents."""
        same = len(build.ids) == len(self._docs) and np.array_equal(
            build.sorted_ids, np.sort(np.fromiter(self._docs, np.int64, len(self._docs)))
        )
        with self._install_lock:
            self._built = build
            self._built_changes = self._changes if same and not stale else -1
            self.version += 1

    def idf(self, token: str) -> float:
        """Inverse document frequency of ``token`` in this pool (BM25's smoothed form)."""
        built = self._current()
        n = max(len(built.ids), 1)
        df = built.df(token)
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
        if not len(built.ids) or not query_tokens:
            return built.ids, np.zeros(len(built.ids), dtype=np.float32)
        unique = list(dict.fromkeys(query_tokens))
        known = [t for t in unique if t in built.token_max]
        if not known:
            return built.ids, np.zeros(len(built.ids), dtype=np.float32)
        raw = built.scores(known)
        upper = sum(built.token_max[t] for t in known) + 1e-9
        # Query terms unknown to the pool count towards the upper bound at the
        # mean strength of the known ones: matching 1 of 10 terms is not "perfect".
        upper *= len(unique) / len(known)
        return built.ids, np.clip(raw / upper, 0.0, 1.0).astype(np.float32)

    def positions(self, doc_ids: list[int], build: LexicalBuild | None = None) -> np.ndarray:
        """Rows of ``doc_ids`` in the arrays :meth:`score` returns (-1: not indexed)."""
        built = build if build is not None else self._current()
        return built.rows(np.asarray(doc_ids, dtype=np.int64))

    def prepare(self, query_tokens: list[str]) -> PreparedQuery:
        """Check a tokenised query against the pool once, for many :meth:`pair_score` calls."""
        built = self._current()
        unique = list(dict.fromkeys(query_tokens))
        known = tuple(t for t in unique if t in built.token_max)
        if not known:
            return PreparedQuery((), 0.0, build=built)
        upper = sum(built.token_max[t] for t in known) * len(unique) / len(known)
        columns = np.sort(np.array([built.vocab[t] for t in known], dtype=np.int32))
        return PreparedQuery(known, upper, columns, built)

    def pair_score(self, query: list[str] | PreparedQuery, doc_id: int) -> float:
        """Normalised BM25 of one posting for a tokenised query (same scale as :meth:`score`).

        Read from the build's stored per-token scores (those :meth:`score` sums), row by
        row, so one pair costs one search in the posting's row instead of a pass over the
        pool. ``query`` may be
        prepared with :meth:`prepare` (valid until the index changes).
        """
        prepared = query if isinstance(query, PreparedQuery) else self.prepare(query)
        built = prepared.build if prepared.build is not None else self._current()
        if not prepared.known or not len(built.sorted_ids):
            return 0.0
        at = min(int(np.searchsorted(built.sorted_ids, doc_id)), len(built.sorted_ids) - 1)
        if built.sorted_ids[at] != doc_id:
            return 0.0
        raw = built.row_sum(int(built.sorted_rows[at]), prepared.columns)
        return float(min(max(raw / (prepared.upper + 1e-9), 0.0), 1.0))
