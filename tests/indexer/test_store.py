"""The store's compact tables: raw vectors in one float16 matrix, tokens as int32 ids into
one string table, shared with the BM25 documents; both survive a save and a load."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from indexer.engine import MatchEngine
from indexer.lexical import STRINGS
from indexer.store import TokenTable, VectorTable
from models import load_model
from tests.indexer.test_engine import postings


def unit_rows(n: int, dimension: int = 384, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    rows = rng.normal(size=(n, dimension)).astype(np.float32)
    return rows / np.linalg.norm(rows, axis=1, keepdims=True)


def test_vector_table_stores_replaces_removes_and_reuses_rows() -> None:
    rows = unit_rows(300)
    table = VectorTable(384)
    for posting_id, row in zip(range(100, 400), rows, strict=True):
        table[posting_id] = row
    assert len(table) == 300 and list(table)[:3] == [100, 101, 102]
    assert table[105].dtype == np.float32
    assert np.abs(table[105] - rows[5]).max() < 1e-3  # float16: 3 significant digits
    assert np.allclose(table.matrix([399, 100]), rows[[299, 0]], atol=1e-3)
    table[100] = rows[7]  # replace in place
    assert np.allclose(table[100], rows[7], atol=1e-3) and len(table) == 300
    capacity = len(table._data)
    del table[101]
    assert 101 not in table and len(table) == 299
    table[5000] = rows[1]  # takes the freed row: no growth
    assert len(table._data) == capacity and np.allclose(table[5000], rows[1], atol=1e-3)
    with pytest.raises(KeyError):
        table[101]


def test_vector_table_fill_sets_many_rows_exactly_sized() -> None:
    rows = unit_rows(50)
    table = VectorTable(384)
    table.fill(list(range(50)), rows)
    assert len(table._data) == 64 and np.allclose(table.matrix(list(range(50))), rows, atol=1e-3)


def test_float16_raw_vectors_keep_the_cosines_of_float32() -> None:
    rows = unit_rows(400, seed=3)
    table = VectorTable(384)
    table.fill(list(range(400)), rows)
    exact, stored = rows @ rows[:20].T, table.matrix(list(range(400))) @ rows[:20].T
    assert np.abs(exact - stored).max() < 2e-3
    same_top = [
        set(np.argsort(-exact[:, q])[:10]) == set(np.argsort(-stored[:, q])[:10]) for q in range(20)
    ]
    assert sum(same_top) >= 18


def test_token_table_keeps_ids_and_gives_back_the_shared_strings() -> None:
    table = TokenTable()
    table[1] = ["xử_lý", "nước", "thải", "nước"]
    table[2] = np.array(STRINGS.encode(["nước"]))
    assert table[1] == ["xử_lý", "nước", "thải", "nước"]
    assert table.encoded(1).dtype == np.int32 and len(table.encoded(1)) == 4
    assert table[1][1] is table[2][0]  # one string object per distinct token
    assert dict(table) == {1: ["xử_lý", "nước", "thải", "nước"], 2: ["nước"]}
    del table[2]
    assert 2 not in table and table.get(2) is None


def test_bm25_documents_share_the_store_token_arrays(tmp_path: Path) -> None:
    model = load_model("hashing")
    engine = MatchEngine(model)
    engine.upsert(postings())
    lex = engine.retriever.lex["need"]
    assert lex._docs[1] is engine.store.tokens.encoded(1)  # one copy, not two
    engine.save(tmp_path)
    loaded = MatchEngine.load(tmp_path, model)
    assert loaded.retriever.lex["need"]._docs[1] is loaded.store.tokens.encoded(1)
    assert isinstance(loaded.store.raw, VectorTable)
    assert np.allclose(loaded.store.raw_matrix([1, 101]), engine.store.raw_matrix([1, 101]))
