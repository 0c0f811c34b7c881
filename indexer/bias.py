"""Correction of the embedding model's same-language bias.

Raw multilingual vectors of two texts in one language are closer than those of
a text and its translation, so a Vietnamese need drifts towards Vietnamese
offers. Two measured steps undo most of that (see README, "Bias correction"):

1. **Per-language mean centering**: subtract the mean vector of the posting's
   language, estimated on the pool itself, then renormalise.
2. **Per-query, per-language standardisation** of similarities: a query's
   cosine to a candidate in language L becomes a z-score against the query's
   cosines to a random sample of the pool's postings in L. The z-score is also
   what makes scores comparable across language pairs.

The statistics live with the index (saved and loaded with it) and are refitted
as the pool grows.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, MutableMapping
from dataclasses import dataclass, field

import numpy as np

from indexer.alignment import LanguageMap

LANGUAGES = ("vi", "en", "other")


def l2_normalize(vectors: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length (zero rows stay zero)."""
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return (vectors / np.maximum(norms, 1e-12)).astype(np.float32)


@dataclass
class LanguageStats:
    """Per-language mean vectors, shrunk towards the global mean when a language is rare."""

    dimension: int
    means: dict[str, np.ndarray] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    fitted_on: int = 0
    prior_weight: float = 10.0

    @classmethod
    def fit(
        cls, vectors: np.ndarray, languages: list[str], prior_weight: float = 10.0
    ) -> LanguageStats:
        """Estimate the statistics from raw vectors and their languages."""
        dim = vectors.shape[1]
        stats = cls(dimension=dim, fitted_on=len(vectors), prior_weight=prior_weight)
        if len(vectors) == 0:
            return stats
        global_mean = vectors.mean(axis=0)
        langs = np.asarray(languages)
        for lang in LANGUAGES:
            mask = langs == lang
            n = int(mask.sum())
            total = vectors[mask].sum(axis=0) if n else np.zeros(dim, np.float32)
            stats.means[lang] = ((total + prior_weight * global_mean) / (n + prior_weight)).astype(
                np.float32
            )
            stats.counts[lang] = n
        return stats

    def correct(self, vectors: np.ndarray, languages: list[str]) -> np.ndarray:
        """Centre each row on its language's mean and renormalise."""
        if not self.means or len(vectors) == 0:
            return l2_normalize(vectors)
        means = np.stack([self.means.get(lang, self.means["other"]) for lang in languages])
        return l2_normalize(vectors - means)

    def to_arrays(self) -> dict[str, np.ndarray]:
        """Arrays for saving with ``numpy.savez``."""
        out = {f"mean_{k}": v for k, v in self.means.items()}
        out["counts"] = np.array([self.counts.get(k, 0) for k in LANGUAGES], dtype=np.int64)
        out["meta"] = np.array([self.dimension, self.fitted_on, self.prior_weight])
        return out

    @classmethod
    def from_arrays(cls, arrays: dict[str, np.ndarray]) -> LanguageStats:
        """Inverse of :meth:`to_arrays`."""
        meta = arrays["meta"]
        stats = cls(dimension=int(meta[0]), fitted_on=int(meta[1]), prior_weight=float(meta[2]))
        for i, lang in enumerate(LANGUAGES):
            if f"mean_{lang}" in arrays:
                stats.means[lang] = arrays[f"mean_{lang}"].astype(np.float32)
            stats.counts[lang] = int(arrays["counts"][i])
        return stats


def similarity_z(
    query: np.ndarray, cosines: np.ndarray, reference: np.ndarray, min_std: float = 0.02
) -> np.ndarray:
    """Standardise ``cosines`` of ``query`` against its cosines to ``reference`` vectors.

    ``reference`` is a sample of the candidate language's (corrected) vectors.
    With fewer than 5 reference rows the cosines are returned centred on 0 with
    unit scale assumed 0.1, a neutral fallback for tiny pools.
    """
    if len(reference) < 5:
        return (cosines - 0.0) / 0.1
    ref = reference @ query
    return (cosines - float(ref.mean())) / max(float(ref.std()), min_std)


def standardize_by_language(
    queries: np.ndarray,
    pool: np.ndarray,
    pool_languages: list[str],
    sample: int = 512,
    seed: int = 13,
) -> np.ndarray:
    """Cosines of every query to every pool row, z-scored per query and pool language.

    The batch form of :func:`similarity_z`: for each language in the pool, a
    random sample of at most ``sample`` of its rows gives each query's mean and
    spread of cosines to that language.
    """
    sims = queries @ pool.T
    langs = np.asarray(pool_languages)
    rng = np.random.default_rng(seed)
    for lang in sorted(set(pool_languages)):
        cols = np.flatnonzero(langs == lang)
        ref = rng.choice(cols, size=min(sample, len(cols)), replace=False)
        ref_sims = sims[:, ref]
        mean = ref_sims.mean(axis=1, keepdims=True)
        std = np.maximum(ref_sims.std(axis=1, keepdims=True), 0.02)
        sims[:, cols] = (sims[:, cols] - mean) / std
    return sims


