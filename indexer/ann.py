"""Inner-product search over L2-normalised vectors with stable posting ids (FAISS).

``FlatIndex`` is exact (the default); ``IVFIndex`` is approximate (IVF-Flat, supports
remove); ``AdaptiveIndex`` is exact below a pool-size threshold and IVF above it
(threshold measured in ``benchmarks/bench_index_scale.py``); ``make_index`` picks one.

``FlatIndex`` keeps its vectors as float16 (a FAISS ``IndexScalarQuantizer`` ``QT_fp16``:
768 instead of 1,536 bytes a 384-d vector, and faster to scan on AVX-512). The engine
rounds every corrected vector to float16 before it goes in (:func:`to_index_precision`),
so the index loses nothing: a stored vector reads back exactly as written, and a score
is the same inner product whichever side a pair is searched from. The top 10 on the dev
set against float32: ``benchmarks/bench_index_precision.py``.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator
from contextlib import contextmanager
from typing import Protocol

import faiss
import numpy as np

# Measured with benchmarks/bench_faiss_threads.py (50k × 384, k 100, the other core busy):
# below this many queries per call one thread is both faster and steadier than OpenMP's two
# (1 query: p50 3.0 vs 8.4 ms, p99 5.4 vs 31 ms), and from BLAS_FROM queries on FAISS's BLAS
# path beats its per-query loop (10 queries: 13 vs 33 ms; 1 query: 8.8 vs 3.3 ms).
ONE_THREAD_BELOW = 64
BLAS_FROM = 4
faiss.cvar.distance_compute_blas_threshold = BLAS_FROM

INDEX_DTYPE: type = np.float16  # what FlatIndex stores; np.float32: a plain IndexFlatIP
SELECTOR_CACHE = 32  # FAISS selectors kept per index, one per ``allowed`` array
BITMAP_MAX_BYTES = 8 << 20  # ids below 67 million: a bitmap selector (see make_selector)


def to_index_precision(vectors: np.ndarray) -> np.ndarray:
    """``vectors`` as float32 rows holding exactly what the index stores (float16-rounded
    when :data:`INDEX_DTYPE` is float16): computed and stored vectors then agree."""
    vectors = np.asarray(vectors, dtype=np.float32)
    if INDEX_DTYPE is np.float32:
        return vectors
    return vectors.astype(INDEX_DTYPE).astype(np.float32)


def _flat_index(dimension: int) -> faiss.Index:
    """The FAISS index under :class:`FlatIndex`: exact inner products over float16 rows
    (or float32 ones when :data:`INDEX_DTYPE` says so)."""
    if INDEX_DTYPE is np.float32:
        return faiss.IndexFlatIP(dimension)
    quantizer = faiss.ScalarQuantizer.QT_fp16
    return faiss.IndexScalarQuantizer(dimension, quantizer, faiss.METRIC_INNER_PRODUCT)


@contextmanager
def search_threads(n_queries: int) -> Iterator[None]:
    """Run FAISS single-threaded for small query batches (interactive searches); OpenMP's
    setting is per calling thread, so concurrent callers do not see each other's."""
    if n_queries >= ONE_THREAD_BELOW:
        yield
        return
    before = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(1)
    try:
        yield
    finally:
        faiss.omp_set_num_threads(before)


def make_selector(ids: np.ndarray) -> tuple[faiss.IDSelector, np.ndarray | None]:
    """A FAISS selector of posting ``ids`` and the bitmap it reads (keep it alive with the
    selector): a bitmap over the id range when it takes at most :data:`BITMAP_MAX_BYTES`
    (a bit test per stored vector, where a hash-set lookup of ``IDSelectorBatch`` took a
    third of a filtered search's time), else ``IDSelectorBatch``; ``(selector, None)``."""
    top = int(ids.max()) + 1 if len(ids) else 0
    if len(ids) and int(ids.min()) >= 0 and (top + 7) // 8 <= BITMAP_MAX_BYTES:
        bits = np.zeros(top, dtype=bool)
        bits[ids] = True
        bitmap = np.packbits(bits, bitorder="little")
        return faiss.IDSelectorBitmap(len(bitmap), faiss.swig_ptr(bitmap)), bitmap  # bytes
    return faiss.IDSelectorBatch(ids), None


def id_array(ids: Collection[int] | np.ndarray) -> np.ndarray:
    """``ids`` as a contiguous int64 array (no copy when it already is one)."""
    if isinstance(ids, np.ndarray):
        return np.ascontiguousarray(ids, dtype=np.int64)
    return np.fromiter(ids, dtype=np.int64, count=len(ids))


