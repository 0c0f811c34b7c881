"""Saving and loading the engine's state: one ``index.npz`` file, written atomically.

Only what cannot be derived cheaply is saved: postings, raw vectors, tokens, key terms and
their vectors, the bias statistics and reference samples. FAISS and BM25 are rebuilt on
load. The file records the format version, the model and its backend: vectors of another
model (or backend) would silently mis-rank, so such a file is refused.
"""

from __future__ import annotations

import dataclasses
import io
import json
import os
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from indexer.bias import LanguageStats
from indexer.errors import IndexLoadError
from indexer.postings import Posting
from indexer.store import PostingStore

if TYPE_CHECKING:
    from models import EmbeddingModel

FORMAT_VERSION = 1
INDEX_FILE = "index.npz"


def model_backend(model: EmbeddingModel) -> str:
    """How the model runs (``torch``, ``onnx``, ``onnx-int8``; empty when it does not say):
    vectors of one model differ slightly between backends, so an index records it."""
    return str(getattr(model, "backend", ""))


@dataclass
class SavedIndex:
    """What :func:`read_index` found: the filled store and the bias state (``stats`` None:
    the file had no statistics, i.e. an empty pool)."""

    store: PostingStore
    stats: LanguageStats | None
    reference_ids: dict[str, list[int]]


def write_index(
    directory: Path,
    store: PostingStore,
    model: EmbeddingModel,
    stats: LanguageStats,
    reference_ids: dict[str, list[int]],
) -> Path:
    """Write the state atomically to ``directory/index.npz``; returns the file path."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    ids = np.array(sorted(store.raw), dtype=np.int64)
    raw = store.raw_matrix([int(i) for i in ids]) if len(ids) else np.zeros((0, store.dimension))
    terms = list(store.term_vectors)
    meta = {
        "format": FORMAT_VERSION,
        "model": model.name,
        "backend": model_backend(model),
        "dimension": store.dimension,
        "postings": [dataclasses.asdict(p) for p in store.postings.values()],
        "hashes": {str(k): v for k, v in store.hashes.items()},
        "tokens": {str(k): v for k, v in store.tokens.items()},
        "terms": {str(k): v for k, v in store.terms.items()},
        "surfaces": {str(k): v for k, v in store.surfaces.items()},
        "term_list": terms,
        "reference_ids": reference_ids,
    }
    arrays: dict[str, np.ndarray] = {
        "meta": np.frombuffer(json.dumps(meta, ensure_ascii=False).encode("utf-8"), np.uint8),
        "ids": ids,
        "raw": raw.astype(np.float32),
        "term_vectors": np.stack([store.term_vectors[t] for t in terms])
        if terms
        else np.zeros((0, store.dimension), np.float32),
    }
    arrays.update({f"stats_{k}": v for k, v in stats.to_arrays().items()})
    path = directory / INDEX_FILE
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=".index-", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            buffer = io.BytesIO()
            np.savez(buffer, **arrays)  # type: ignore[arg-type]
            fh.write(buffer.getvalue())
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def read_index(directory: Path, model: EmbeddingModel) -> SavedIndex:
    """Read a file written by :func:`write_index` for ``model``; raises
    :class:`IndexLoadError` when it is missing, corrupt or of another model or backend."""
    path = Path(directory) / INDEX_FILE
    if not path.exists():
        raise IndexLoadError(f"no index at {path}")
    try:
        with np.load(path, allow_pickle=False) as data:
            arrays = {k: data[k] for k in data.files}
        meta = json.loads(arrays["meta"].tobytes().decode("utf-8"))
    except Exception as exc:  # corrupt or truncated file
        raise IndexLoadError(f"cannot read {path}: {exc}") from exc
    _check(path, meta, model)
    store = PostingStore(model.dimension)
    for row in meta["postings"]:
        row["keywords"] = tuple(row.get("keywords") or ())
        store.put(Posting(**row))
    store.hashes = {int(k): v for k, v in meta["hashes"].items()}
    store.tokens = {int(k): [sys.intern(t) for t in v] for k, v in meta["tokens"].items()}
    store.terms = {int(k): [sys.intern(t) for t in v] for k, v in meta["terms"].items()}
    store.surfaces = {int(k): v for k, v in meta["surfaces"].items()}
    store.raw = {int(i): v for i, v in zip(arrays["ids"], arrays["raw"], strict=True)}
    store.term_vectors = dict(zip(meta["term_list"], arrays["term_vectors"], strict=True))
    if set(store.raw) != set(store.postings):
        raise IndexLoadError(f"{path} is inconsistent: vectors and postings differ")
    stats = {k[len("stats_") :]: v for k, v in arrays.items() if k.startswith("stats_")}
    return SavedIndex(
        store=store,
        stats=LanguageStats.from_arrays(stats) if stats else None,
        reference_ids={k: list(v) for k, v in meta["reference_ids"].items()},
    )


def _check(path: Path, meta: dict[str, object], model: EmbeddingModel) -> None:
    if meta.get("format") != FORMAT_VERSION:
        raise IndexLoadError(f"{path} has format {meta.get('format')}, expected {FORMAT_VERSION}")
    if meta.get("model") != model.name or meta.get("dimension") != model.dimension:
        raise IndexLoadError(
            f"{path} was built with model {meta.get('model')!r}, not {model.name!r}"
        )
    if meta.get("backend", "") != model_backend(model):
        raise IndexLoadError(
            f"{path} was built with the {meta.get('backend') or 'default'!r} backend of "
            f"{model.name!r}, not {model_backend(model) or 'default'!r}: vectors differ"
        )
