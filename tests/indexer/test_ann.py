"""Vector indexes: exact Flat, approximate IVF and the adaptive switch between them."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from indexer.ann import AdaptiveIndex, FlatIndex, IVFIndex, make_index
from indexer.engine import EngineConfig, MatchEngine
from indexer.evaluation.devset import load_devset
from models import load_model

DIM = 16


def _unit(rows: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    # clustered data, like real embeddings
    centres = rng.normal(size=(8, DIM))
    x = centres[rng.integers(0, 8, rows)] + 0.3 * rng.normal(size=(rows, DIM))
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


def _recall(approx: np.ndarray, exact: np.ndarray) -> float:
    pairs = zip(approx, exact, strict=True)
    return float(np.mean([len(set(a) & set(e)) / len(e) for a, e in pairs]))


def test_ivf_add_replace_remove_and_allowed() -> None:
    vectors = _unit(2000)
    ids = np.arange(2000, dtype=np.int64) + 10_000
    ivf = IVFIndex(ids, vectors, nprobe=8)
    flat = FlatIndex(DIM)
    flat.upsert(ids, vectors)
    queries = _unit(50, seed=1)
    _, exact = flat.search(queries, 10)
    _, approx = ivf.search(queries, 10)
    assert _recall(approx, exact) >= 0.9
    # replace: id 10_000 now points at the first query exactly
    ivf.upsert(np.array([10_000]), queries[:1])
    scores, found = ivf.search(queries[:1], 1)
    assert found[0, 0] == 10_000 and scores[0, 0] == pytest.approx(1.0, abs=1e-5)
    assert len(ivf) == 2000
    ivf.remove([10_000, 99])  # unknown id ignored
    assert len(ivf) == 1999
    assert 10_000 not in ivf.search(queries[:1], 20)[1][0]
    allowed = [10_001, 10_002, 10_003]
    scores, found = ivf.search(queries[:2], 5, allowed)
    assert set(found[0][:3]) == set(allowed) and (found[:, 3:] == -1).all()


def test_adaptive_switches_at_threshold_and_back() -> None:
    vectors = _unit(600, seed=2)
    index = AdaptiveIndex(DIM, threshold=400, nprobe=64)
    index.upsert(np.arange(300, dtype=np.int64), vectors[:300])
    assert not index.approximate
    index.upsert(np.arange(300, 600, dtype=np.int64), vectors[300:])
    assert index.approximate and len(index) == 600
    _, found = index.search(vectors[:5], 1)
    assert list(found[:, 0]) == [0, 1, 2, 3, 4]
    index.remove(np.arange(450, dtype=np.int64))
    assert not index.approximate and len(index) == 150
    _, found = index.search(vectors[500:501], 1)
    assert found[0, 0] == 500


def test_make_index_rejects_unknown_kind() -> None:
    assert isinstance(make_index(DIM), FlatIndex)
    assert isinstance(make_index(DIM, "auto", 10), AdaptiveIndex)
    with pytest.raises(ValueError):
        make_index(DIM, "hnsw")


def test_engine_with_auto_index_matches_like_flat() -> None:
    devset = load_devset()
    model = load_model("hashing")
    flat = MatchEngine(model)
    auto = MatchEngine(model, dataclasses.replace(EngineConfig(), ann="auto", ann_threshold=40))
    for engine in (flat, auto):
        engine.upsert(devset.needs + devset.offers)
    assert auto.info().approximate["offer"]
    agree = []
    for need in devset.needs[:20]:
        a = [m.offer_id for m in flat.match(need.id, 5)]
        b = [m.offer_id for m in auto.match(need.id, 5)]
        agree.append(len(set(a) & set(b)) / max(len(a), 1))
    assert np.mean(agree) >= 0.8
    auto.delete([devset.offers[0].id])
    assert devset.offers[0].id not in {m.offer_id for m in auto.match(devset.needs[0].id, 100)}


@pytest.mark.parametrize(
    "kwargs",
    [
        {"limit": 200, "per_need": 3, "per_offer": 3},
        {"limit": 50, "per_need": 2, "per_offer": 1, "min_score": 0.1},
        {"limit": 100, "offer_ids": list(range(1001, 1050)), "exclude": [(1, 1001)]},
    ],
)
def test_batched_pairs_equal_per_need_pairs(kwargs: dict) -> None:
    devset = load_devset()
    engine = MatchEngine(load_model("hashing"))
    engine.upsert(devset.needs + devset.offers)
    if "exclude" in kwargs:
        first = engine.pairs(limit=1, batched=False)[0]
        kwargs = {**kwargs, "exclude": [(first.need_id, first.offer_id)]}
    slow = engine.pairs(batched=False, **kwargs)
    fast = engine.pairs(batched=True, **kwargs)
    assert slow, "the small pool gives pairs"
    assert [(m.need_id, m.offer_id) for m in fast] == [(m.need_id, m.offer_id) for m in slow]
    assert [m.score for m in fast] == pytest.approx([m.score for m in slow], abs=1e-6)
    assert [m.recommended for m in fast] == [m.recommended for m in slow]
    assert [m.reasons for m in fast] == [m.reasons for m in slow]


def test_filtered_search_returns_only_allowed_ids_with_either_selector() -> None:
    """The bitmap selector (ids in range) and the hash-set one (ids too large for a
    bitmap) give the same, allowed-only results as an exact search among allowed rows."""
    import indexer.ann as ann_module
    from indexer.ann import FlatIndex, to_index_precision

    rng = np.random.default_rng(4)
    vectors = to_index_precision(rng.normal(size=(300, 16)).astype(np.float32))
    ids = np.arange(300, dtype=np.int64) * 7 + 3
    index = FlatIndex(16)
    index.upsert(ids, vectors)
    allowed = np.sort(rng.choice(ids, 40, replace=False))
    exact = np.argsort(-(vectors[np.isin(ids, allowed)] @ vectors[0]))[:10]
    expected = ids[np.isin(ids, allowed)][exact]
    _, found = index.search(vectors[0], 10, allowed)
    assert set(found[0].tolist()) <= set(allowed.tolist())
    assert found[0].tolist() == expected.tolist()
    before = ann_module.BITMAP_MAX_BYTES
    ann_module.BITMAP_MAX_BYTES = 0
    try:
        _, by_set = FlatIndex.from_bytes(index.to_bytes()).search(vectors[0], 10, allowed)
    finally:
        ann_module.BITMAP_MAX_BYTES = before
    assert by_set[0].tolist() == expected.tolist()
    assert np.array_equal(index.vectors(ids[:5]), vectors[:5])  # stored rows read back exactly


def test_concurrent_filtered_searches_agree_with_serial_ones() -> None:
    """Readers that each search among their own ``allowed`` arrays — more arrays than the
    selector cache holds, so readers clear it under one another — get the serial answers.
    The bitmap a FAISS selector reads through a raw pointer must live until its search
    ends; held only by the cache, a concurrent clear freed it mid-search (wrong or empty
    results, about 1 in 400 searches on 2 cores)."""
    import threading

    from indexer.ann import SELECTOR_CACHE

    vectors = _unit(3000, seed=3)
    index = FlatIndex(DIM)
    index.upsert(np.arange(3000, dtype=np.int64), vectors)
    rng = np.random.default_rng(4)
    allowed = [np.sort(rng.choice(np.arange(1, 3000), 5, replace=False)) for _ in range(400)]
    assert len(allowed) > 10 * SELECTOR_CACHE
    query = vectors[0]
    expected = [int(index.search(query, 1, a.copy())[1][0, 0]) for a in allowed]
    wrong: list[tuple[int, int]] = []

    def read(start: int) -> None:
        order = range(len(allowed)) if start % 2 else range(len(allowed) - 1, -1, -1)
        for _ in range(3):
            for n in order:
                got = int(index.search(query, 1, allowed[n])[1][0, 0])
                _garbage = [np.ones(1000) for _ in range(3)]  # reuses freed memory, if any
                if got != expected[n]:
                    wrong.append((n, got))

    readers = [threading.Thread(target=read, args=(s,)) for s in range(6)]
    for reader in readers:
        reader.start()
    for reader in readers:
        reader.join(60)
    assert wrong == []
