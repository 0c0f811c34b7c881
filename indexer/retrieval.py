"""Candidate retrieval: one vector index (FAISS or pgvector) and one BM25 index per kind.

A posting's candidates are its dense top-``k`` of the other kind plus that kind's best
BM25 hits for its tokens; each comes with its bias-corrected cosine, and, for a need,
with its BM25 score (every pair is scored need → offer, whichever side asks).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from indexer.ann import ANNIndex, FlatIndex, make_index
from indexer.lexical import LexicalBuild, LexicalIndex, PreparedQuery, Tokens
from indexer.pgvector_store import ColumnFilter, PgVectorIndex, make_pgvector_index
from indexer.postings import KINDS, Filters, Kind, Posting, other_kind
from indexer.store import PostingStore

Vectors = Callable[[Sequence[int]], np.ndarray]  # ids → corrected unit-length rows
Dense = tuple[np.ndarray, np.ndarray]  # one query's row of a search: (scores, ids)

ALLOWED_CACHE_SIZE = 64
WRITTEN_UPDATE_MAX = 5000  # writes of more ids at once forget the filter cache instead


class Retriever:
    """The FAISS and BM25 indexes of both kinds, and the caches valid for one pool state."""

    def __init__(
        self,
        store: PostingStore,
        vectors: Vectors,
        ann: str = "flat",
        ann_threshold: int = 50_000,
        lexical_background_above: int = 20_000,
        pgvector_url: object | None = None,
        pgvector_table: str = "posting_vectors",
    ) -> None:
        self.store = store
        self.correct = vectors  # computes from the raw vectors (what the indexes are fed)
        self._ann_kind, self._ann_threshold = ann, ann_threshold
        # the service passes a secret (pydantic's SecretStr): unwrapped only to connect
        reveal = getattr(pgvector_url, "get_secret_value", None)
        url = reveal() if reveal is not None else pgvector_url
        self._pgvector = (str(url) if url else None, pgvector_table)
        if ann == "pgvector" and not self._pgvector[0]:
            raise ValueError("ann='pgvector' needs pgvector_url (a PostgreSQL URL)")
        self.ann: dict[Kind, ANNIndex] = {k: self._new_index(k) for k in KINDS}
        self.lex: dict[Kind, LexicalIndex] = {
            k: LexicalIndex(background_above=lexical_background_above) for k in KINDS
        }
        # (kind, filters) → (sorted ids passing, members failing): ``None`` when none fail
        self._allowed: dict[tuple[Kind, Filters], tuple[np.ndarray, int]] = {}
        self._prepared: dict[int, tuple[int, PreparedQuery]] = {}  # need → (lex version, q)
        self._masks: dict[tuple[int, int], tuple[LexicalBuild, np.ndarray, np.ndarray]] = {}
        # id of an ``allowed`` array handed out → (that array, its filters): lets a store
        # that filters by columns (pgvector) search by the filters instead of the ids
        self._filters_of: dict[int, tuple[np.ndarray, Filters]] = {}

    def _new_index(self, kind: Kind) -> ANNIndex:
        """The configured store for ``kind``: FAISS (``flat``/``auto``) or pgvector."""
        if self._ann_kind == "pgvector":
            url, table = self._pgvector
            assert url is not None
            return make_pgvector_index(url, kind, self.store.dimension, table=table)
        return make_index(self.store.dimension, self._ann_kind, self._ann_threshold)

    def _upsert_columns(
        self, index: PgVectorIndex, ids: Sequence[int], vectors: np.ndarray, bulk: bool = False
    ) -> None:
        """Write postings' vectors with their filter columns (status, language, sector)
        into a column store: one upsert, or (``bulk``) a bulk load replacing the kind."""
        postings = [self.store.postings[i] for i in ids]
        id_array = np.array(ids, dtype=np.int64)
        status = [p.status for p in postings]
        language = [p.language or "" for p in postings]
        sector = [p.sector for p in postings]
        if bulk:
            index.bulk_load(id_array, vectors, status=status, language=language, sector=sector)
        else:
            index.upsert(id_array, vectors, status=status, language=language, sector=sector)

    # ----------------------------------------------------------------- upkeep
    def invalidate(self) -> None:
        """Forget every cache (benchmarks measure cold calls; writes call :meth:`written`)."""
        self._allowed.clear()
        self._filters_of.clear()
        self._prepared.clear()
        self._masks.clear()

    def rebuild_dense(self, ids: Sequence[int]) -> None:
        """Fresh vector indexes holding the corrected vectors of ``ids`` (pgvector: every
        row of each kind replaced in one bulk load, rows of other ids dropped)."""
        for kind in KINDS:
            kind_ids = [i for i in ids if self.store.postings[i].kind == kind]
            index = self.ann[kind]
            id_array = np.array(kind_ids, dtype=np.int64)
            if isinstance(index, PgVectorIndex):
                self._upsert_columns(index, kind_ids, self.correct(kind_ids), bulk=True)
                continue
            self.ann[kind] = fresh = self._new_index(kind)
            fresh.upsert(id_array, self.correct(kind_ids))

    def export_dense(self) -> dict[Kind, tuple[np.ndarray, np.ndarray]]:
        """Per kind held in an exact FAISS index: ``(ids, stored vectors)``, what
        :meth:`restore_dense` installs again (saved with the index; other stores: none)."""
        out: dict[Kind, tuple[np.ndarray, np.ndarray]] = {}
        for kind, index in self.ann.items():
            if isinstance(index, FlatIndex):
                ids = index.ids()
                out[kind] = (ids, index.vectors(ids))
        return out

    def restore_dense(self, kind: Kind, ids: np.ndarray, vectors: np.ndarray) -> bool:
        """A fresh exact index of ``kind`` holding saved corrected ``vectors`` (nothing
        recomputed); False, and nothing changed, when the configured store is not FAISS's
        exact one."""
        fresh = self._new_index(kind)
        if not isinstance(fresh, FlatIndex):
            return False
        fresh.upsert(np.asarray(ids, dtype=np.int64), vectors)
        self.ann[kind] = fresh
        return True

    def index(self, ids: Sequence[int], vectors: np.ndarray, dense: bool = True) -> None:
        """Store postings' corrected ``vectors`` (when ``dense``) and tokens."""
        for kind in KINDS:
            rows = [n for n, i in enumerate(ids) if self.store.postings[i].kind == kind]
            if not rows:
                continue
            if dense:
                kind_ids = np.array([ids[n] for n in rows], dtype=np.int64)
                index = self.ann[kind]
                if isinstance(index, PgVectorIndex):
                    self._upsert_columns(index, [ids[n] for n in rows], vectors[rows])
                else:
                    index.upsert(kind_ids, vectors[rows])
            for n in rows:
                self.lex[kind].upsert(ids[n], self.store.tokens.encoded(ids[n]))

    def index_tokens(self, ids: Sequence[int]) -> None:
        """Store postings' tokens in their kind's BM25 index (the vectors are not touched)."""
        for posting_id in ids:
            kind = self.store.postings[posting_id].kind
            self.lex[kind].upsert(posting_id, self.store.tokens.encoded(posting_id))

    def remove(self, posting: Posting) -> None:
        """Drop a posting from its kind's indexes."""
        self.ann[posting.kind].remove([posting.id])
        self.lex[posting.kind].remove(posting.id)

    # ---------------------------------------------------------------- queries
    def vectors(self, ids: Sequence[int]) -> np.ndarray:
        """Corrected vectors of indexed postings (one row per id): read back from their
        kind's vector index where it keeps them (FAISS: exactly the rows it searches; no
        correction or VI → EN map recomputed on a read), else computed from the raw ones."""
        if not len(ids):
            return self.correct(ids)
        postings = self.store.postings
        kinds = [postings[i].kind if i in postings else None for i in ids]
        if kinds.count(kinds[0]) == len(kinds):  # the usual case: one kind
            return self._stored(kinds[0], ids)
        out = np.empty((len(ids), self.store.dimension), dtype=np.float32)
        for kind in dict.fromkeys(kinds):
            rows = [n for n, k in enumerate(kinds) if k == kind]
            out[rows] = self._stored(kind, [ids[n] for n in rows])
        return out

    def _stored(self, kind: Kind | None, ids: Sequence[int]) -> np.ndarray:
        """The rows of ``ids`` (all of ``kind``) as :meth:`vectors` reads them."""
        read = getattr(self.ann[kind], "vectors", None) if kind is not None else None
        if read is not None:
            try:
                return np.asarray(read(ids), dtype=np.float32)
            except KeyError:  # not indexed yet (a write in progress): computed instead
                pass
        return self.correct(ids)

    def allowed(self, kind: Kind, filters: Filters | None) -> np.ndarray | None:
        """Ids of ``kind`` passing ``filters`` (``None``: all do); cached until the pool changes."""
        filters = filters if filters is not None else Filters()
        key = (kind, filters)
        cache = self._allowed  # concurrent readers may fill or clear it: one lookup, one set
        found = cache.get(key)
        if found is None:
            members = [p for p in self.store if p.kind == kind]
            ids = np.sort(np.array([p.id for p in members if filters.accepts(p)], np.int64))
            found = (ids, len(members) - len(ids))
            if len(cache) >= ALLOWED_CACHE_SIZE:  # many distinct filters: bound memory
                cache.clear()
                self._filters_of.clear()
            cache[key] = found
            self._filters_of[id(ids)] = (ids, filters)
        return None if found[1] == 0 else found[0]

    def written(self, before: dict[int, Posting | None]) -> None:
        """Bring the cached filter results up to date after a write of the ids in ``before``
        (each with its posting before the write, ``None``: new): a few set operations per
        cached filter instead of a pass over the pool at the next read."""
        for posting_id in before:
            self._prepared.pop(posting_id, None)
        if len(before) > WRITTEN_UPDATE_MAX:
            self._allowed.clear()
            self._filters_of.clear()
            return
        for key, (ids, failing) in list(self._allowed.items()):
            kind, filters = key
            drop, add = [], []
            for posting_id, old in before.items():
                new = self.store.get(posting_id)
                if old is not None and old.kind == kind:
                    if filters.accepts(old):
                        drop.append(posting_id)
                    else:
                        failing -= 1
                if new is not None and new.kind == kind:
                    if filters.accepts(new):
                        add.append(posting_id)
                    else:
                        failing += 1
            if drop:
                ids = np.setdiff1d(ids, np.array(drop, np.int64), assume_unique=True)
            if add:
                ids = np.union1d(ids, np.array(add, np.int64))
            if drop or add:
                self._filters_of.pop(id(self._allowed[key][0]), None)
            self._allowed[key] = (ids, failing)
            self._filters_of[id(ids)] = (ids, filters)

    def search(self, kind: Kind, queries: np.ndarray, k: int, allowed: np.ndarray | None) -> Dense:
        """Top-``k`` inner products of each query row among postings of ``kind``."""
        index = self.ann[kind]
        if not isinstance(index, PgVectorIndex):
            return index.search(queries, k, allowed)
        return self._search_columns(index, kind, queries, k, allowed)

    def _search_columns(
        self,
        index: PgVectorIndex,
        kind: Kind,
        queries: np.ndarray,
        k: int,
        allowed: np.ndarray | None,
    ) -> Dense:
        """A pgvector search: an ``allowed`` array made by :meth:`allowed` becomes its
        filters' column condition (no list of ids sent); any other array goes as ids.
        Rows whose id the pool does not hold as ``kind`` (left in a shared table by another
        engine) are skipped: the search asks for as many more rows as it met."""
        if allowed is None:
            where, ids_in = ColumnFilter(statuses=None), None
        else:
            known = self._filters_of.get(id(allowed))
            if known is not None and known[0] is allowed and known[1].ids is None:
                f = known[1]
                where = ColumnFilter(statuses=f.statuses, languages=f.languages, sectors=f.sectors)
                ids_in = None
            else:
                where, ids_in = ColumnFilter(statuses=None), allowed
        depth = k
        while True:
            scores, ids = index.search(queries, depth, ids_in, where=where)
            keep = np.fromiter(
                (i >= 0 and self.store.is_kind(int(i), kind) for i in ids.ravel()),
                bool,
                ids.size,
            ).reshape(ids.shape)
            strays = int(((ids >= 0) & ~keep).sum(axis=1).max(initial=0))
            if strays == 0 or depth >= k + strays or (ids < 0).any():
                break
            depth = k + strays
        out_scores = np.full((len(ids), k), -np.inf, dtype=np.float32)
        out_ids = np.full((len(ids), k), -1, dtype=np.int64)
        for row in range(len(ids)):
            kept = np.flatnonzero(keep[row])[:k]
            out_ids[row, : len(kept)] = ids[row, kept]
            out_scores[row, : len(kept)] = scores[row, kept]
        return out_scores, out_ids

    def candidates(
        self, posting: Posting, k: int, allowed: np.ndarray | None, dense: Dense | None = None
    ) -> tuple[dict[int, float], dict[int, float]]:
        """``(cosines, lexical)`` of the dense top-``k`` plus the BM25 top hits.

        ``lexical`` holds the need→offer BM25 of each candidate when ``posting`` is a need
        (taken from the one pass over the pool the BM25 hits need); it is empty for an
        offer, whose pairs are scored with the need's tokens (:meth:`pair_lexical`).
        ``dense`` = this posting's row of a batched search (same ``k`` and ``allowed``)
        skips the per-posting FAISS call."""
        target = other_kind(posting.kind)
        query = self.vectors([posting.id])[0]
        found: dict[int, float] = {}
        lexical: dict[int, float] = {}
        if allowed is not None and not len(allowed):
            return found, lexical
        if dense is None:
            scores, ids = self.search(target, query, k, allowed)
            dense = scores[0], ids[0]
        for score, cid in zip(dense[0], dense[1], strict=True):
            if cid >= 0:
                found[int(cid)] = float(score)
        lex = self.lex[target]
        build = lex.snapshot()
        tokens = self.store.tokens
        words: Tokens = tokens.encoded(posting.id) if posting.id in tokens else []
        lex_ids, lex_scores = lex.score(words, build)
        if len(lex_ids):
            all_scores = lex_scores
            if allowed is not None:
                mask = self._row_mask(build, allowed)
                lex_ids, lex_scores = lex_ids[mask], lex_scores[mask]
            top = top_positive(lex_scores, max(k // 2, 10))
            # A BM25 build being replaced in the background may still name a deleted posting.
            missing = [
                int(lex_ids[t])
                for t in top
                if int(lex_ids[t]) not in found and self.store.is_kind(int(lex_ids[t]), target)
            ]
            if missing:
                cosines = self.vectors(missing) @ query
                found.update(zip(missing, map(float, cosines), strict=True))
            if posting.kind == "need":
                candidates = list(found)
                rows = lex.positions(candidates, build)
                values = np.where(rows >= 0, all_scores[np.maximum(rows, 0)], 0.0)
                lexical = dict(zip(candidates, map(float, values), strict=True))
        return found, lexical

    def _row_mask(self, build: LexicalBuild, allowed: np.ndarray) -> np.ndarray:
        """Which rows of ``build`` hold an ``allowed`` id (cached per build and id array:
        the same filter's array is reused until a write replaces it)."""
        key = (id(build), id(allowed))
        cached = self._masks.get(key)
        if cached is not None and cached[0] is build and cached[1] is allowed:
            return cached[2]
        mask = np.zeros(len(build.ids), dtype=bool)
        rows = build.rows(allowed)
        mask[rows[rows >= 0]] = True
        masks = self._masks
        if len(masks) >= ALLOWED_CACHE_SIZE:
            masks.clear()
        masks[key] = (build, allowed, mask)
        return mask

    def known_pairs(
        self, need: Posting, offer_ids: Sequence[int]
    ) -> dict[int, tuple[float, float]]:
        """``{offer id: (cosine, lexical)}`` of a need with known offers, computed exactly as
        :meth:`candidates` computes them for a search among those offers only (the vector
        index's inner products and the need's one BM25 pass), so that a known pair scores
        as the full path scores it. Ids that are not offers are left out."""
        wanted = frozenset(offer_ids)
        if not wanted:
            return {}
        allowed = self.allowed("offer", Filters(statuses=None, ids=wanted))
        cosines, lexical = self.candidates(need, len(wanted), allowed)
        return {
            o: (c, lexical[o] if o in lexical else self.pair_lexical(need.id, o))
            for o, c in cosines.items()
            if o in wanted
        }

    def pair_lexical(self, need_id: int, offer_id: int) -> float:
        """Normalised BM25 of the offer for the need's tokens."""
        return self.lex["offer"].pair_score(self._need_query(need_id), offer_id)

    def pair_lexicals(self, need_id: int, offer_ids: Sequence[int]) -> np.ndarray:
        """:meth:`pair_lexical` of the need with each of ``offer_ids`` (one pass)."""
        return self.lex["offer"].pair_scores(self._need_query(need_id), offer_ids)

    def _need_query(self, need_id: int) -> PreparedQuery:
        """The need's tokens prepared against the offers' BM25 index (cached per version)."""
        lex = self.lex["offer"]
        cached = self._prepared.get(need_id)
        if cached is None or cached[0] != lex.version:
            tokens = self.store.tokens
            prepared = lex.prepare(tokens.encoded(need_id) if need_id in tokens else [])
            cached = (lex.version, prepared)
            self._prepared[need_id] = cached
        return cached[1]


def top_positive(values: np.ndarray, m: int) -> np.ndarray:
    """Indices of the (at most) ``m`` largest positive ``values``, best first (ties: lower
    index first), without sorting the whole array."""
    positive = np.flatnonzero(values > 0)
    if len(positive) > m:
        cut = np.argpartition(-values[positive], m - 1)[:m]
        positive = positive[cut]
    order = np.lexsort((positive, -values[positive]))
    return positive[order]