# ----------------------------------------------------------- the pool's bias model
# The state above, kept per pool by the engine: the fitted statistics, the reference
# samples per (kind, language) and each posting's z statistics, plus when to refit.

NEUTRAL_SCALE = 0.1  # a z-score without statistics: the cosine over this spread
MIN_REFERENCE = 5  # fewer reference rows give no z statistics for that language
Z_LANGUAGES = (*LANGUAGES, "*")  # "*": every language of the kind
_Z_COLUMN = {lang: n for n, lang in enumerate(Z_LANGUAGES)}
_ANY_COLUMN = _Z_COLUMN["*"]


def needs_refit(fitted_on: int, n: int, always_below: int, min_change: int, growth: float) -> bool:
    """True when statistics fitted on ``fitted_on`` vectors should be refitted on ``n``:
    at every change below ``always_below``, else once the pool moved by ``min_change``
    vectors and by ``growth`` of its fitted size."""
    change = abs(n - fitted_on)
    if 0 < n < always_below and change:
        return True
    return n > 0 and (fitted_on == 0 or change >= max(min_change, growth * fitted_on))


def sample_references(
    members_by_kind: dict[str, list[tuple[int, str]]], sample: int, min_language: int, seed: int
) -> dict[str, list[int]]:
    """``{"kind:language": sorted ids}``: a seeded random sample of at most ``sample`` ids per
    kind (``"kind:*"``) and per language with at least ``min_language`` postings.

    ``members_by_kind`` maps a kind to its ``(id, language)`` pairs."""
    rng = np.random.default_rng(seed)
    out: dict[str, list[int]] = {}
    for kind, members in members_by_kind.items():
        kind_ids = sorted(i for i, _ in members)
        language = dict(members)
        groups: dict[str, list[int]] = {"*": kind_ids}
        for i in kind_ids:
            groups.setdefault(language[i], []).append(i)
        for lang, ids in groups.items():
            if lang != "*" and len(ids) < min_language:
                continue
            take = min(len(ids), sample)
            chosen: list[int] = (
                rng.choice(np.array(ids), size=take, replace=False).tolist() if take else []
            )
            out[f"{kind}:{lang}"] = sorted(int(i) for i in chosen)
    return out


@dataclass
class ZStats:
    """A posting's cosine distribution against the other kind's postings, per language."""

    mean: dict[str, float]
    std: dict[str, float]


