"""Exact inner-product search over L2-normalised vectors with stable posting ids (FAISS)."""

from __future__ import annotations

from collections.abc import Collection

import faiss
import numpy as np


class FlatIndex:
    """A FAISS ``IndexIDMap2(IndexFlatIP)``: add, replace and remove by posting id.

    Vectors go in as float32 rows; search returns ``(scores, ids)`` with
    ``-1`` ids where fewer than ``k`` results exist.
    """

    def __init__(self, dimension: int) -> None:
        self.dimension = dimension
        self._index = faiss.IndexIDMap2(faiss.IndexFlatIP(dimension))

    def __len__(self) -> int:
        return int(self._index.ntotal)

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
        self, queries: np.ndarray, k: int, allowed: Collection[int] | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Top-``k`` inner products for each query row, optionally among ``allowed`` ids only."""
        queries = np.ascontiguousarray(np.atleast_2d(queries), dtype=np.float32)
        k = max(1, min(k, len(self)))
        if len(self) == 0:
            n = len(queries)
            return np.zeros((n, 0), np.float32), np.zeros((n, 0), np.int64)
        params = None
        if allowed is not None:
            selector = faiss.IDSelectorBatch(np.asarray(list(allowed), dtype=np.int64))
            params = faiss.SearchParameters(sel=selector)  # type: ignore[call-arg]
        scores, ids = self._index.search(queries, k, params=params)
        return scores, ids

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
