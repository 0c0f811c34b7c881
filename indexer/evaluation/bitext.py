"""Cross-lingual retrieval on Vietnamese–English bitext, raw and bias-corrected.

Line N of ``NAME.vi`` translates line N of ``NAME.en``. Three accuracies:

- VI→EN (EN→VI): a sentence's translation is the top hit among all sentences
  of the other language;
- mixed pool: the pool holds every English AND every other Vietnamese sentence,
  and the translation must still win (the same-language bias test).

"corrected" = per-language mean centering fitted on the pool itself, plus
per-query, per-language standardisation (what the engine does); "centered
(fit on other text)" fits the means on the other corpus instead.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from indexer.bias import LanguageStats, l2_normalize, standardize_by_language
from indexer.text import normalize

if TYPE_CHECKING:
    from models import EmbeddingModel

CORPORA = ("tatoeba.vie-eng", "iwslt15-tst2013")


def read_bitext(directory: Path, name: str) -> tuple[list[str], list[str]]:
    """The normalised ``(vi, en)`` sentence lists of one corpus."""
    vi = [normalize(x) for x in (directory / f"{name}.vi").read_text("utf-8").splitlines()]
    en = [normalize(x) for x in (directory / f"{name}.en").read_text("utf-8").splitlines()]
    if len(vi) != len(en):
        raise ValueError(f"{name}: {len(vi)} Vietnamese lines but {len(en)} English lines")
    return vi, en


def _top1(sims: np.ndarray, target_offset: int = 0) -> float:
    n = sims.shape[0]
    return float((sims.argmax(axis=1) == np.arange(n) + target_offset).mean())


def mixed_pool_accuracy(
    vi: np.ndarray, en: np.ndarray, corrected: bool, stats: LanguageStats | None = None
) -> tuple[float, float]:
    """(VI queries, EN queries) top-1 accuracy in the pool of both languages."""
    if corrected:
        stats = stats or LanguageStats.fit(np.vstack([vi, en]), ["vi"] * len(vi) + ["en"] * len(en))
        vi, en = stats.correct(vi, ["vi"] * len(vi)), stats.correct(en, ["en"] * len(en))
    n = len(vi)
    pool = np.vstack([en, vi])
    langs = ["en"] * n + ["vi"] * n
    out = []
    for queries, own_offset, target_offset in ((vi, n, 0), (en, 0, n)):
        sims = standardize_by_language(queries, pool, langs) if corrected else queries @ pool.T
        sims[np.arange(n), own_offset + np.arange(n)] = -np.inf  # the query itself
        out.append(_top1(sims, target_offset))
    return out[0], out[1]


def plain_accuracy(
    vi: np.ndarray, en: np.ndarray, corrected: bool, stats: LanguageStats | None = None
) -> tuple[float, float]:
    """(VI→EN, EN→VI) top-1 accuracy with one language on each side."""
    if corrected:
        stats = stats or LanguageStats.fit(np.vstack([vi, en]), ["vi"] * len(vi) + ["en"] * len(en))
        vi, en = stats.correct(vi, ["vi"] * len(vi)), stats.correct(en, ["en"] * len(en))
    sims = vi @ en.T
    return _top1(sims), _top1(sims.T)


def evaluate_bitext(
    model: EmbeddingModel, directory: Path, corpora: tuple[str, ...] = CORPORA, limit: int = 0
) -> dict[str, dict[str, float]]:
    """Every accuracy above for each corpus (``limit`` > 0 keeps the first lines only)."""
    vectors: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for name in corpora:
        vi_text, en_text = read_bitext(directory, name)
        if limit:
            vi_text, en_text = vi_text[:limit], en_text[:limit]
        vectors[name] = (l2_normalize(model.encode(vi_text)), l2_normalize(model.encode(en_text)))
    report: dict[str, dict[str, float]] = {}
    for name, (vi, en) in vectors.items():
        row: dict[str, float] = {"pairs": float(len(vi))}
        row["vi2en_raw"], row["en2vi_raw"] = plain_accuracy(vi, en, corrected=False)
        row["vi2en_corrected"], row["en2vi_corrected"] = plain_accuracy(vi, en, corrected=True)
        row["mixed_vi_raw"], row["mixed_en_raw"] = mixed_pool_accuracy(vi, en, corrected=False)
        row["mixed_vi_corrected"], row["mixed_en_corrected"] = mixed_pool_accuracy(
            vi, en, corrected=True
        )
        others = [v for k, v in vectors.items() if k != name]
        if others:
            ovi, oen = others[0]
            other_stats = LanguageStats.fit(
                np.vstack([ovi, oen]), ["vi"] * len(ovi) + ["en"] * len(oen)
            )
            row["mixed_vi_corrected_fit_other"], row["mixed_en_corrected_fit_other"] = (
                mixed_pool_accuracy(vi, en, corrected=True, stats=other_stats)
            )
        report[name] = row
    return report
