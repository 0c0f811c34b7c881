"""The saved index holds what serving needs: a load re-tokenises nothing, rebuilds no
BM25 and recomputes no z statistics, and answers exactly as the saved engine did."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from indexer import features, lexical
from indexer.engine import MatchEngine
from indexer.postings import Posting
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
