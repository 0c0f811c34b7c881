"""The saved index holds what serving needs: a load re-tokenises nothing, rebuilds no
BM25 and recomputes no z statistics, and answers exactly as the saved engine did."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pytest

from indexer import engine as engine_module
from indexer import features, lexical
from indexer.alignment import read_pairs
from indexer.ann import FlatIndex
from indexer.engine import EngineConfig, IndexLoadError, MatchEngine
from indexer.postings import Posting
from indexer.retrieval import Retriever
from models import load_model
from tests.indexer.test_engine import postings


@pytest.fixture(scope="module")
def model():  # type: ignore[no-untyped-def]
    return load_model("hashing")


def test_load_installs_the_saved_bm25_tokens_and_z_statistics(
    model, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = MatchEngine(model)
    engine.upsert(postings())
    before = {pid: [(m.pair_id, m.score) for m in engine.match(pid)] for pid in (1, 2, 101)}
    engine.save(tmp_path, extra={"mine": np.arange(3)})

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("a load must not rebuild BM25 or re-tokenise")

    monkeypatch.setattr(lexical, "build_lexical", refuse)
    monkeypatch.setattr(features, "tokenize_with_surface", refuse)
    loaded = MatchEngine.load(tmp_path, model)
    info = loaded.info()
    assert not any(info.lexical_stale.values()) and info.lexical == info.postings
    assert loaded.store.tokens == engine.store.tokens
    assert loaded.store.terms == engine.store.terms
    assert loaded.bias.zstats == engine.bias.zstats  # the saved values, not recomputed
    after = {pid: [(m.pair_id, m.score) for m in loaded.match(pid)] for pid in (1, 2, 101)}
    assert after == before
    assert loaded.extra["mine"].tolist() == [0, 1, 2]
    shared = [t for toks in loaded.store.tokens.values() for t in toks if t == "tôm"]
    assert len({id(t) for t in shared}) == 1  # one string object per distinct token


def test_a_stale_saved_bm25_build_is_rebuilt_after_load(model, tmp_path: Path) -> None:
    engine = MatchEngine(model)
    engine.upsert(postings())
    engine.match(1)  # BM25 built
    engine.upsert([Posting(3, "need", "Ship hull paint", "Need antifouling paint.")])
    assert engine.info().lexical_stale["need"]  # saved with a build that misses need 3
    engine.save(tmp_path)
    loaded = MatchEngine.load(tmp_path, model)
    assert loaded.info().lexical_stale["need"]
    loaded.retriever.lex["need"].snapshot()
    assert not loaded.info().lexical_stale["need"]
    ids, _ = loaded.retriever.lex["need"].score(["paint"])
    assert 3 in ids.tolist()


def _matches(engine: MatchEngine) -> dict[int, list[tuple[str, float]]]:
    return {pid: [(m.pair_id, m.score) for m in engine.match(pid)] for pid in (1, 2, 101, 102)}


def _flat(engine: MatchEngine, kind: str) -> FlatIndex:
    index = engine.retriever.ann[kind]  # type: ignore[index]
    assert isinstance(index, FlatIndex)
    return index


def _rewrite(path: Path, change) -> None:  # type: ignore[no-untyped-def]
    """Rewrite the saved file's arrays and meta through ``change(arrays, meta)``."""
    with np.load(path, allow_pickle=False) as data:
        arrays = {k: data[k] for k in data.files}
    meta = json.loads(arrays["meta"].tobytes().decode("utf-8"))
    change(arrays, meta)
    arrays["meta"] = np.frombuffer(json.dumps(meta, ensure_ascii=False).encode(), np.uint8)
    with path.open("wb") as fh:
        np.savez(fh, **arrays)


