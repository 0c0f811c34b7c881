"""A learned VI → EN map of bias-corrected vectors: orthogonal Procrustes, shrunk.

Language-mean centering (:mod:`indexer.bias`) removes the mean offset between the two
languages; what is left is a rotation that a small set of translated pairs can estimate.
The map is fitted on centred, unit-length pairs (``data/parallel/pairs.jsonl``: the same
technology posting in Vietnamese and in English) and applied to Vietnamese rows after
centering. With 208 pairs in 384 dimensions a full map overfits, so it is shrunk toward
the identity: ``strength`` 0 is the identity (today's centering alone), 1 the full
orthogonal map, ``(1 - s)·I + s·R`` in between. The strength is chosen on the tuning
part of the dev set (``techmatch eval``'s ``alignment`` section).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from models import EmbeddingModel

DEFAULT_PAIRS = Path(__file__).resolve().parents[1] / "data" / "parallel" / "pairs.jsonl"
SOURCE_LANGUAGE = "vi"


def _unit(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return (vectors / np.maximum(norms, 1e-12)).astype(np.float32)


def fit_rotation(source: np.ndarray, target: np.ndarray, ridge: float = 1e-3) -> np.ndarray:
    """The orthogonal ``R`` minimising ``‖source·R − target‖`` (rows are pairs).

    Fewer pairs than dimensions leave directions the pairs do not see; ``ridge`` (a share of
    the cross-covariance's mean singular value) adds the identity to the cross-covariance so
    those directions map to themselves instead of to an arbitrary rotation."""
    if source.shape != target.shape or source.ndim != 2:
        raise ValueError(f"source {source.shape} and target {target.shape} must match")
    cross = source.T.astype(np.float64) @ target.astype(np.float64)
    dim = cross.shape[0]
    scale = float(np.linalg.svd(cross, compute_uv=False).mean()) or 1.0
    u, _, vt = np.linalg.svd(cross + ridge * scale * np.eye(dim))
    return (u @ vt).astype(np.float32)


@dataclass(frozen=True)
class LanguageMap:
    """``rotation`` (d × d, orthogonal) applied to rows of ``source`` language, shrunk to
    ``strength`` (0: identity, 1: the full rotation)."""

    rotation: np.ndarray
    strength: float = 1.0
    source: str = SOURCE_LANGUAGE
    _matrix: np.ndarray = field(init=False, repr=False, compare=False)
    _matrix64: np.ndarray = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        eye = np.eye(self.rotation.shape[0], dtype=np.float32)
        shrunk = ((1.0 - self.strength) * eye + self.strength * self.rotation).astype(np.float32)
        object.__setattr__(self, "_matrix", shrunk)  # built once, not at every apply
        object.__setattr__(self, "_matrix64", shrunk.astype(np.float64))

    def matrix(self) -> np.ndarray:
        """``(1 − strength)·I + strength·rotation``: what multiplies a source row."""
        return self._matrix

    def shrunk(self, strength: float) -> LanguageMap:
        """The same rotation at another ``strength``."""
        return LanguageMap(self.rotation, strength, self.source)

    def apply(self, vectors: np.ndarray, languages: list[str]) -> np.ndarray:
        """Unit rows: rows in :attr:`source` mapped, the others as they were (renormalised)."""
        if self.strength == 0.0 or len(vectors) == 0:
            return _unit(vectors)
        mask = np.asarray(languages) == self.source
        out = np.array(vectors, dtype=np.float32, copy=True)
        if mask.any():  # in float64: a row's result then does not depend on the batch
            # it is computed in (BLAS kernels differ by shape), once rounded to float32
            out[mask] = out[mask].astype(np.float64) @ self._matrix64
        return _unit(out)

    def to_arrays(self) -> dict[str, np.ndarray]:
        """Arrays for ``numpy.savez``."""
        return {"rotation": self.rotation, "strength": np.array([self.strength])}

    @classmethod
    def from_arrays(cls, arrays: dict[str, np.ndarray]) -> LanguageMap:
        """Inverse of :meth:`to_arrays`."""
        return cls(arrays["rotation"].astype(np.float32), float(arrays["strength"][0]))


def centred(vectors: np.ndarray) -> np.ndarray:
    """Rows unit-normalised, centred on their mean, unit-normalised again (what the
    engine's language-mean centering does to a one-language set)."""
    unit = _unit(vectors)
    return _unit(unit - unit.mean(axis=0))


def fit_map(vi: np.ndarray, en: np.ndarray, strength: float = 1.0) -> LanguageMap:
    """The VI → EN map from raw vectors of translated pairs (row i of ``vi`` ↔ of ``en``),
    each language centred on its own mean first."""
    return LanguageMap(fit_rotation(centred(vi), centred(en)), strength)


def read_pairs(path: Path = DEFAULT_PAIRS) -> tuple[list[str], list[str]]:
    """``(vi texts, en texts)`` of a pairs file (one JSON object a line, ``vi`` and ``en``)."""
    vi, en = [], []
    for line in Path(path).read_text("utf-8").splitlines():
        if line.strip():
            row = json.loads(line)
            vi.append(row["vi"])
            en.append(row["en"])
    return vi, en


def pairs_digest(pairs: Path = DEFAULT_PAIRS) -> str:
    """A short digest of a pairs file's content: a map fitted on other pairs is refitted."""
    return hashlib.sha256(Path(pairs).read_bytes()).hexdigest()[:12]


def cache_file(model: EmbeddingModel, cache_dir: Path, pairs: Path = DEFAULT_PAIRS) -> Path:
    """Where the map of ``model`` fitted on ``pairs`` is kept: a name per model, backend
    and pairs content, so a change of any of them refits."""
    digest = pairs_digest(pairs)
    backend = str(getattr(model, "backend", "")) or "default"
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in model.name)
    return Path(cache_dir) / f"alignment-{safe}-{backend}-{digest}.npz"


def load_or_fit(
    model: EmbeddingModel,
    cache_dir: Path | None,
    strength: float,
    pairs: Path = DEFAULT_PAIRS,
) -> LanguageMap:
    """The map of ``model`` at ``strength``: read from ``cache_dir`` when fitted before,
    else fitted (one embedding pass over the pairs) and saved there (``None``: not saved)."""
    path = cache_file(model, cache_dir, pairs) if cache_dir is not None else None
    if path is not None and path.is_file():
        with np.load(path, allow_pickle=False) as data:
            return LanguageMap.from_arrays({k: data[k] for k in data.files}).shrunk(strength)
    vi_text, en_text = read_pairs(pairs)
    fitted = fit_map(model.encode(vi_text), model.encode(en_text), strength)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        np.savez(path, **fitted.to_arrays())  # type: ignore[arg-type]
    return fitted


_FITTED: dict[tuple[int, str, str, str], LanguageMap] = {}


def _shared_key(model: EmbeddingModel, pairs: Path) -> tuple[int, str, str, str]:
    return (id(model), model.name, str(getattr(model, "backend", "")), str(pairs))


def shared_map(model: EmbeddingModel, strength: float, pairs: Path = DEFAULT_PAIRS) -> LanguageMap:
    """The map of ``model`` fitted on ``pairs`` once per process (every engine of one model
    shares it; fitting embeds every pair), at ``strength``."""
    key = _shared_key(model, pairs)
    if key not in _FITTED:
        _FITTED[key] = load_or_fit(model, None, 1.0, pairs)
    return _FITTED[key].shrunk(strength)


def adopt_map(model: EmbeddingModel, rotation: np.ndarray, pairs: Path = DEFAULT_PAIRS) -> None:
    """Take ``rotation``, fitted for ``model`` on ``pairs`` before (e.g. saved with an index
    of this model and backend), as this process's shared map, unless one is fitted already:
    a restart then embeds no pair."""
    _FITTED.setdefault(_shared_key(model, pairs), LanguageMap(rotation.astype(np.float32)))
