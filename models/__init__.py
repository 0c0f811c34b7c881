"""Embedding models: which exist, how they are built and loaded offline (see README.md)."""

from models.registry import (
    DEFAULT_MODEL,
    EmbeddingModel,
    ModelNotFoundError,
    ModelSpec,
    list_models,
    load_model,
)

__all__ = [
    "DEFAULT_MODEL",
    "EmbeddingModel",
    "ModelNotFoundError",
    "ModelSpec",
    "list_models",
    "load_model",
]
