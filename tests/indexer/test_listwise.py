"""The per-need softmax correction of a base ranking (indexer/listwise.py)."""

from __future__ import annotations

import numpy as np

from indexer.listwise import choose_strength, fit_correction


def lists(seed: int, signal: bool, needs: int = 30, per_need: int = 10):
    """Rows of ``needs`` needs: column 0 carries the signal (accepted pairs higher) when
    ``signal``; the base ranks by column 1, which is half right."""
    rng = np.random.default_rng(seed)
    groups = np.repeat(np.arange(needs), per_need)
    gains = (rng.random(needs * per_need) < 0.3).astype(float)
    x = rng.normal(size=(needs * per_need, 3))
    if signal:
        x[:, 0] += 2.0 * gains
    x[:, 1] += 0.5 * gains
    return x, groups, gains, x[:, 1].copy()


def ndcg_order_right(scores: np.ndarray, groups: np.ndarray, gains: np.ndarray) -> float:
    """Share of (accepted, rejected) pairs of one need that ``scores`` orders right."""
    right = total = 0
    for g in np.unique(groups):
        rows = groups == g
        pos, neg = scores[rows][gains[rows] > 0], scores[rows][gains[rows] == 0]
        right += int((pos[:, None] > neg[None, :]).sum())
        total += pos.size * neg.size
    return right / total


def test_learns_the_signal_and_keeps_the_base_without_one() -> None:
    x, groups, gains, base = lists(0, True)
    model = fit_correction(x, groups, gains, base, 0.01)
    assert model.weights[0] > 0.5 > abs(model.weights[2])
    fresh = lists(1, True)
    learned = model.logits(fresh[0], fresh[3])
    assert ndcg_order_right(learned, fresh[1], fresh[2]) > ndcg_order_right(
        fresh[3], fresh[1], fresh[2]
    )
    # a strong penalty gives the base back: weights ~0, the base's order kept
    strong = fit_correction(x, groups, gains, base, 1000.0)
    assert np.abs(strong.weights).max() < 0.01 and strong.alpha > 0
    # rows of needs with one label only carry no order: nothing to learn from
    same = fit_correction(x, groups, np.ones_like(gains), base, 0.01)
    assert np.abs(same.weights).max() == 0.0


def test_strength_is_chosen_by_need_and_alpha_never_reverses_the_base() -> None:
    x, groups, gains, base = lists(2, False)
    reversed_base = -base  # a base that ranks rejected pairs first
    model = fit_correction(x, groups, gains, reversed_base, 0.01)
    assert model.alpha == 0.0
    assert choose_strength(*lists(3, True)) < choose_strength(*lists(3, False))


def test_one_standard_error_rule_prefers_the_base_among_near_ties() -> None:
    """Without a signal every strength fits about as well: the strongest (closest to the
    base) is chosen, on every seed; with a strong signal a weak penalty still wins."""
    from indexer.listwise import STRENGTHS

    assert all(choose_strength(*lists(seed, False)) == max(STRENGTHS) for seed in range(5))
    assert choose_strength(*lists(4, True, needs=60)) <= 0.3
