"""Shared pytest fixtures (keep this small; layer-specific fixtures live beside their tests)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from models import EmbeddingModel, load_model

REPO_ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def model_cache_dir() -> Path:
    """Model cache shared by the whole test session (and across runs): built once, reused."""
    path = Path(os.environ.get("TECHMATCH_TEST_MODEL_CACHE", REPO_ROOT / ".cache" / "models"))
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture(scope="session")
def e5_model(model_cache_dir: Path) -> EmbeddingModel:
    """The default multilingual-e5-small model (default backend: auto, the fastest faithful one
    on this CPU), loaded once."""
    return load_model("multilingual-e5-small", model_cache_dir)


@pytest.fixture(scope="session")
def e5_torch(model_cache_dir: Path) -> EmbeddingModel:
    """multilingual-e5-small on the sentence-transformers (torch fp32) backend."""
    return load_model("multilingual-e5-small", model_cache_dir, backend="torch")
