"""The bias model's arithmetic, checked against formulas written out here (no model).

test_bias.py shows the correction works on a synthetic bilingual pool; these tests pin the
exact rules (shrinkage, fallbacks, floors, persistence) so that a changed constant or a
swapped branch fails.
"""

from __future__ import annotations

import numpy as np
import pytest

from indexer.bias import (
    MIN_REFERENCE,
    NEUTRAL_SCALE,
    BiasModel,
    LanguageStats,
    ZStats,
    l2_normalize,
    needs_refit,
    sample_references,
    similarity_z,
    standardize_by_language,
    z_stats,
)

RNG = np.random.default_rng(7)
DIM = 8


def _vectors(n: int) -> np.ndarray:
    return RNG.normal(size=(n, DIM)).astype(np.float32)


def test_fit_shrinks_each_language_mean_towards_the_global_mean_by_its_count() -> None:
    vectors = _vectors(7)
    languages = ["vi", "vi", "vi", "en", "en", "vi", "vi"]
    stats = LanguageStats.fit(vectors, languages, prior_weight=4.0)
    glob = vectors.mean(axis=0)
    vi = vectors[[0, 1, 2, 5, 6]]
    en = vectors[[3, 4]]
    np.testing.assert_allclose(stats.means["vi"], (vi.sum(0) + 4 * glob) / (5 + 4), rtol=1e-5)
    np.testing.assert_allclose(stats.means["en"], (en.sum(0) + 4 * glob) / (2 + 4), rtol=1e-5)
    np.testing.assert_allclose(stats.means["other"], glob, rtol=1e-5)  # no rows: the prior only
    assert stats.counts == {"vi": 5, "en": 2, "other": 0}
    assert (stats.fitted_on, stats.dimension, stats.prior_weight) == (7, DIM, 4.0)
    assert all(m.dtype == np.float32 for m in stats.means.values())


def test_fit_of_nothing_keeps_no_means_and_correct_then_only_normalises() -> None:
    stats = LanguageStats.fit(np.zeros((0, DIM), np.float32), [])
    assert stats.means == {} and stats.fitted_on == 0
    rows = _vectors(3)
    np.testing.assert_allclose(stats.correct(rows, ["vi"] * 3), l2_normalize(rows), rtol=1e-6)


def test_correct_centres_on_the_rows_own_language_and_unknown_languages_on_other() -> None:
    vectors = _vectors(30)
    languages = ["vi"] * 10 + ["en"] * 10 + ["other"] * 10
    stats = LanguageStats.fit(vectors, languages)
    rows = _vectors(3)
    got = stats.correct(rows, ["vi", "en", "xx"])
    expected = l2_normalize(
        rows - np.stack([stats.means["vi"], stats.means["en"], stats.means["other"]])
    )
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(np.linalg.norm(got, axis=1), 1.0, rtol=1e-5)


def test_l2_normalize_leaves_zero_rows_zero() -> None:
    rows = np.array([[3.0, 4.0], [0.0, 0.0]], np.float32)
    np.testing.assert_allclose(l2_normalize(rows), [[0.6, 0.8], [0.0, 0.0]])


def test_statistics_survive_saving_exactly() -> None:
    stats = LanguageStats.fit(_vectors(9), ["vi"] * 4 + ["en"] * 5, prior_weight=3.0)
    arrays = stats.to_arrays()
    assert set(arrays) == {"mean_vi", "mean_en", "mean_other", "counts", "meta"}
    back = LanguageStats.from_arrays(arrays)
    assert (back.dimension, back.fitted_on, back.prior_weight) == (DIM, 9, 3.0)
    assert back.counts == stats.counts == {"vi": 4, "en": 5, "other": 0}
    for lang, mean in stats.means.items():
        np.testing.assert_array_equal(back.means[lang], mean)
        assert back.means[lang].dtype == np.float32


def test_similarity_z_against_the_reference_sample_and_its_floors() -> None:
    query = l2_normalize(_vectors(1))[0]
    reference = l2_normalize(_vectors(20))
    cosines = np.array([0.5, 0.1, -0.2])
    ref = reference @ query
    np.testing.assert_allclose(
        similarity_z(query, cosines, reference), (cosines - ref.mean()) / max(ref.std(), 0.02)
    )
    # fewer than five reference rows: the neutral scale
    np.testing.assert_allclose(similarity_z(query, cosines, reference[:4]), cosines / 0.1)
    # a reference with no spread: the floor
    flat = np.tile(query, (6, 1))
    np.testing.assert_allclose(
        similarity_z(query, cosines, flat, min_std=0.5), (cosines - 1) / 0.5, rtol=1e-5
    )


def test_standardize_by_language_z_scores_each_pool_language_on_its_own() -> None:
    queries = l2_normalize(_vectors(3))
    pool = l2_normalize(_vectors(12))
    langs = ["vi"] * 7 + ["en"] * 5
    got = standardize_by_language(queries, pool, langs, sample=100)
    sims = queries @ pool.T
    for cols in (slice(0, 7), slice(7, 12)):
        block = sims[:, cols]
        mean = block.mean(axis=1, keepdims=True)
        std = np.maximum(block.std(axis=1, keepdims=True), 0.02)
        np.testing.assert_allclose(got[:, cols], (block - mean) / std, rtol=1e-5, atol=1e-6)


