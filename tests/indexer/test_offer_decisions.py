"""Per-offer decision features: leave-one-need-out counts, shrinkage, storage, and the
learned ranking lowering a "hub" offer that every need rejects."""

from __future__ import annotations

import math
import random

import pytest

from indexer.learned import (
    FEATURES,
    LearnedRanking,
    Sample,
    evaluate,
    feature_vector,
    fit,
)
from indexer.offer_decisions import NO_DECISIONS, OfferDecisions, prior_strength


def test_a_needs_own_decisions_never_feed_its_features() -> None:
    offers = OfferDecisions.of([1, 2, 3, 1], [10, 10, 10, 11], [0, 0, 1, 1])
    accept, rejects = offers.row(1, 10)  # need 1's rejection left out: one each way
    assert rejects == pytest.approx(math.log1p(1))
    again_accept, _ = offers.row(9, 10)  # a need without decisions sees all three
    assert again_accept < accept
    assert offers.row(1, 11) == pytest.approx((0.0, 0.0))  # only need 1 decided offer 11
    assert offers.row(2, 11)[0] > 0 and offers.row(2, 99) == pytest.approx((0.0, 0.0))
    assert NO_DECISIONS.row(1, 10) == (0.0, 0.0)


def test_shrinkage_toward_the_global_rate() -> None:
    # offers whose rates vary no more than binomial noise: the strongest prior
    assert prior_strength([1, 1, 1, 1], [2, 2, 2, 2], 0.5) == 100.0
    # offers that are all-or-nothing: a weak prior, so their counts speak
    assert prior_strength([5, 0, 5, 0], [5, 5, 5, 5], 0.5) == pytest.approx(1.0)
    offers = OfferDecisions.of(range(8), [1, 1, 1, 1, 2, 2, 2, 2], [1, 1, 1, 1, 0, 0, 0, 0])
    assert offers.strength == pytest.approx(1.0)
    assert offers.row(99, 1)[0] == pytest.approx((4 + 0.5) / 5 - 0.5)
    assert OfferDecisions.from_json(offers.to_json()) == offers


def hub_decisions(seed: int, needs: int = 40) -> list[Sample]:
    """Each need decides 3 "hub" offers (the built-in score's favourites, always rejected)
    and 7 of 60 other offers (accepted at 40 %, the built-in score slightly higher for the
    accepted ones)."""
    rng = random.Random(seed)
    out = []
    for need in range(needs):
        others = rng.sample(range(100, 160), 7)
        for offer in [1, 2, 3, *others]:
            hub = offer < 100
            accepted = not hub and rng.random() < 0.4
            fusion = rng.uniform(0.6, 0.7) if hub else rng.uniform(0.3, 0.6) + 0.1 * accepted
            parts = {"fusion": fusion, "dense": rng.random(), "dense_z": rng.gauss(2.0, 1.0)}
            features = tuple(feature_vector(parts, False))
            out.append(Sample(need, offer, features, int(accepted), int(accepted)))
    return out


def test_a_hub_rejected_by_every_need_falls_for_a_new_need() -> None:
    samples = hub_decisions(3)
    current = [s.features[0] for s in samples]
    evaluation, model = evaluate(samples, current)
    assert evaluation.switch, evaluation.reason
    assert model.offers is not None and len(model.offers.decisions) == len(samples)
    parts = {"fusion": 0.65, "dense": 0.5, "dense_z": 2.0}
    hub = model.score(parts, False, need_id=999, offer_id=1)
    fresh = model.score(parts, False, need_id=999, offer_id=500)  # never decided
    assert hub < fresh
    without, plain = evaluate(samples, current, offers=False)
    assert plain.offers is None and evaluation.gain > without.gain
    assert plain.weights[FEATURES.index("offer_accept")] == 0.0


def test_older_rankings_load_with_the_offer_features_off() -> None:
    model = fit(hub_decisions(4, needs=20))
    data = model.to_json()
    assert data["format"] == 4 and isinstance(data["offers"], list)
    older = {
        **{k: v for k, v in data.items() if k != "offers"},
        "format": 3,
        "features": list(FEATURES[:-2]),
        "weights": data["weights"][:-2],
    }
    loaded = LearnedRanking.from_json(older)
    assert loaded.offers is None and loaded.weights[-2:] == (0.0, 0.0)
    assert loaded.weights[:-2] == model.weights[:-2]
