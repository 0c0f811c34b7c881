"""BM25 scores: the pairwise formula agrees with bm25s, and the scale is [0, 1]."""

import numpy as np

from indexer.lexical import LexicalIndex

DOCS = {
    10: ["tôm", "bệnh", "ao", "cảm_biến", "tôm"],
    11: ["ship", "hull", "paint", "corrosion"],
    12: ["tôm", "thức_ăn", "tăng_trưởng"],
    13: ["iot", "sensor", "pond", "shrimp", "diseas"],
    14: ["contain", "yard", "optim"],
}


def build() -> LexicalIndex:
    index = LexicalIndex()
    for doc_id, tokens in DOCS.items():
        index.upsert(doc_id, tokens)
    return index


def test_pair_score_equals_library_score():
    index = build()
    query = ["tôm", "bệnh", "cảm_biến", "giám_sát"]
    ids, scores = index.score(query)
    for doc_id, score in zip(ids, scores, strict=True):
        assert abs(index.pair_score(query, int(doc_id)) - float(score)) < 1e-5


def test_scores_in_unit_interval_and_rank_the_right_document_first():
    index = build()
    ids, scores = index.score(["tôm", "bệnh"])
    assert np.all((scores >= 0) & (scores <= 1))
    assert int(ids[np.argmax(scores)]) == 10
    assert index.pair_score(["hull", "corrosion"], 10) == 0.0


def test_remove_and_update_take_effect():
    index = build()
    index.remove(10)
    ids, scores = index.score(["bệnh"])
    assert 10 not in set(ids.tolist()) and float(scores.max()) == 0.0
    index.upsert(12, ["bệnh"])
    assert index.pair_score(["bệnh"], 12) > 0


def test_empty_query_and_empty_index():
    assert LexicalIndex().score(["x"])[1].size == 0
    assert build().pair_score([], 10) == 0.0


def test_big_pools_are_rebuilt_in_the_background_and_reads_go_on(held_bm25_builds):
    index = LexicalIndex(background_above=3)
    for doc_id, tokens in DOCS.items():
        index.upsert(doc_id, tokens)
    ids, _ = index.score(["tôm"])  # the first build is synchronous, whatever the size
    assert set(ids.tolist()) == set(DOCS) and not index.stale
    index.upsert(15, ["tôm", "giống", "tôm"])
    index.remove(11)
    assert index.stale
    ids, scores = index.score(["tôm"])  # answered by the previous build meanwhile
    assert 15 not in ids.tolist() and 11 in ids.tolist()
    assert index.pair_score(["tôm"], 15) == 0.0 and index.stale
    held_bm25_builds.set()
    index.wait(timeout=30)
    assert not index.stale
    build = index.snapshot()
    ids, scores = index.score(["tôm"], build)
    assert 15 in ids.tolist() and 11 not in ids.tolist()
    row = int(index.positions([15], build)[0])
    assert abs(index.pair_score(["tôm"], 15) - float(scores[row])) < 1e-5


def test_small_pools_are_rebuilt_at_the_next_read():
    index = build()
    index.score(["tôm"])
    index.upsert(15, ["tôm", "giống"])
    ids, _ = index.score(["tôm"])
    assert 15 in ids.tolist() and not index.stale
