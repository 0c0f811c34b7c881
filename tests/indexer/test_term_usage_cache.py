"""The coach's counterpart vocabulary folds each posting's text once, not on every write
(folding 45,000 texts took 2.4 s of CPU: every POST at 100,000 postings paid it)."""

from __future__ import annotations

import pytest

from indexer import term_usage
from indexer.engine import MatchEngine
from models import load_model
from tests.indexer.test_engine import postings


def test_counterpart_texts_are_folded_once(monkeypatch: pytest.MonkeyPatch) -> None:
    engine = MatchEngine(load_model("hashing"))
    engine.upsert(postings())
    ids = list(engine.ids())
    folded: list[str] = []
    real = term_usage.fold

    def counting(text: str) -> str:
        folded.append(text)
        return real(text)

    monkeypatch.setattr(term_usage, "fold", counting)
    term_usage.folded_text.cache_clear()
    first = term_usage.counterpart_vocabulary(engine.store, ids)
    assert len(folded) == len(ids)
    folded.clear()
    again = term_usage.counterpart_vocabulary(engine.store, ids)
    assert folded == [] and again.texts == first.texts
    assert first.texts == [real(engine.store.postings[i].text()) for i in ids]
