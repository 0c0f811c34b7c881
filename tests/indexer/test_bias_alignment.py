"""The shrunk Procrustes VI → EN map (indexer.alignment) on synthetic rotated vectors, its
cache, and the bias model applying it to Vietnamese rows only."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from indexer.alignment import (
    LanguageMap,
    cache_file,
    centred,
    fit_map,
    fit_rotation,
    load_or_fit,
    read_pairs,
)
from indexer.bias import BiasModel, LanguageStats, l2_normalize
from models import load_model

DIM = 32


def rotated_pairs(n: int, noise: float = 0.05, seed: int = 5) -> tuple[np.ndarray, np.ndarray]:
    """``(vi, en)``: en rows are vi rows turned by one random rotation, plus noise and an
    offset per language (which centering removes)."""
    rng = np.random.default_rng(seed)
    q, _ = np.linalg.qr(rng.normal(size=(DIM, DIM)))
    vi = l2_normalize(rng.normal(size=(n, DIM)))
    en = vi @ q + rng.normal(scale=noise / np.sqrt(DIM), size=(n, DIM))
    offsets = 0.8 * l2_normalize(rng.normal(size=(2, DIM)))
    return vi + offsets[0], en + offsets[1]


def top1(vi: np.ndarray, en: np.ndarray) -> float:
    """Share of vi rows whose nearest en row is their own pair."""
    return float(((vi @ en.T).argmax(axis=1) == np.arange(len(vi))).mean())


def test_strength_zero_is_the_identity_and_strength_one_is_orthogonal() -> None:
    vi, en = rotated_pairs(200)
    fitted = fit_map(vi, en)
    rows = l2_normalize(vi[:10])
    assert np.allclose(fitted.shrunk(0.0).apply(rows, ["vi"] * 10), rows, atol=1e-6)
    assert np.allclose(fitted.shrunk(0.0).matrix(), np.eye(DIM), atol=1e-6)
    full = fitted.shrunk(1.0).matrix()
    assert np.allclose(full @ full.T, np.eye(DIM), atol=1e-4)
    assert not np.allclose(full, np.eye(DIM), atol=0.1)
    half = fitted.shrunk(0.5).matrix()
    assert np.allclose(half, 0.5 * np.eye(DIM) + 0.5 * full, atol=1e-6)


def test_the_map_recovers_a_rotation_and_improves_held_out_pairs() -> None:
    vi, en = rotated_pairs(400)
    train, test = slice(0, 200), slice(200, 400)
    fitted = fit_map(vi[train], en[train])
    cvi, cen = centred(vi[test]), centred(en[test])
    before = top1(cvi, cen)
    after = top1(fitted.apply(cvi, ["vi"] * 200), cen)
    assert before < 0.2  # a random rotation: translations are not nearest
    assert after > 0.95
    half = top1(fitted.shrunk(0.5).apply(cvi, ["vi"] * 200), cen)
    assert before < half <= after


def test_unseen_directions_map_to_themselves_with_fewer_pairs_than_dimensions() -> None:
    rng = np.random.default_rng(1)
    source = np.zeros((4, DIM), np.float32)
    source[:, :4] = rng.normal(size=(4, 4))
    target = source.copy()
    target[:, [0, 1]] = target[:, [1, 0]]  # a rotation inside the seen subspace
    rotation = fit_rotation(source, target)
    unseen = np.zeros(DIM, np.float32)
    unseen[20] = 1.0
    assert np.allclose(unseen @ rotation, unseen, atol=1e-4)
    assert np.allclose(source @ rotation, target, atol=1e-3)


def test_only_rows_of_the_source_language_move() -> None:
    vi, en = rotated_pairs(100)
    amap = fit_map(vi, en)
    rows = l2_normalize(np.vstack([vi[:3], en[:3]]))
    out = amap.apply(rows, ["vi"] * 3 + ["en"] * 3)
    assert np.allclose(out[3:], rows[3:], atol=1e-6)
    assert not np.allclose(out[:3], rows[:3], atol=1e-2)
    assert np.allclose(np.linalg.norm(out, axis=1), 1.0, atol=1e-5)


def test_bias_model_applies_the_map_after_centering() -> None:
    vi, en = rotated_pairs(100)
    raw = np.vstack([vi, en])
    langs = ["vi"] * 100 + ["en"] * 100
    amap = fit_map(vi, en, strength=0.5)
    plain, mapped = BiasModel(DIM, "center"), BiasModel(DIM, "center", amap)
    for bias in (plain, mapped):
        bias.stats = LanguageStats.fit(raw, langs)
    expected = amap.apply(plain.correct(raw, langs), langs)
    assert np.allclose(mapped.correct(raw, langs), expected, atol=1e-6)
    assert top1(mapped.correct(vi, ["vi"] * 100), mapped.correct(en, ["en"] * 100)) > top1(
        plain.correct(vi, ["vi"] * 100), plain.correct(en, ["en"] * 100)
    )


def test_map_round_trips_and_is_fitted_once_then_read_from_the_cache(tmp_path: Path) -> None:
    pairs = tmp_path / "pairs.jsonl"
    rows = [
        {"id": 1, "vi": "Xử lý nước thải công nghiệp", "en": "Industrial wastewater treatment"},
        {"id": 2, "vi": "Cảm biến oxy hòa tan", "en": "Dissolved oxygen sensor"},
        {"id": 3, "vi": "Phần mềm quản lý cảng", "en": "Port management software"},
    ]
    pairs.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), "utf-8")
    assert read_pairs(pairs) == ([r["vi"] for r in rows], [r["en"] for r in rows])
    model = load_model("hashing")
    first = load_or_fit(model, tmp_path, 0.25, pairs)
    path = cache_file(model, tmp_path, pairs)
    assert path.is_file() and first.strength == 0.25
    stamp = path.stat().st_mtime_ns
    again = load_or_fit(model, tmp_path, 0.5, pairs)
    assert path.stat().st_mtime_ns == stamp  # read, not refitted
    assert again.strength == 0.5 and np.array_equal(again.rotation, first.rotation)
    copy = LanguageMap.from_arrays(first.to_arrays())
    assert copy.strength == first.strength and np.array_equal(copy.rotation, first.rotation)
