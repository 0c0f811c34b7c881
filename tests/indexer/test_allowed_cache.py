"""The filter cache is updated by writes, not dropped: after adds, status changes, kind
changes and deletes it gives what a pass over the pool gives."""

from __future__ import annotations

import dataclasses

import pytest

from indexer.engine import MatchEngine
from indexer.postings import Filters, Posting
from models import load_model
from tests.indexer.test_engine import postings

FILTERS = [
    None,
    Filters(statuses=frozenset({"published"})),
    Filters(languages=frozenset({"vi"}), statuses=frozenset({"published"})),
    Filters(statuses=None, ids=frozenset({101, 102, 7})),
]


def fresh(engine: MatchEngine) -> list[object]:
    out = []
    for kind in ("need", "offer"):
        for f in FILTERS:
            found = engine.retriever.allowed(kind, f)  # type: ignore[arg-type]
            out.append(None if found is None else sorted(found.tolist()))
    return out


@pytest.fixture(scope="module")
def model():  # type: ignore[no-untyped-def]
    return load_model("hashing")


def test_cached_filters_follow_writes(model) -> None:  # type: ignore[no-untyped-def]
    engine = MatchEngine(model)
    engine.upsert(postings())
    fresh(engine)  # fill the cache
    draft = dataclasses.replace(engine.get(101), status="draft")  # type: ignore[arg-type]
    engine.upsert([draft, Posting(7, "offer", "Tôm giống sạch bệnh", "Cung cấp tôm giống.")])
    engine.upsert([dataclasses.replace(engine.get(2), kind="offer")])  # type: ignore[arg-type]
    engine.delete([1, 999])
    cached = fresh(engine)
    engine.retriever.invalidate()
    assert cached == fresh(engine)
    assert any(c is not None for c in cached)
