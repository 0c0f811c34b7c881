"""An ``EmbeddingModel`` backed by a sentence-transformers model on the CPU.

sentence-transformers (and torch) are imported only when a model is loaded, so code
that uses the hashing model never pays for that import.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

_OFFLINE_VARIABLES = ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE")


class SentenceTransformerModel:
    """Encodes texts with a loaded ``SentenceTransformer``, prepending a fixed prompt."""

    selection: dict[str, Any] | None = None  # how the backend was chosen

    def __init__(self, model: Any, name: str, prompt: str = "", backend: str = "torch") -> None:
        self.model = model
        self.name = name
        self.backend = backend
        self.prompt = prompt
        get_dimension = getattr(model, "get_embedding_dimension", None)
        if get_dimension is None:  # sentence-transformers < 5.2
            get_dimension = model.get_sentence_embedding_dimension
        dimension = get_dimension()
        if not dimension:
            raise ValueError(f"model {name!r} does not report an embedding dimension")
        self.dimension = int(dimension)

    def encode(self, texts: Sequence[str], batch_size: int = 32) -> np.ndarray:
        """Embed ``texts`` (prompt prepended) to float32 unit rows of shape (n, dimension)."""
        if isinstance(texts, str):
            raise TypeError("encode() takes a sequence of texts, not a single string")
        items = list(texts)
        if not items:
            return np.zeros((0, self.dimension), dtype=np.float32)
        vectors = self.model.encode(
            items,
            prompt=self.prompt,
            batch_size=batch_size,
            convert_to_numpy=True,
            normalize_embeddings=True,
            show_progress_bar=False,
        )
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        if self.backend != "torch":  # normalised in bfloat16: renormalise in float32
            vectors /= np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
        return vectors

    def __repr__(self) -> str:
        return f"SentenceTransformerModel(name={self.name!r}, dimension={self.dimension})"


def load_sentence_transformer(
    name_or_path: str | Path,
    name: str,
    prompt: str | None = None,
    *,
    allow_download: bool = False,
    cache_dir: Path | None = None,
    bfloat16: bool = False,
) -> SentenceTransformerModel:
    """Load a sentence-transformers model on the CPU in fp32 (or with ``bfloat16`` its
    weights and activations in bfloat16: backend ``torch-bf16``, fast only where the CPU has
    AVX-512-BF16 or AMX); offline unless ``allow_download``.

    ``prompt`` None means the model's own saved "query" prompt, or "" if it has none.
    """
    with _hub_offline(not allow_download), _quiet_progress_bars():
        import torch
        from sentence_transformers import SentenceTransformer

        model = SentenceTransformer(
            str(name_or_path),
            device="cpu",
            cache_folder=str(cache_dir) if cache_dir is not None else None,
            local_files_only=not allow_download,
            model_kwargs={"dtype": torch.bfloat16 if bfloat16 else torch.float32},
        )
    model.eval()
    if prompt is None:
        saved = getattr(model, "prompts", None) or {}
        prompt = saved.get("query", "") if isinstance(saved, dict) else ""
    backend = "torch-bf16" if bfloat16 else "torch"
    return SentenceTransformerModel(model, name=name, prompt=prompt or "", backend=backend)


@contextmanager
def _hub_offline(offline: bool) -> Iterator[None]:
    """Set HF_HUB_OFFLINE / TRANSFORMERS_OFFLINE (env and huggingface_hub's constant)."""
    if not offline:
        yield
        return
    import huggingface_hub.constants as hub_constants  # read once at import: patch it too

    saved_env = {key: os.environ.get(key) for key in _OFFLINE_VARIABLES}
    saved_constant = hub_constants.HF_HUB_OFFLINE
    os.environ.update({key: "1" for key in _OFFLINE_VARIABLES})
    hub_constants.HF_HUB_OFFLINE = True
    try:
        yield
    finally:
        hub_constants.HF_HUB_OFFLINE = saved_constant
        for key, value in saved_env.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


@contextmanager
def _quiet_progress_bars() -> Iterator[None]:
    """Hide transformers' "Loading weights" bar while a model loads."""
    try:
        from transformers.utils import logging as hf_logging
    except ImportError:  # pragma: no cover
        yield
        return
    was_enabled = hf_logging.is_progress_bar_enabled()
    hf_logging.disable_progress_bar()
    try:
        yield
    finally:
        if was_enabled:
            hf_logging.enable_progress_bar()
