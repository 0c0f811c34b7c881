"""After a write without a refit, the best-need cache of the recommendation rule is kept
and corrected, not dropped: matches give the flags a cold engine gives."""

from __future__ import annotations

import dataclasses

import pytest

from indexer.config import EngineConfig
from indexer.engine import MatchEngine
from indexer.postings import Posting
from models import load_model

TOPICS = [
    ("Cảm biến oxy cho ao tôm", "Đo oxy hoà tan và pH trong ao nuôi tôm, cảnh báo sớm."),
    ("Container yard optimiser", "Software that optimises container stacking in ports."),
    ("Sấy lúa năng lượng mặt trời", "Máy sấy lúa dùng năng lượng mặt trời cho hợp tác xã."),
    ("Antifouling hull coating", "Coating that keeps ship hulls clean without copper."),
]


def pool() -> list[Posting]:
    out = []
    for n in range(36):
        title, text = TOPICS[n % len(TOPICS)]
        kind = "need" if n % 2 else "offer"
        out.append(Posting(n + 1, kind, f"{title} {n}", f"{text} Phiên bản {n}.", (), None, 5))
    return out


@pytest.fixture(scope="module")
def model():  # type: ignore[no-untyped-def]
    return load_model("hashing")


def flags(engine: MatchEngine) -> dict[tuple[int, int], bool]:
    out = {}
    for posting in list(engine.store):
        if posting.kind == "need" and posting.status == "published":
            for m in engine.match(posting.id, limit=5, with_reasons=False):
                out[m.need_id, m.offer_id] = m.recommended
    return out


def test_flags_after_writes_are_those_of_a_cold_engine(model) -> None:  # type: ignore[no-untyped-def]
    # the hand-set rule (threshold 0.40): with the hashing embedder the fitted fusion's
    # threshold is reached by no pair, and the cache would stay empty
    config = EngineConfig(
        always_refit_below=0, refit_min_change=10**6, alignment_strength=0.0, fitted_fusion=False
    )
    engine = MatchEngine(model, config)
    engine.upsert(pool())
    flags(engine)  # fill the best-need cache
    assert engine.ranker.recommender.cached()
    best = engine.get(engine.ranker.best_of[next(iter(engine.ranker.best_of))])
    assert best is not None
    engine.upsert(
        [
            Posting(100, "need", "Cảm biến oxy ao tôm thẻ", "Cần đo oxy hoà tan và pH ao tôm."),
            dataclasses.replace(best, status="draft"),  # a cached best need leaves the pool
        ]
    )
    engine.delete([3])
    assert engine.ranker.recommender.cached()  # kept, not dropped
    warm = flags(engine)
    engine.clear_caches()
    assert warm == flags(engine)
    assert any(warm.values())