class ZTable(MutableMapping[int, ZStats]):
    """Every posting's :class:`ZStats` in two float64 arrays (one row per posting, one
    column per z language, NaN where a language has none): about 170 bytes a posting
    instead of two dicts per posting, and saved or loaded as arrays."""

    def __init__(self) -> None:
        self._rows: dict[int, int] = {}
        self._free: list[int] = []
        self._mean = np.full((0, len(Z_LANGUAGES)), np.nan)
        self._std = np.full((0, len(Z_LANGUAGES)), np.nan)

    @classmethod
    def from_arrays(cls, ids: np.ndarray, mean: np.ndarray, std: np.ndarray) -> ZTable:
        """A table of the rows :meth:`arrays` gave."""
        table = cls()
        table._mean = np.array(mean, dtype=np.float64).reshape(len(ids), len(Z_LANGUAGES))
        table._std = np.array(std, dtype=np.float64).reshape(len(ids), len(Z_LANGUAGES))
        table._rows = {int(i): row for row, i in enumerate(np.asarray(ids).tolist())}
        return table

    def arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(ids, mean, std)``, one row per posting."""
        ids = np.fromiter(self._rows, dtype=np.int64, count=len(self._rows))
        rows = np.fromiter(self._rows.values(), dtype=np.int64, count=len(self._rows))
        return ids, self._mean[rows], self._std[rows]

    def __contains__(self, posting_id: object) -> bool:
        return posting_id in self._rows

    def __getitem__(self, posting_id: int) -> ZStats:
        row = self._rows[posting_id]
        mean: dict[str, float] = {}
        std: dict[str, float] = {}
        for lang, m, sd in zip(Z_LANGUAGES, self._mean[row], self._std[row], strict=True):
            if m == m:  # not NaN
                mean[lang], std[lang] = float(m), float(sd)
        return ZStats(mean, std)

    def __setitem__(self, posting_id: int, stats: ZStats) -> None:
        row = self._rows.get(posting_id)
        if row is None:
            if not self._free:
                grown = max(16, 2 * len(self._mean))
                pad = np.full((grown - len(self._mean), len(Z_LANGUAGES)), np.nan)
                self._free = list(range(grown - 1, len(self._mean) - 1, -1))
                self._mean = np.vstack([self._mean, pad])
                self._std = np.vstack([self._std, pad.copy()])
            row = self._free.pop()
            self._rows[posting_id] = row
        self._mean[row] = [stats.mean.get(lang, np.nan) for lang in Z_LANGUAGES]
        self._std[row] = [stats.std.get(lang, np.nan) for lang in Z_LANGUAGES]

    def __delitem__(self, posting_id: int) -> None:
        row = self._rows.pop(posting_id)
        self._mean[row] = np.nan
        self._std[row] = np.nan
        self._free.append(row)

    def __iter__(self) -> Iterator[int]:
        return iter(self._rows)

    def __len__(self) -> int:
        return len(self._rows)

    def z_score(self, posting_id: int, language: str, cosine: float) -> float:
        """:func:`z_score` of the posting's statistics, read from the arrays (no
        :class:`ZStats` built: this runs for every scored pair)."""
        row = self._rows.get(posting_id)
        if row is None:
            return cosine / NEUTRAL_SCALE
        means = self._mean[row]
        column = _Z_COLUMN.get(language, _ANY_COLUMN)
        mean = float(means[column])
        if mean != mean:  # NaN: no statistics for that language, those of every language
            column = _ANY_COLUMN
            mean = float(means[column])
            if mean != mean:
                return cosine / NEUTRAL_SCALE
        return (cosine - mean) / float(self._std[row, column])


def z_stats(vector: np.ndarray, references: dict[str, np.ndarray], min_std: float = 0.02) -> ZStats:
    """Mean and spread of ``vector``'s cosines to each language's reference rows."""
    mean: dict[str, float] = {}
    std: dict[str, float] = {}
    for lang, ref in references.items():
        if len(ref) >= MIN_REFERENCE:
            cos = ref @ vector
            mean[lang], std[lang] = float(cos.mean()), max(float(cos.std()), min_std)
    return ZStats(mean, std)


def z_score(stats: ZStats | None, language: str, cosine: float) -> float:
    """``cosine`` standardised against the statistics of ``language`` (else of every
    language, else the neutral scale)."""
    if stats is None or not stats.mean:
        return cosine / NEUTRAL_SCALE
    key = language if language in stats.mean else "*"
    if key not in stats.mean:
        return cosine / NEUTRAL_SCALE
    return (cosine - stats.mean[key]) / stats.std[key]


class BiasModel:
    """The pool's bias correction: language statistics, reference samples, z statistics.

    ``mode`` is ``"none"`` (normalise only), ``"center"`` (language-mean centering) or
    ``"center+z"`` (centering and per-language z-scores). ``alignment``, when given, maps
    Vietnamese rows after centering (:mod:`indexer.alignment`; ``None``: centering alone)."""

    def __init__(
        self, dimension: int, mode: str = "center+z", alignment: LanguageMap | None = None
    ) -> None:
        self.dimension = dimension
        self.mode = mode
        self.alignment = alignment
        self.stats = LanguageStats(dimension=dimension)
        self.reference_ids: dict[str, list[int]] = {}
        self.reference: dict[tuple[str, str], np.ndarray] = {}
        self.zstats: MutableMapping[int, ZStats] = ZTable()

    def correction_key(self) -> str:
        """A digest of what :meth:`correct` depends on besides the (saved) statistics: the
        mode and the VI → EN map. Corrected vectors saved under one key are valid for an
        engine with the same key and the same statistics (a restart need not recompute
        them)."""
        digest = hashlib.sha1(self.mode.encode("ascii"))
        if self.alignment is not None:
            digest.update(self.alignment.source.encode("utf-8"))
            digest.update(np.ascontiguousarray(self.alignment.matrix()).tobytes())
        return digest.hexdigest()

    def correct(self, raw: np.ndarray, languages: list[str]) -> np.ndarray:
        """Corrected, unit-length rows of ``raw`` vectors of texts in ``languages``."""
        if len(raw) == 0:
            return np.zeros((0, self.dimension), np.float32)
        if self.mode == "none":
            return l2_normalize(raw)
        centred = self.stats.correct(raw, languages)
        if self.alignment is None:
            return centred
        return self.alignment.apply(centred, languages)

    def set_references(self, vectors: dict[str, np.ndarray]) -> None:
        """Install the corrected reference vectors, keyed like :attr:`reference_ids`."""
        self.reference = {}
        for key, matrix in vectors.items():
            kind, lang = key.split(":")
            self.reference[(kind, lang)] = matrix
        self.zstats = ZTable()

    def references_of(self, kind: str) -> dict[str, np.ndarray]:
        """The reference rows of ``kind`` per z language (a language without its own
        sample falls back to the kind's ``*`` sample)."""
        empty = np.zeros((0, self.dimension), np.float32)
        out: dict[str, np.ndarray] = {}
        for lang in Z_LANGUAGES:
            ref = self.reference.get((kind, lang))
            out[lang] = ref if ref is not None else self.reference.get((kind, "*"), empty)
        return out

    def z(self, need_id: int, offer_language: str, cosine: float) -> float:
        """The need's z-score for a cosine to an offer in ``offer_language``."""
        if self.mode != "center+z":
            return cosine / NEUTRAL_SCALE
        zstats = self.zstats
        if isinstance(zstats, ZTable):
            return zstats.z_score(need_id, offer_language, cosine)
        return z_score(zstats.get(need_id), offer_language, cosine)