def test_load_installs_the_saved_corrected_vectors(
    model, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = MatchEngine(model)
    engine.upsert(postings())
    before = _matches(engine)
    engine.save(tmp_path)

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("a load with the saved correction must not recompute it")

    monkeypatch.setattr(Retriever, "rebuild_dense", refuse)
    loaded = MatchEngine.load(tmp_path, model)
    for kind in ("need", "offer"):
        ids = _flat(engine, kind).ids()
        assert _flat(loaded, kind).ids().tolist() == ids.tolist()
        saved = _flat(loaded, kind).vectors(ids)
        assert np.array_equal(saved, _flat(engine, kind).vectors(ids))
        assert np.array_equal(saved, loaded.corrected_vectors(ids.tolist()))  # still valid
    assert _matches(loaded) == before
    assert [loaded.get(p.id) for p in postings()] == [engine.get(p.id) for p in postings()]


def test_saved_vectors_of_another_correction_are_recomputed(model, tmp_path: Path) -> None:
    engine = MatchEngine(model)
    engine.upsert(postings())
    engine.save(tmp_path)
    other = EngineConfig(bias_correction="none")  # no centering: other vectors
    loaded = MatchEngine.load(tmp_path, model, other)
    ids = _flat(loaded, "need").ids()
    assert np.array_equal(
        _flat(loaded, "need").vectors(ids), loaded.corrected_vectors(ids.tolist())
    )
    assert not np.array_equal(
        _flat(loaded, "need").vectors(ids), _flat(engine, "need").vectors(ids)
    )


def test_a_format_2_file_is_still_read_and_answers_the_same(model, tmp_path: Path) -> None:
    engine = MatchEngine(model)
    engine.upsert(postings())
    before = _matches(engine)
    path = engine.save(tmp_path)
    fields = [f.name for f in dataclasses.fields(Posting)]

    def as_format_2(arrays: dict[str, np.ndarray], meta: dict[str, object]) -> None:
        for key in [k for k in arrays if k.startswith("dense_") or k == "posting_text"]:
            del arrays[key]
        arrays["raw"] = arrays["raw"].astype(np.float32)
        meta["postings"] = [[getattr(p, f) for f in fields] for p in engine.store]
        del meta["posting_columns"], meta["dense_key"]
        meta["format"] = 2

    _rewrite(path, as_format_2)
    loaded = MatchEngine.load(tmp_path, model)
    assert _matches(loaded) == before
    assert loaded.store.postings == engine.store.postings


def test_texts_holding_a_separator_are_saved_as_rows(model, tmp_path: Path) -> None:
    engine = MatchEngine(model)
    odd = Posting(7, "offer", "Sơn\x00 tàu", "Chống hà\x01 bám.", ("a\x01b", "sơn"), None, 5)
    engine.upsert([*postings(), odd])
    engine.save(tmp_path)
    loaded = MatchEngine.load(tmp_path, model)
    assert loaded.store.postings == engine.store.postings
    assert _matches(loaded) == _matches(engine)


@pytest.mark.parametrize("damage", ["texts", "vectors", "format"])
def test_a_damaged_or_unknown_file_is_refused(model, tmp_path: Path, damage: str) -> None:
    """Refused with :class:`IndexLoadError`, which the service answers with a rebuild
    (tests/service/test_index_consistency.py)."""
    engine = MatchEngine(model)
    engine.upsert(postings())
    path = engine.save(tmp_path)

    def spoil(arrays: dict[str, np.ndarray], meta: dict[str, object]) -> None:
        if damage == "texts":
            arrays["posting_text"] = arrays["posting_text"][:-40]
        elif damage == "vectors":
            arrays["dense_need_vectors"] = arrays["dense_need_vectors"][:, :10]
        else:
            meta["format"] = 99

    _rewrite(path, spoil)
    with pytest.raises(IndexLoadError):
        MatchEngine.load(tmp_path, model)


class CountingModel:
    """A fresh hashing model (its own shared map) that counts the texts it embeds."""

    def __init__(self) -> None:
        self.inner = load_model("hashing")
        self.name, self.dimension = self.inner.name, self.inner.dimension
        self.texts = 0

    def encode(self, texts: list[str], batch_size: int = 32) -> np.ndarray:
        self.texts += len(texts)
        return self.inner.encode(texts, batch_size)


def test_a_load_adopts_the_saved_alignment_map_and_embeds_nothing(model, tmp_path: Path) -> None:
    """Fitting the VI → EN map embeds every translated pair (seconds with a real model at
    each restart): the index keeps the map, and a load of the same model takes it."""
    engine = MatchEngine(model)
    engine.upsert(postings())
    before = {pid: [(m.pair_id, m.score) for m in engine.match(pid)] for pid in (1, 2, 101)}
    engine.save(tmp_path)
    fresh = CountingModel()
    loaded = MatchEngine.load(tmp_path, fresh)  # type: ignore[arg-type]
    assert fresh.texts == 0
    assert loaded.alignment is not None and engine.alignment is not None
    assert np.array_equal(loaded.alignment.matrix(), engine.alignment.matrix())
    after = {pid: [(m.pair_id, m.score) for m in loaded.match(pid)] for pid in (1, 2, 101)}
    assert after == before
    again = tmp_path / "again"
    loaded.save(again)  # the adopted map is saved again
    assert MatchEngine.load(again, CountingModel()).alignment is not None  # type: ignore[arg-type]


def test_a_map_saved_for_other_pairs_is_fitted_again(
    model, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = MatchEngine(model)
    engine.upsert(postings())
    engine.save(tmp_path)
    monkeypatch.setattr(engine_module, "pairs_digest", lambda: "other-pairs")
    fresh = CountingModel()
    MatchEngine.load(tmp_path, fresh)  # type: ignore[arg-type]
    vi, en = read_pairs()
    assert fresh.texts == len(vi) + len(en)
