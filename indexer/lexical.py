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
from collections.abc import Iterable, Sequence
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
Tokens = list[str] | np.ndarray  # strings, or their ids in STRINGS (what the store keeps)
EMPTY = "\u2205"  # the one token of a posting without tokens (bm25s needs one)
ROW_CACHE = 4096  # rows whose scores a build keeps found (LexicalBuild.row)
_NO_TOKENS = np.zeros(0, dtype=np.int32)


@dataclass(frozen=True)
class PreparedQuery:
    """A tokenised query checked against one build once: its known terms, their columns
    in that build (sorted) and its score bound."""

    known: tuple[int, ...]  # columns of the known tokens, in query order
    upper: float
    columns: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int32))
    build: LexicalBuild | None = None


@dataclass
class LexicalBuild:
    """One immutable build of the index over a snapshot of the documents, as arrays.

    ``data[indptr[c]:indptr[c + 1]]`` are the BM25 scores (bm25s's Lucene form) of token
    column ``c`` in the rows ``indices[...]`` (sorted), row ``r`` being posting ``ids[r]``.
    Everything a read needs is here, and all of it can be saved with the index and
    installed again at start (:meth:`to_arrays`, :meth:`assemble`): nothing is
    re-tokenised or rebuilt. There is no second, row-wise copy of the scores (it took
    0.4 KB a posting at 100,000): a row's scores are found from its tokens
    (``row_tokens``: the arrays the build was made from, shared with the store) by one
    search per token column, and kept for the build's lifetime (:meth:`row`, at most
    :data:`ROW_CACHE` rows)."""

    ids: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    vocab: dict[str, int] = field(default_factory=dict)
    indptr: np.ndarray = field(default_factory=lambda: np.zeros(1, dtype=np.int64))
    indices: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int32))
    data: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.float32))
    token_max: dict[str, float] = field(default_factory=dict)
    sorted_ids: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    sorted_rows: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    row_tokens: list[Tokens] = field(default_factory=list)  # row → tokens, see above
    # STRINGS id → column of a token with a score bound (-1: none), and that bound (made
    # at the first query by ids: a query's tokens checked in one step, not one by one)
    _string_columns: np.ndarray | None = field(default=None, repr=False, compare=False)
    _column_max: np.ndarray | None = field(default=None, repr=False, compare=False)
    _row_cache: dict[int, tuple[np.ndarray, np.ndarray]] = field(
        default_factory=dict, repr=False, compare=False
    )

    @classmethod
    def assemble(
        cls,
        ids: np.ndarray,
        tokens: list[str],
        indptr: np.ndarray,
        indices: np.ndarray,
        data: np.ndarray,
        row_tokens: Iterable[Tokens] | None = None,
    ) -> LexicalBuild:
        """A build from its arrays (``tokens``: the vocabulary in column order;
        ``row_tokens``: each row's tokens, else set later, see :meth:`LexicalIndex.restore`)."""
        indptr = np.asarray(indptr, dtype=np.int64)
        counts = np.diff(indptr)
        columns = np.flatnonzero(counts > 0)
        maxima = np.maximum.reduceat(data, indptr[columns]) if len(columns) else data[:0]
        order = np.argsort(ids, kind="stable")
        return cls(
            ids=np.asarray(ids, dtype=np.int64),
            vocab={t: c for c, t in enumerate(tokens)},
            indptr=indptr,
            indices=np.asarray(indices, dtype=np.int32),
            data=np.asarray(data, dtype=np.float32),
            token_max={tokens[c]: float(m) for c, m in zip(columns, maxima, strict=True)},
            sorted_ids=ids[order],
            sorted_rows=order.astype(np.int64),
            row_tokens=list(row_tokens) if row_tokens is not None else [],
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

    def query_columns(self, tokens: Tokens) -> tuple[int, list[int]]:
        """``(distinct tokens, columns of the known ones)`` of a query, in the order the
        tokens first occur ("known": the token has a score bound in this build)."""
        if not isinstance(tokens, np.ndarray):
            unique = list(dict.fromkeys(tokens))
            vocab, token_max = self.vocab, self.token_max
            return len(unique), [vocab[t] for t in unique if t in token_max]
        unique_ids = list(dict.fromkeys(tokens.tolist()))
        lookup = self._string_columns
        if lookup is None:
            lookup = self._index_strings()
        # a string newer than the lookup is in no build made before it
        ids = np.array(unique_ids, dtype=np.int64)
        ids = ids[ids < len(lookup)]
        columns = lookup[ids]
        return len(unique_ids), columns[columns >= 0].tolist()

    def _index_strings(self) -> np.ndarray:
        """Build the STRINGS id → column lookup (see the fields); returns it."""
        known = [t for t in self.vocab if t in self.token_max]
        string_ids = STRINGS.encode(known)
        lookup = np.full(len(STRINGS.values), -1, dtype=np.int32)
        columns = np.array([self.vocab[t] for t in known], dtype=np.int32)
        lookup[string_ids] = columns
        maxima = np.zeros(len(self.indptr), dtype=np.float64)
        maxima[columns] = [self.token_max[t] for t in known]
        self._column_max = maxima
        self._string_columns = lookup
        return lookup

    def bounds(self, columns: list[int]) -> float:
        """Summed score bounds of the known token ``columns`` (summed in their order)."""
        if self._column_max is None:
            self._index_strings()
        assert self._column_max is not None
        return sum(self._column_max[columns].tolist())

    def row(self, row: int) -> tuple[np.ndarray, np.ndarray]:
        """``(columns, scores)`` of ``row``, columns sorted: its tokens' columns, each
        found by one binary search in that column's rows (cached per build)."""
        cached = self._row_cache.get(row)
        if cached is not None:
            return cached
        tokens = self.row_tokens[row] if row < len(self.row_tokens) else []
        names = STRINGS.decode(tokens) if isinstance(tokens, np.ndarray) else tokens
        vocab = self.vocab
        columns = sorted({vocab[t] for t in (names if len(names) else [EMPTY]) if t in vocab})
        indptr, indices, data = self.indptr, self.indices, self.data
        have: list[int] = []
        values: list[float] = []
        for column in columns:
            lo, hi = int(indptr[column]), int(indptr[column + 1])
            at = lo + int(indices[lo:hi].searchsorted(row))
            if at < hi and indices[at] == row:
                have.append(column)
                values.append(data[at])
        found = (np.array(have, dtype=np.int32), np.array(values, dtype=np.float32))
        cache = self._row_cache
        if len(cache) >= ROW_CACHE:
            cache.clear()
        cache[row] = found
        return found

    def row_sum(self, row: int, columns: np.ndarray) -> float:
        """Summed stored BM25 of the token ``columns`` (sorted) in ``row``."""
        have, values = self.row(row)
        if not len(have) or not len(columns):
            return 0.0
        at = np.minimum(np.searchsorted(have, columns), len(have) - 1)
        hit = at[have[at] == columns]
        return float(values[hit].sum(dtype=np.float32))

    def rows_sum(self, rows: np.ndarray, columns: np.ndarray) -> np.ndarray:
        """:meth:`row_sum` of many ``rows`` at once (-1: not in the build, 0): one search
        per token column for all the rows (summed in column order, as float32)."""
        out = np.zeros(len(rows), dtype=np.float32)
        present = rows >= 0
        if not present.any():
            return out
        wanted = rows[present]
        sums = np.zeros(len(wanted), dtype=np.float32)
        for column in columns.tolist():
            lo, hi = int(self.indptr[column]), int(self.indptr[column + 1])
            if hi == lo:
                continue
            segment = self.indices[lo:hi]
            at = np.minimum(segment.searchsorted(wanted), hi - lo - 1)
            hit = segment[at] == wanted
            sums[hit] += self.data[lo:hi][at[hit]]
        out[present] = sums
        return out

    def scores(self, columns: list[int]) -> np.ndarray:
        """Summed BM25 of every row for the known token ``columns`` (as bm25s sums them)."""
        spans = [(int(self.indptr[c]), int(self.indptr[c + 1])) for c in columns]
        if not spans:
            return np.zeros(len(self.ids), dtype=np.float32)
        rows = np.concatenate([self.indices[lo:hi] for lo, hi in spans])
        weights = np.concatenate([self.data[lo:hi] for lo, hi in spans])
        summed = np.bincount(rows, weights=weights, minlength=len(self.ids))
        return summed.astype(np.float32)


def build_lexical(docs: dict[int, Tokens], k1: float, b: float) -> LexicalBuild:
    """One BM25 build over ``docs`` (id → tokens); called at a read or in the background."""
    ids = np.fromiter(docs.keys(), dtype=np.int64, count=len(docs))
    if not len(docs):
        return LexicalBuild()
    decode = STRINGS.decode
    corpus = [
        (decode(toks) if isinstance(toks, np.ndarray) else toks) if len(toks) else [EMPTY]
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
    return LexicalBuild.assemble(ids, tokens, indptr, indices, data, docs.values())


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
        if len(build.row_tokens) != len(build.ids):  # a saved build: rows' tokens from the
            # documents (a stale build's changed rows then lose their gone tokens' scores
            # in pair scores until the rebuild)
            docs = self._docs
            build.row_tokens = [docs.get(i, _NO_TOKENS) for i in build.ids.tolist()]
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
        self, query_tokens: Tokens, build: LexicalBuild | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """``(ids, scores in [0, 1])`` of every posting for a tokenised query (strings, or
        their :data:`STRINGS` ids as the store keeps them)."""
        built = build if build is not None else self._current()
        if not len(built.ids) or not len(query_tokens):
            return built.ids, np.zeros(len(built.ids), dtype=np.float32)
        unique, known = built.query_columns(query_tokens)
        if not known:
            return built.ids, np.zeros(len(built.ids), dtype=np.float32)
        raw = built.scores(known)
        upper = built.bounds(known) + 1e-9
        # Query terms unknown to the pool count towards the upper bound at the
        # mean strength of the known ones: matching 1 of 10 terms is not "perfect".
        upper *= unique / len(known)
        return built.ids, np.clip(raw / upper, 0.0, 1.0).astype(np.float32)

    def positions(self, doc_ids: list[int], build: LexicalBuild | None = None) -> np.ndarray:
        """Rows of ``doc_ids`` in the arrays :meth:`score` returns (-1: not indexed)."""
        built = build if build is not None else self._current()
        return built.rows(np.asarray(doc_ids, dtype=np.int64))

    def prepare(self, query_tokens: Tokens) -> PreparedQuery:
        """Check a tokenised query (strings or :data:`STRINGS` ids) against the pool once,
        for many :meth:`pair_score` calls."""
        built = self._current()
        unique, known = built.query_columns(query_tokens)
        if not known:
            return PreparedQuery((), 0.0, build=built)
        upper = built.bounds(known) * unique / len(known)
        columns = np.sort(np.array(known, dtype=np.int32))
        return PreparedQuery(tuple(known), upper, columns, built)

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

    def pair_scores(self, query: PreparedQuery, doc_ids: Sequence[int]) -> np.ndarray:
        """:meth:`pair_score` of many postings for one prepared query (one search per query
        token over all of them: a need against every cached offer after a write)."""
        built = query.build if query.build is not None else self._current()
        out = np.zeros(len(doc_ids), dtype=np.float64)
        if not query.known or not len(built.sorted_ids) or not len(doc_ids):
            return out
        rows = built.rows(np.asarray(doc_ids, dtype=np.int64))
        raw = built.rows_sum(rows, query.columns).astype(np.float64)
        return np.clip(raw / (query.upper + 1e-9), 0.0, 1.0)
