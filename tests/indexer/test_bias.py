"""Language-mean centering, z-scores and the refit policy on synthetic vectors with a
per-language offset (no model)."""

from __future__ import annotations

import numpy as np
import pytest

from indexer.bias import (
    BiasModel,
    LanguageStats,
    ZStats,
    l2_normalize,
    needs_refit,
    sample_references,
    z_score,
    z_stats,
)

DIM = 64


def bilingual(concepts: int = 120, offset: float = 1.5, seed: int = 3):
    """``(vi, en)``: each concept once per language; each language adds its own offset,
    strong enough that raw vectors of one language are closer to each other than a
    concept is to its translation."""
    rng = np.random.default_rng(seed)
    base = l2_normalize(rng.normal(size=(concepts, DIM)))
    off_vi, off_en = offset * l2_normalize(rng.normal(size=(2, DIM)))
    noise = 0.15 / np.sqrt(DIM)
    vi = l2_normalize(base + off_vi + rng.normal(scale=noise, size=base.shape))
    en = l2_normalize(base + off_en + rng.normal(scale=noise, size=base.shape))
    return vi, en


def translation_top1(vi: np.ndarray, en: np.ndarray) -> float:
    """Share of vi rows whose nearest row in a mixed vi+en pool (itself excluded) is its
    own translation."""
    pool = np.vstack([vi, en])
    sims = vi @ pool.T
    sims[np.arange(len(vi)), np.arange(len(vi))] = -np.inf
    return float(np.mean(sims.argmax(axis=1) == len(vi) + np.arange(len(vi))))


def test_raw_vectors_have_the_same_language_bias() -> None:
    vi, en = bilingual()
    assert translation_top1(vi, en) < 0.2


def test_centering_on_each_languages_own_mean_removes_the_bias() -> None:
    vi, en = bilingual()
    stats = LanguageStats.fit(np.vstack([vi, en]), ["vi"] * len(vi) + ["en"] * len(en))
    cvi, cen = stats.correct(vi, ["vi"] * len(vi)), stats.correct(en, ["en"] * len(en))
    assert np.allclose(np.linalg.norm(cvi, axis=1), 1.0, atol=1e-5)
    assert translation_top1(cvi, cen) > 0.95
    assert float(np.mean(np.sum(cvi * cen, axis=1))) > 0.9
    # each language's corrected vectors are centred on the origin
    assert np.linalg.norm(cvi.mean(axis=0)) < 0.15 and np.linalg.norm(cen.mean(axis=0)) < 0.15


def test_centering_on_the_pooled_mean_would_not() -> None:
    """What the per-language means buy: the pooled mean leaves the bias in place."""
    vi, en = bilingual()
    pooled = np.vstack([vi, en]).mean(axis=0)
    assert translation_top1(l2_normalize(vi - pooled), l2_normalize(en - pooled)) < 0.5
    stats = LanguageStats.fit(np.vstack([vi, en]), ["vi"] * len(vi) + ["en"] * len(en))
    assert np.linalg.norm(stats.means["vi"] - stats.means["en"]) > 0.5


def test_a_rare_language_is_shrunk_towards_the_global_mean() -> None:
    vi, en = bilingual()
    vectors = np.vstack([vi, en[:2]])
    stats = LanguageStats.fit(vectors, ["vi"] * len(vi) + ["en"] * 2, prior_weight=10.0)
    expected = (en[:2].sum(axis=0) + 10.0 * vectors.mean(axis=0)) / 12.0
    assert np.allclose(stats.means["en"], expected, atol=1e-5)
    assert stats.counts == {"vi": len(vi), "en": 2, "other": 0}
    back = LanguageStats.from_arrays(stats.to_arrays())
    assert back.counts == stats.counts and np.allclose(back.means["en"], stats.means["en"])


def test_bias_model_modes() -> None:
    vi, en = bilingual()
    raw = np.vstack([vi, en])
    langs = ["vi"] * len(vi) + ["en"] * len(en)
    model = BiasModel(DIM, "center+z")
    model.stats = LanguageStats.fit(raw, langs)
    assert np.allclose(model.correct(vi, ["vi"] * len(vi)), model.stats.correct(vi, ["vi"] * 120))
    plain = BiasModel(DIM, "none")
    plain.stats = model.stats
    assert np.allclose(plain.correct(vi, ["vi"] * len(vi)), l2_normalize(vi))
    assert plain.z(1, "en", 0.3) == pytest.approx(3.0)  # neutral scale, no statistics used
    assert model.correct(np.zeros((0, DIM)), []).shape == (0, DIM)


def test_z_score_uses_the_candidate_languages_statistics() -> None:
    rng = np.random.default_rng(0)
    query = l2_normalize(rng.normal(size=(1, DIM)))[0]
    close = l2_normalize(query + 0.5 * l2_normalize(rng.normal(size=(30, DIM))))
    far = l2_normalize(rng.normal(size=(30, DIM)))
    stats = z_stats(query, {"vi": close, "en": far, "other": far[:3], "*": far})
    assert set(stats.mean) == {"vi", "en", "*"}  # fewer than 5 rows give no statistics
    cos_vi, cos_en = close @ query, far @ query
    assert stats.mean["vi"] == pytest.approx(float(cos_vi.mean()), abs=1e-6)
    assert stats.std["en"] == pytest.approx(float(cos_en.std()), abs=1e-6)
    # one cosine is a high z among English candidates, a low one among Vietnamese ones
    c = 0.6
    assert z_score(stats, "en", c) > 3 > z_score(stats, "vi", c)
    assert z_score(stats, "other", c) == z_score(stats, "*", c)  # falls back to every language
    assert z_score(ZStats({}, {}), "vi", 0.25) == pytest.approx(2.5)
    assert z_score(None, "vi", 0.25) == pytest.approx(2.5)


def test_refit_policy() -> None:
    args = {"always_below": 300, "min_change": 20, "growth": 0.1}
    assert not needs_refit(0, 0, **args)
    assert needs_refit(0, 5, **args) and needs_refit(100, 101, **args)  # small pool: always
    assert not needs_refit(100, 100, **args)
    assert not needs_refit(1000, 1099, **args) and needs_refit(1000, 1100, **args)
    assert not needs_refit(400, 439, **args) and needs_refit(400, 440, **args)
    assert needs_refit(1000, 900, **args)  # shrinking counts too


def test_reference_samples_are_seeded_and_per_language() -> None:
    members = {
        "need": [(i, "vi" if i % 2 else "en") for i in range(1, 61)],
        "offer": [(100 + i, "vi") for i in range(10)],
    }
    refs = sample_references(members, sample=25, min_language=20, seed=13)
    assert set(refs) == {"need:*", "need:vi", "need:en", "offer:*"}  # offers: 10 < 20 per lang
    assert len(refs["need:*"]) == 25 and len(refs["offer:*"]) == 10
    assert all(i % 2 for i in refs["need:vi"]) and refs["need:vi"] == sorted(refs["need:vi"])
    assert refs == sample_references(members, sample=25, min_language=20, seed=13)
    assert refs != sample_references(members, sample=25, min_language=20, seed=14)
