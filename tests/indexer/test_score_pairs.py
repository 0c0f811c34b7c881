"""The cheap scoring path for known pairs gives the full path's scores, on the devset
with the hashing model."""

from __future__ import annotations

import random

import pytest

from indexer.engine import MatchEngine, UnknownPosting
from indexer.evaluation.devset import load_devset
from indexer.postings import Filters
from models import load_model


@pytest.fixture(scope="module")
def engine() -> MatchEngine:
    devset = load_devset()
    engine = MatchEngine(load_model("hashing"))
    engine.upsert(devset.needs + devset.offers)
    return engine


def kind_ids(engine: MatchEngine, kind: str) -> list[int]:
    return sorted(p.id for p in engine.store if p.kind == kind)


def test_scores_of_known_pairs_are_identical_to_the_full_path(engine: MatchEngine) -> None:
    """What the scheduler got before (a full match restricted to the pairs' offers, with
    reasons and recommendation), to the last bit."""
    rng = random.Random(7)
    offers = kind_ids(engine, "offer")
    compared = 0
    for need_id in kind_ids(engine, "need"):
        some = rng.sample(offers, 12)
        full = engine.match(
            need_id, limit=len(some), filters=Filters(statuses=None, ids=frozenset(some))
        )
        assert {m.offer_id for m in full} == set(some)
        cheap = engine.score_pairs([(need_id, m.offer_id) for m in full])
        assert cheap == [m.score for m in full]
        compared += len(full)
    assert compared >= 500


def test_scores_of_every_offer_are_identical_to_the_unrestricted_ranking(
    engine: MatchEngine,
) -> None:
    """Pairs with every offer: the search over the whole pool, to the last bit."""
    offers = kind_ids(engine, "offer")
    for need_id in kind_ids(engine, "need")[:15]:
        full = engine.match(need_id, limit=len(offers), filters=Filters(statuses=None))
        assert len(full) == len(offers)
        assert engine.score_pairs([(need_id, m.offer_id) for m in full]) == [m.score for m in full]


def test_scores_of_known_pairs_equal_the_unrestricted_ranking(engine: MatchEngine) -> None:
    """The unrestricted search's own inner products differ only in float rounding."""
    for need_id in kind_ids(engine, "need")[:20]:
        found = engine.match(need_id, limit=10)
        cheap = engine.score_pairs([(need_id, m.offer_id) for m in found])
        assert cheap == pytest.approx([m.score for m in found], abs=1e-6)


def test_ranking_without_reasons_gives_the_same_scores_and_flags(engine: MatchEngine) -> None:
    for posting_id in kind_ids(engine, "need")[:10] + kind_ids(engine, "offer")[:10]:
        full = engine.match(posting_id, limit=8)
        bare = engine.match(posting_id, limit=8, with_reasons=False)
        assert [(m.pair_id, m.score, m.recommended, m.components) for m in bare] == [
            (m.pair_id, m.score, m.recommended, m.components) for m in full
        ]
        assert all(not m.reasons.shared_terms and not m.reasons.agreements for m in bare)
        assert any(m.reasons.agreements for m in full)
    full_pairs = engine.pairs(limit=50)
    bare_pairs = engine.pairs(limit=50, with_reasons=False)
    assert [(m.pair_id, m.score) for m in bare_pairs] == [(m.pair_id, m.score) for m in full_pairs]


def test_score_pairs_keeps_the_order_and_refuses_unknown_or_wrong_pairs(
    engine: MatchEngine,
) -> None:
    need, other_need = kind_ids(engine, "need")[:2]
    offer, other_offer = kind_ids(engine, "offer")[:2]
    pairs = [(other_need, offer), (need, other_offer), (need, offer), (other_need, offer)]
    scores = engine.score_pairs(pairs)
    assert scores[0] == scores[3]
    assert scores == [engine.score_pairs([p])[0] for p in pairs]
    assert engine.score_pairs([]) == []
    with pytest.raises(UnknownPosting):
        engine.score_pairs([(need, 999_999)])
    with pytest.raises(ValueError):
        engine.score_pairs([(offer, need)])
