"""An embedding model that remembers its vectors, so report sections that index the dev set
again (another rule, stripped diacritics) embed only the texts they change."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from models import EmbeddingModel


class CachedModel:
    """Wraps an :class:`~models.EmbeddingModel`: same name, dimension and vectors; each
    distinct text is encoded once."""

    def __init__(self, model: EmbeddingModel) -> None:
        self.model = model
        self.name = model.name
        self.dimension = model.dimension
        self._vectors: dict[str, np.ndarray] = {}

    def encode(self, texts: Sequence[str], batch_size: int = 32) -> np.ndarray:
        """Vectors of ``texts`` (rows as the wrapped model gives them)."""
        missing = list(dict.fromkeys(t for t in texts if t not in self._vectors))
        if missing:
            encoded = self.model.encode(missing, batch_size=batch_size)
            self._vectors.update(zip(missing, encoded, strict=True))
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        return np.stack([self._vectors[t] for t in texts]).astype(np.float32)

    def save(self, path: Path) -> None:
        """Write the remembered vectors to ``path`` (.npz: texts and rows)."""
        texts = list(self._vectors)
        rows = np.stack([self._vectors[t] for t in texts]) if texts else np.zeros((0, 0))
        np.savez(path, texts=np.array(texts, dtype=object), rows=rows)

    def load(self, path: Path) -> None:
        """Remember the vectors :meth:`save` wrote to ``path`` (this model's, by contract)."""
        with np.load(path, allow_pickle=True) as data:
            self._vectors.update(zip(data["texts"].tolist(), data["rows"], strict=True))


def shared_model(model: EmbeddingModel, options: dict[str, Any]) -> CachedModel:
    """The one :class:`CachedModel` of a report run, kept in the report's ``options``."""
    cached = options.get("_cached_model")
    if not isinstance(cached, CachedModel) or cached.model is not model:
        cached = CachedModel(model)
        options["_cached_model"] = cached
    return cached
