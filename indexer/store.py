"""The posting store: every indexed posting with its raw vector and lexical features.

Postings, content hashes, key terms and display forms are dicts keyed by posting id (ids
are unique across kinds). Raw vectors live in one :class:`VectorTable` (a contiguous
float16 matrix, not one float32 array object per posting) and tokens in a
:class:`TokenTable` (int32 ids into one process-wide string table,
``indexer.lexical.STRINGS``, not lists of string pointers): at 100,000 postings these two
took 2.3 KB of the engine's 6.6 KB per posting as dicts of arrays and lists, now 1.2 KB.
The store is the engine's source for everything derived (FAISS, BM25, bias statistics);
it knows nothing of how they are derived.
"""

from __future__ import annotations

from collections.abc import Iterator, MutableMapping, Sequence

import numpy as np

from indexer.errors import UnknownPosting
from indexer.features import Features, surface_of
from indexer.lexical import STRINGS
from indexer.postings import Kind, Posting

RAW_DTYPE = np.float16  # raw vectors only feed refits; ranking agreement: bench_memory.py


class VectorTable(MutableMapping[int, np.ndarray]):
    """Vectors by posting id in one growing ``(capacity, dimension)`` matrix.

    Rows of removed ids are reused. Values go in as any float array and come out as
    float32 copies; ``dtype`` is the storage type (float16 halves the memory; raw e5
    vectors lose nothing a ranking sees, see ``benchmarks/bench_memory.py``)."""

    def __init__(self, dimension: int, dtype: type = RAW_DTYPE) -> None:
        self.dimension = dimension
        self._rows: dict[int, int] = {}
        self._free: list[int] = []
        self._data: np.ndarray = np.zeros((0, dimension), dtype=dtype)

    def __len__(self) -> int:
        return len(self._rows)

    def __iter__(self) -> Iterator[int]:
        return iter(self._rows)

    def __contains__(self, posting_id: object) -> bool:
        return posting_id in self._rows

    def __getitem__(self, posting_id: int) -> np.ndarray:
        return self._data[self._rows[posting_id]].astype(np.float32)

    def __setitem__(self, posting_id: int, vector: np.ndarray) -> None:
        row = self._rows.get(posting_id)
        if row is None:
            row = self._free.pop() if self._free else self._grow(1)
            self._rows[posting_id] = row
        self._data[row] = vector

    def __delitem__(self, posting_id: int) -> None:
        self._free.append(self._rows.pop(posting_id))

    def _grow(self, extra: int) -> int:
        """First row of ``extra`` new rows past the used ones (capacity grows by a quarter)."""
        used = len(self._rows) + len(self._free)
        if used + extra > len(self._data):
            capacity = max(used + extra, int(len(self._data) * 1.25), 64)
            data = np.zeros((capacity, self.dimension), dtype=self._data.dtype)
            data[:used] = self._data[:used]
            self._data = data
        return used

    def matrix(self, ids: Sequence[int]) -> np.ndarray:
        """The float32 rows of ``ids`` (all present) stacked in one array."""
        rows = np.fromiter((self._rows[i] for i in ids), dtype=np.int64, count=len(ids))
        return self._data[rows].astype(np.float32)

    def fill(self, ids: Sequence[int], vectors: np.ndarray) -> None:
        """Set many rows at once (loading a saved index)."""
        new = [i for i in ids if i not in self._rows]
        first = self._grow(len(new))
        self._rows.update(zip(new, range(first, first + len(new)), strict=True))
        rows = np.fromiter((self._rows[i] for i in ids), dtype=np.int64, count=len(ids))
        self._data[rows] = vectors

    @property
    def nbytes(self) -> int:
        """Bytes of the matrix (capacity included) and the id → row map's entries."""
        return int(self._data.nbytes) + 100 * len(self._rows)


class TokenTable(MutableMapping[int, list[str]]):
    """Token lists by posting id, each kept as an int32 array of :data:`STRINGS` ids.

    Reading an item decodes it into a new ``list[str]``; :meth:`encoded` gives the array
    itself (what the BM25 index keeps, so both share one copy)."""

    def __init__(self) -> None:
        self._arrays: dict[int, np.ndarray] = {}

    def __len__(self) -> int:
        return len(self._arrays)

    def __iter__(self) -> Iterator[int]:
        return iter(self._arrays)

    def __contains__(self, posting_id: object) -> bool:
        return posting_id in self._arrays

    def __getitem__(self, posting_id: int) -> list[str]:
        return STRINGS.decode(self._arrays[posting_id])

    def __setitem__(self, posting_id: int, tokens: Sequence[str] | np.ndarray) -> None:
        if isinstance(tokens, np.ndarray):
            self._arrays[posting_id] = tokens.astype(np.int32, copy=False)
        else:
            self._arrays[posting_id] = STRINGS.encode(tokens)

    def __delitem__(self, posting_id: int) -> None:
        del self._arrays[posting_id]

    def encoded(self, posting_id: int) -> np.ndarray:
        """The posting's tokens as :data:`STRINGS` ids (the stored array; do not modify)."""
        return self._arrays[posting_id]


class PostingStore:
    """Postings, content hashes, raw vectors, tokens, key terms and key-term vectors."""

    def __init__(self, dimension: int) -> None:
        self.dimension = dimension
        self.postings: dict[int, Posting] = {}
        self.hashes: dict[int, str] = {}
        self.raw = VectorTable(dimension)
        self.tokens = TokenTable()
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
        self.raw[posting.id] = vector
        self.hashes[posting.id] = posting.content_hash()
        self.tokens[posting.id] = features.tokens
        if features.surfaces:
            self.surfaces[posting.id] = features.surfaces
        else:
            self.surfaces.pop(posting.id, None)
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
        """Raw vectors of ``ids`` stacked into one float32 (n, dimension) array."""
        if not ids:
            return np.zeros((0, self.dimension), np.float32)
        return self.raw.matrix(ids)

    def surface(self, posting_id: int, token: str) -> str:
        """The word a lexical token came from in a posting's text (for display)."""
        return surface_of(self.surfaces.get(posting_id, {}), token)
