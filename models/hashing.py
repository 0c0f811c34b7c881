"""A tiny deterministic embedder for fast unit tests (numpy only).

Feature hashing of lower-cased word unigrams and character 3-grams into 256
signed buckets, L2-normalised. It has NO semantic quality: texts are close only
when they share words or letter sequences. Use it to test plumbing, never to
judge matching quality.
"""

from __future__ import annotations

import re
import unicodedata
import zlib
from collections.abc import Iterator, Sequence

import numpy as np

HASHING_DIMENSION = 256
_WORD = re.compile(r"\w+")
_SPACES = re.compile(r"\s+")


class HashingModel:
    """Feature-hashing embedder: same text in, same vector out, in every process."""

    def __init__(self, dimension: int = HASHING_DIMENSION, name: str = "hashing") -> None:
        if dimension <= 0:
            raise ValueError("dimension must be positive")
        self.name = name
        self.dimension = dimension
        self.prompt = ""

    def encode(self, texts: Sequence[str], batch_size: int = 32) -> np.ndarray:
        """Embed ``texts`` to float32 unit rows of shape (n, dimension); batch_size is ignored."""
        if isinstance(texts, str):
            raise TypeError("encode() takes a sequence of texts, not a single string")
        items = list(texts)
        out = np.zeros((len(items), self.dimension), dtype=np.float32)
        for row, text in enumerate(items):
            for feature in _features(text):
                code = zlib.crc32(feature.encode("utf-8"))
                sign = 1.0 if code & 0x80000000 else -1.0
                out[row, code % self.dimension] += sign
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        zero = norms[:, 0] == 0
        if zero.any():  # every feature cancelled out: fall back to a fixed unit vector
            out[zero] = 0.0
            out[zero, 0] = 1.0
            norms[zero] = 1.0
        return out / norms

    def __repr__(self) -> str:
        return f"HashingModel(dimension={self.dimension})"


def _features(text: str) -> Iterator[str]:
    """Word unigrams ("w:") and character 3-grams ("c:") of the NFC, lower-cased text."""
    clean = _SPACES.sub(" ", unicodedata.normalize("NFC", text).lower()).strip()
    if not clean:
        yield "<empty>"
        return
    for word in _WORD.findall(clean):
        yield "w:" + word
    padded = f" {clean} "
    for start in range(len(padded) - 2):
        yield "c:" + padded[start : start + 3]