class FlatIndex:
    """A FAISS ``IndexIDMap2`` over exact float16 (see module docstring) inner products:
    add, replace and remove by posting id.

    Vectors go in as float32 rows; search returns ``(scores, ids)`` with
    ``-1`` ids where fewer than ``k`` results exist.
    """

    def __init__(self, dimension: int) -> None:
        self.dimension = dimension
        self._index = faiss.IndexIDMap2(_flat_index(dimension))
        # id of an ``allowed`` array → (that array, its FAISS selector): building a
        # selector over 50,000 ids costs milliseconds, and the filters' arrays are reused
        self._selectors: dict[int, tuple[np.ndarray, faiss.IDSelector, np.ndarray | None]] = {}

    def __len__(self) -> int:
        return int(self._index.ntotal)

    def ids(self) -> np.ndarray:
        """Every stored id (int64)."""
        id_map = faiss.vector_to_array(self._index.id_map)
        return np.asarray(id_map, dtype=np.int64)

    def vectors(self, ids: Collection[int] | np.ndarray) -> np.ndarray:
        """The stored vectors of ``ids`` (all must be present; else ``KeyError``)."""
        if not len(ids):
            return np.zeros((0, self.dimension), np.float32)
        try:
            return self._index.reconstruct_batch(id_array(ids)).astype(np.float32, copy=False)
        except RuntimeError as exc:  # FAISS: an id it does not hold
            raise KeyError(f"ids not in the index: {exc}") from exc

    def upsert(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        """Add vectors under ``ids``, replacing any already stored under those ids."""
        if len(ids) == 0:
            return
        ids = np.asarray(ids, dtype=np.int64)
        self.remove(ids)
        self._index.add_with_ids(np.ascontiguousarray(vectors, dtype=np.float32), ids)

    def remove(self, ids: Collection[int] | np.ndarray) -> None:
        """Remove the vectors stored under ``ids`` (unknown ids are ignored)."""
        if len(ids) == 0 or len(self) == 0:
            return
        self._index.remove_ids(np.asarray(list(ids), dtype=np.int64))  # type: ignore[arg-type]

    def search(
        self, queries: np.ndarray, k: int, allowed: Collection[int] | np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Top-``k`` inner products for each query row, optionally among ``allowed`` ids only."""
        queries = np.ascontiguousarray(np.atleast_2d(queries), dtype=np.float32)
        k = max(1, min(k, len(self)))
        if len(self) == 0:
            n = len(queries)
            return np.zeros((n, 0), np.float32), np.zeros((n, 0), np.int64)
        params = None
        selected: tuple[faiss.IDSelector, np.ndarray | None] | None = None
        if allowed is not None:
            # held here until the search returns: the selector reads the bitmap through a
            # raw pointer, and another reader may drop the cache's copy meanwhile
            selected = self._selector(allowed)
            params = faiss.SearchParameters(sel=selected[0])  # type: ignore[call-arg]
        with search_threads(len(queries)):
            scores, ids = self._index.search(queries, k, params=params)
        del selected
        return scores, ids

    def _selector(
        self, allowed: Collection[int] | np.ndarray
    ) -> tuple[faiss.IDSelector, np.ndarray | None]:
        """A FAISS selector of ``allowed`` and the bitmap it reads (kept per array object
        while it lives in the cache: the arrays of :meth:`indexer.retrieval.Retriever.allowed`
        are not modified). The caller keeps both alive for as long as it searches with them:
        a concurrent reader may clear the cache at any time."""
        if not isinstance(allowed, np.ndarray):
            return make_selector(id_array(allowed))
        cache = self._selectors  # concurrent readers: one lookup, one set
        found = cache.get(id(allowed))
        if found is not None and found[0] is allowed:
            return found[1], found[2]
        selector, bitmap = make_selector(id_array(allowed))
        if len(cache) >= SELECTOR_CACHE:
            cache.clear()
        cache[id(allowed)] = (allowed, selector, bitmap)
        return selector, bitmap

    def to_bytes(self) -> bytes:
        """Serialise the index (for atomic saving by the caller)."""
        return faiss.serialize_index(self._index).tobytes()

    @classmethod
    def from_bytes(cls, data: bytes) -> FlatIndex:
        """Rebuild an index serialised with :meth:`to_bytes`."""
        index = faiss.deserialize_index(np.frombuffer(data, dtype=np.uint8))
        flat = cls(index.d)
        flat._index = index  # type: ignore[assignment]
        return flat


class ANNIndex(Protocol):
    """What the engine needs from a vector index (FlatIndex, IVFIndex, AdaptiveIndex)."""

    dimension: int

    def __len__(self) -> int: ...

    def upsert(self, ids: np.ndarray, vectors: np.ndarray) -> None: ...

    def remove(self, ids: Collection[int] | np.ndarray) -> None: ...

    def search(
        self, queries: np.ndarray, k: int, allowed: Collection[int] | np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]: ...


class IVFIndex:
    """Approximate inner-product search: a FAISS ``IndexIVFFlat`` with a hash direct map.

    Supports add, replace and remove by id (IVF has ``remove_ids``; HNSW has not). The
    coarse quantiser is trained on the vectors present at construction (``nlist`` ≈
    4·√n lists); ``nprobe`` lists are scanned per query. Searches restricted to a small
    ``allowed`` set (≤ ``exact_below`` ids) are answered exactly from the stored vectors.
    Storage is the same as Flat (4·d bytes per vector) plus 8 bytes of id and the map.
    """

    def __init__(
        self,
        ids: np.ndarray,
        vectors: np.ndarray,
        nprobe: int = 32,
        nlist: int | None = None,
        exact_below: int = 2048,
    ) -> None:
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        if len(vectors) == 0:
            raise ValueError("IVFIndex needs vectors to train its coarse quantiser")
        self.dimension = int(vectors.shape[1])
        n = len(vectors)
        self.nlist = nlist or max(1, min(int(4 * np.sqrt(n)), n // 39 or 1))
        self.nprobe = nprobe
        self.exact_below = exact_below
        self.trained_on = n
        quantizer = faiss.IndexFlatIP(self.dimension)
        metric = faiss.METRIC_INNER_PRODUCT
        index = faiss.IndexIVFFlat(quantizer, self.dimension, self.nlist, metric)
        index.cp.seed = 13
        index.train(vectors)
        index.set_direct_map_type(faiss.DirectMap.Hashtable)  # type: ignore[attr-defined]
        self._quantizer = quantizer  # the IVF index does not own it
        self._index = index
        self._ids: set[int] = set()
        self.upsert(np.asarray(ids, dtype=np.int64), vectors)

    def __len__(self) -> int:
        return int(self._index.ntotal)

    def ids(self) -> np.ndarray:
        """Every stored id (int64)."""
        return np.fromiter(sorted(self._ids), dtype=np.int64, count=len(self._ids))

    def vectors(self, ids: np.ndarray) -> np.ndarray:
        """The stored vectors of ``ids`` (all must be present; else ``KeyError``)."""
        out = np.zeros((len(ids), self.dimension), dtype=np.float32)
        for row, posting_id in enumerate(np.asarray(ids, dtype=np.int64)):
            if int(posting_id) not in self._ids:
                raise KeyError(f"id {int(posting_id)} is not in the index")
            out[row] = self._index.reconstruct(int(posting_id))
        return out

    def upsert(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        """Add vectors under ``ids``, replacing any already stored under those ids."""
        if len(ids) == 0:
            return
        ids = np.asarray(ids, dtype=np.int64)
        self.remove(ids)
        self._index.add_with_ids(np.ascontiguousarray(vectors, dtype=np.float32), ids)
        self._ids.update(int(i) for i in ids)

    def remove(self, ids: Collection[int] | np.ndarray) -> None:
        """Remove the vectors stored under ``ids`` (unknown ids are ignored)."""
        present = [int(i) for i in ids if int(i) in self._ids]
        if not present:
            return
        self._index.remove_ids(np.asarray(present, dtype=np.int64))  # type: ignore[arg-type]
        self._ids.difference_update(present)

    def search(
        self, queries: np.ndarray, k: int, allowed: Collection[int] | np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Approximate top-``k`` inner products per query row, optionally among ``allowed``."""
        queries = np.ascontiguousarray(np.atleast_2d(queries), dtype=np.float32)
        n = len(queries)
        if len(self) == 0:
            return np.zeros((n, 0), np.float32), np.zeros((n, 0), np.int64)
        k = max(1, min(k, len(self)))
        if allowed is not None:
            chosen = np.array(
                sorted(int(i) for i in id_array(allowed) if int(i) in self._ids), np.int64
            )
            if len(chosen) <= self.exact_below:
                return _exact_top_k(queries, chosen, self.vectors(chosen), k)
            selector = faiss.IDSelectorBatch(chosen)
            params = faiss.SearchParametersIVF(sel=selector, nprobe=self.nprobe)  # type: ignore[call-arg]
        else:
            params = faiss.SearchParametersIVF(nprobe=self.nprobe)  # type: ignore[call-arg]
        with search_threads(len(queries)):
            scores, ids = self._index.search(queries, k, params=params)
        return scores, ids


def _exact_top_k(
    queries: np.ndarray, ids: np.ndarray, vectors: np.ndarray, k: int
) -> tuple[np.ndarray, np.ndarray]:
    """Top-``k`` of ``queries @ vectors.T`` padded with ``-1`` ids like FAISS."""
    n = len(queries)
    scores = np.full((n, k), -np.inf, dtype=np.float32)
    out_ids = np.full((n, k), -1, dtype=np.int64)
    if len(ids) == 0:
        return scores, out_ids
    sims = queries @ vectors.T
    take = min(k, len(ids))
    top = np.argsort(-sims, axis=1, kind="stable")[:, :take]
    scores[:, :take] = np.take_along_axis(sims, top, axis=1)
    out_ids[:, :take] = ids[top]
    return scores, out_ids


class AdaptiveIndex:
    """Exact ``FlatIndex`` for small pools, ``IVFIndex`` once the pool reaches ``threshold``.

    Measured (``benchmarks/bench_index_scale.py``, 2 cores, 384-d): exact top-10 takes
    p50 0.74 ms at 10k vectors and 9.3 ms at 100k; IVF (nprobe 32) 0.30 ms at 100k with
    recall@10 0.95. The default threshold of 50k keeps exact search under ~5 ms.

    The switch (and a retraining once the pool has grown ``retrain_growth``-fold since the
    last training) rebuilds the IVF from the stored vectors; below ``threshold // 2`` it
    goes back to exact search. Add, replace, remove and ``allowed`` work in both modes.
    """

    def __init__(
        self,
        dimension: int,
        threshold: int = 50_000,
        nprobe: int = 32,
        retrain_growth: float = 4.0,
    ) -> None:
        self.dimension = dimension
        self.threshold = threshold
        self.nprobe = nprobe
        self.retrain_growth = retrain_growth
        self._flat: FlatIndex | None = FlatIndex(dimension)
        self._ivf: IVFIndex | None = None

    @property
    def approximate(self) -> bool:
        """True while the IVF index answers searches."""
        return self._ivf is not None

    def __len__(self) -> int:
        return len(self._ivf) if self._ivf is not None else len(self._flat or ())

    def upsert(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        """Add vectors under ``ids`` (replacing), switching to IVF at the threshold."""
        if self._ivf is not None:
            self._ivf.upsert(ids, vectors)
            if len(self._ivf) >= self.retrain_growth * self._ivf.trained_on:
                all_ids = self._ivf.ids()
                self._ivf = IVFIndex(all_ids, self._ivf.vectors(all_ids), nprobe=self.nprobe)
            return
        assert self._flat is not None
        self._flat.upsert(ids, vectors)
        if len(self._flat) >= self.threshold:
            all_ids = self._flat.ids()
            self._ivf = IVFIndex(all_ids, self._flat.vectors(all_ids), nprobe=self.nprobe)
            self._flat = None

    def remove(self, ids: Collection[int] | np.ndarray) -> None:
        """Remove the vectors stored under ``ids``; back to exact below ``threshold // 2``."""
        if self._ivf is None:
            assert self._flat is not None
            self._flat.remove(ids)
            return
        self._ivf.remove(ids)
        if len(self._ivf) < self.threshold // 2:
            flat = FlatIndex(self.dimension)
            all_ids = self._ivf.ids()
            if len(all_ids):
                flat.upsert(all_ids, self._ivf.vectors(all_ids))
            self._flat, self._ivf = flat, None

    def vectors(self, ids: Collection[int] | np.ndarray) -> np.ndarray:
        """The stored vectors of ``ids`` (all must be present; else ``KeyError``)."""
        if self._ivf is not None:
            return self._ivf.vectors(id_array(ids))
        assert self._flat is not None
        return self._flat.vectors(ids)

    def search(
        self, queries: np.ndarray, k: int, allowed: Collection[int] | np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Top-``k`` inner products (exact or IVF), optionally among ``allowed`` ids."""
        if self._ivf is not None:
            return self._ivf.search(queries, k, allowed)
        assert self._flat is not None
        return self._flat.search(queries, k, allowed)


def make_index(dimension: int, kind: str = "flat", threshold: int = 50_000) -> ANNIndex:
    """``"flat"`` (exact, the default) or ``"auto"`` (exact below ``threshold``, else IVF)."""
    if kind == "flat":
        return FlatIndex(dimension)
    if kind == "auto":
        return AdaptiveIndex(dimension, threshold=threshold)
    raise ValueError(f"unknown index kind {kind!r}; choose 'flat' or 'auto'")