def test_standardize_by_language_samples_at_most_sample_rows_per_language() -> None:
    queries = l2_normalize(_vectors(2))
    pool = l2_normalize(_vectors(40))
    langs = ["vi"] * 40
    small = standardize_by_language(queries, pool, langs, sample=5, seed=1)
    full = standardize_by_language(queries, pool, langs, sample=40, seed=1)
    assert not np.allclose(small, full)  # five rows give other statistics than forty
    np.testing.assert_allclose(small, standardize_by_language(queries, pool, langs, 5, seed=1))


@pytest.mark.parametrize(
    ("fitted_on", "n", "expected"),
    [
        (0, 0, False),  # nothing to fit
        (0, 1, True),  # never fitted
        (10, 10, False),  # small pool, unchanged
        (10, 11, True),  # small pool: every change
        (10, 9, True),
        (1000, 1019, False),  # large pool: under min_change
        (1000, 1020, False),  # min_change reached, growth (100) not
        (1000, 1099, False),
        (1000, 1100, True),  # both reached
        (1000, 900, True),  # shrinking counts too
        (100, 125, True),  # growth 10 < min_change 20 <= change 25
        (100, 119, False),
    ],
)
def test_refit_rule(fitted_on: int, n: int, expected: bool) -> None:
    assert needs_refit(fitted_on, n, always_below=50, min_change=20, growth=0.1) is expected


def test_reference_samples_per_kind_and_language_with_enough_postings() -> None:
    members = {
        "offer": [(i, "vi") for i in range(1, 31)] + [(i, "en") for i in range(31, 34)],
        "need": [(i, "en") for i in range(100, 110)],
    }
    out = sample_references(members, sample=8, min_language=5, seed=2)
    assert set(out) == {"offer:*", "offer:vi", "need:*", "need:en"}  # offer:en has only 3
    assert len(out["offer:*"]) == len(out["offer:vi"]) == 8 and len(out["need:en"]) == 8
    assert set(out["offer:vi"]) <= set(range(1, 31))
    assert set(out["offer:*"]) <= set(range(1, 34))
    assert all(ids == sorted(ids) for ids in out.values())
    assert out == sample_references(members, sample=8, min_language=5, seed=2)
    assert sample_references(members, sample=50, min_language=5, seed=2)["need:*"] == list(
        range(100, 110)
    )


def test_z_stats_need_enough_reference_rows_and_floor_the_spread() -> None:
    vector = l2_normalize(_vectors(1))[0]
    refs = {
        "vi": l2_normalize(_vectors(MIN_REFERENCE)),
        "en": l2_normalize(_vectors(MIN_REFERENCE - 1)),
        "*": np.tile(vector, (6, 1)),
    }
    stats = z_stats(vector, refs, min_std=0.05)
    assert set(stats.mean) == {"vi", "*"}
    cos = refs["vi"] @ vector
    assert stats.mean["vi"] == pytest.approx(float(cos.mean()))
    assert stats.std["vi"] == pytest.approx(max(float(cos.std()), 0.05))
    assert stats.mean["*"] == pytest.approx(1.0) and stats.std["*"] == 0.05


def test_bias_model_starts_empty_and_references_fall_back_to_the_kinds_sample() -> None:
    model = BiasModel(DIM)
    assert model.mode == "center+z"
    assert model.reference_ids == {} and model.reference == {} and model.zstats == {}
    assert model.stats.dimension == DIM and model.stats.means == {}
    empty = model.references_of("offer")
    assert set(empty) == {"vi", "en", "other", "*"}
    assert all(r.shape == (0, DIM) for r in empty.values())
    star, vi = _vectors(6), _vectors(5)
    model.zstats = {1: ZStats({"vi": 0.0}, {"vi": 1.0})}
    model.set_references({"offer:*": star, "offer:vi": vi})
    assert model.zstats == {}  # new references: old z statistics are void
    refs = model.references_of("offer")
    assert refs["vi"] is vi
    assert refs["en"] is star and refs["other"] is star and refs["*"] is star
    assert model.references_of("need")["vi"].shape == (0, DIM)


def test_bias_model_z_without_statistics_or_outside_center_z_is_the_neutral_scale() -> None:
    model = BiasModel(DIM)
    assert model.z(99, "vi", 0.3) == pytest.approx(0.3 / NEUTRAL_SCALE)
    model.zstats[1] = ZStats({"vi": 0.1}, {"vi": 0.2})
    assert model.z(1, "vi", 0.3) == pytest.approx((0.3 - 0.1) / 0.2)
    centred = BiasModel(DIM, mode="center")
    centred.zstats[1] = ZStats({"vi": 0.1}, {"vi": 0.2})
    assert centred.z(1, "vi", 0.3) == pytest.approx(0.3 / NEUTRAL_SCALE)


def test_bias_model_correct_by_mode() -> None:
    vectors = _vectors(20)
    languages = ["vi"] * 10 + ["en"] * 10
    rows = _vectors(2)
    none = BiasModel(DIM, mode="none")
    none.stats = LanguageStats.fit(vectors, languages)
    np.testing.assert_allclose(none.correct(rows, ["vi", "en"]), l2_normalize(rows), rtol=1e-6)
    centre = BiasModel(DIM, mode="center")
    centre.stats = none.stats
    np.testing.assert_allclose(
        centre.correct(rows, ["vi", "en"]), none.stats.correct(rows, ["vi", "en"]), rtol=1e-6
    )
    assert centre.correct(np.zeros((0, DIM), np.float32), []).shape == (0, DIM)
