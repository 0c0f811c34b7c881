"""The ``recommended`` flag: threshold and reciprocity, as a rule and in the engine."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from indexer.engine import EngineConfig, MatchEngine
from indexer.evaluation.abstention import (
    AbstentionSection,
    Candidates,
    RecommendRule,
    calibrate,
    candidates_from_pairs,
    default_rule,
    figures,
    objective,
)
from indexer.evaluation.devset import DevSet, load_devset, read_split, split_parts
from indexer.evaluation.ranking import rankings, score_rankings
from indexer.evaluation.report import EvalContext
from indexer.postings import Posting
from indexer.recommendation import Recommender, is_recommended, needs_best_need
from indexer.scoring import FusionConfig
from models import load_model

CONFIG = FusionConfig(recommend_threshold=0.40, reciprocal_margin=0.05)


def test_below_the_threshold_nothing_is_recommended() -> None:
    assert not is_recommended(0.39, 0.39, CONFIG)
    assert not is_recommended(0.0, None, CONFIG)
    assert not needs_best_need(0.39, CONFIG)


def test_reciprocity_accepts_the_offers_best_need_and_near_misses_only() -> None:
    assert needs_best_need(0.5, CONFIG)
    assert is_recommended(0.5, 0.5, CONFIG)  # this need is the offer's best
    assert is_recommended(0.5, 0.54, CONFIG)  # within the margin
    assert is_recommended(0.5, 0.55, CONFIG)  # at the margin
    assert not is_recommended(0.5, 0.56, CONFIG)  # the offer serves another need much better
    assert is_recommended(0.40, 0.40, CONFIG)  # the threshold itself counts


def test_a_negative_margin_turns_reciprocity_off() -> None:
    off = dataclasses.replace(CONFIG, reciprocal_margin=-1.0)
    assert not needs_best_need(0.5, off)
    assert is_recommended(0.5, None, off) and not is_recommended(0.3, None, off)


def test_recommender_fetches_best_needs_once_and_only_when_needed() -> None:
    calls: list[list[int]] = []

    def best(offers: list[int]) -> dict[int, float]:
        calls.append(offers)
        return {o: 0.6 for o in offers}

    rec = Recommender(best, CONFIG)
    rec.prefetch([(0.58, 7), (0.3, 8), (0.50, 9), (0.57, 7)])
    assert calls == [[7, 9]]  # offer 8 is below the threshold: no best need needed
    assert rec.recommended(7, 0.58) and rec.recommended(7, 0.55)
    assert not rec.recommended(9, 0.50) and not rec.recommended(8, 0.3)
    assert calls == [[7, 9]]
    rec.clear()
    assert rec.recommended(9, 0.59) and calls[-1] == [9]


@pytest.fixture(scope="module")
def engine() -> MatchEngine:
    devset = load_devset()
    engine = MatchEngine(load_model("hashing"))
    engine.upsert(devset.needs + devset.offers)
    return engine


def test_engine_flags_follow_the_rule_on_the_devset(engine: MatchEngine) -> None:
    """Some pairs are recommended, and each flag is the rule applied to the pair's score
    and the offer's best score with any published need."""
    fusion = engine.ranker.recommender.config  # the active ranking's (fitted fusion's) rule
    assert fusion.recommend_threshold == engine.recommend_threshold
    flags: list[bool] = []
    needs = sorted(p.id for p in engine.store if p.kind == "need")
    for need_id in needs:
        for m in engine.match(need_id, limit=5, with_reasons=False):
            best = max(x.score for x in engine.match(m.offer_id, limit=20, with_reasons=False))
            assert best >= m.score - 1e-6
            assert m.recommended == is_recommended(m.score, best, fusion)
            flags.append(m.recommended)
    assert any(flags) and not all(flags)


def test_a_zero_margin_keeps_reciprocity_on_and_the_threshold_asks_for_the_best_need() -> None:
    strict = dataclasses.replace(CONFIG, reciprocal_margin=0.0)
    assert needs_best_need(0.5, strict) and needs_best_need(0.40, CONFIG)
    assert is_recommended(0.5, 0.5, strict)  # the offer's best need itself
    assert is_recommended(0.5, 0.5 + 1e-12, strict)  # float noise is not a better need
    assert not is_recommended(0.5, 0.501, strict)
    with pytest.raises(AssertionError):
        is_recommended(0.5, None, strict)  # reciprocity on: the best-need score is required


# ------------------------------------------------------------- abstention (calibration)


@pytest.mark.parametrize("score", [0.2, 0.39, 0.40, 0.45, 0.6])
@pytest.mark.parametrize("best", [0.4, 0.45, 0.5, 0.7])
def test_the_offline_rule_is_the_engines_rule(score: float, best: float) -> None:
    rule = default_rule(EngineConfig(fusion=CONFIG, fitted_fusion=False))
    best_need = max(best, score)
    assert rule.recommends(score, False, best_need) == is_recommended(score, best_need, CONFIG)
    assert rule.recommends(score, True, best_need) == is_recommended(score, best_need, CONFIG)


def _toy() -> tuple[Candidates, DevSet]:
    """Need 1 has a grade-2 offer 11 at 0.6 (cross-language); need 2 has no good offer but
    a same-language distractor 12 at 0.5; need 3's grade-2 offer 13 scores 0.45."""
    needs = [Posting(id=i, kind="need", title=f"n{i}", description="") for i in (1, 2, 3)]
    offers = [Posting(id=i, kind="offer", title=f"o{i}", description="") for i in (11, 12, 13)]
    qrels = {1: {11: 2, 12: 0}, 2: {12: 0}, 3: {13: 2}}
    tags = {2: {"no_good_offer"}}
    rows = {1: [(11, 0.6, True), (12, 0.3, False)], 2: [(12, 0.5, False)], 3: [(13, 0.45, True)]}
    return Candidates(rows, {11: 0.6, 12: 0.5, 13: 0.45}), DevSet(needs, offers, qrels, tags)


def test_figures_count_silent_needs_and_grade2_recommendations() -> None:
    cands, ds = _toy()
    low = figures(cands, RecommendRule(0.4, 0.4, 0.05), ds)
    assert (low["silent"], low["grade2"], low["relevant"]) == (0.0, 1.0, 1.0)
    high = figures(cands, RecommendRule(0.55, 0.55, 0.05), ds)
    assert (high["silent"], high["grade2"]) == (1.0, 0.5)


def test_calibration_finds_the_language_pair_thresholds_that_separate() -> None:
    """Only a same-language threshold above 0.5 and a cross-language one at most 0.45
    silence need 2 and serve needs 1 and 3."""
    cands, ds = _toy()
    rule = calibrate(cands, ds)
    assert figures(cands, rule, ds)["silent"] == 1.0
    assert figures(cands, rule, ds)["grade2"] == 1.0
    assert rule.threshold > 0.5 and rule.cross_threshold <= 0.45


def test_abstention_section_reproduces_the_engines_flags_on_the_devset() -> None:
    """The default rule applied offline gives the figures of the engine's own flags."""
    devset = load_devset()
    parts = split_parts(devset, read_split())

    model = load_model("hashing")
    data = AbstentionSection().compute(EvalContext(model, devset, parts))
    engine = MatchEngine(model)
    engine.upsert(devset.needs + devset.offers)
    ranked = rankings(engine, devset)
    for part, ds in parts.items():
        want = score_rankings(ranked, ds)["recommend"]
        got = data["default"]["parts"][part]
        assert got["silent"] == pytest.approx(want["no_good_offer_without_recommendation"])
        assert got["relevant"] == pytest.approx(want["grade2_needs_with_a_relevant_recommendation"])
    assert set(data) == {"default", "calibrated on tune"}
    lines = AbstentionSection().format(data)
    assert any("heldout" in line for line in lines)


def test_float32_noise_in_the_best_need_score_does_not_fail_a_zero_margin() -> None:
    """The best-need score is computed from the offer's side: float32 cosines differ from
    the need's side by ~1e-8, which once silenced needs that were their offer's best."""
    strict = dataclasses.replace(CONFIG, reciprocal_margin=0.0)
    assert is_recommended(0.5, 0.5 + 1.5e-8, strict)
    assert RecommendRule(0.4, 0.4, 0.0).recommends(0.5, False, 0.5 + 1.5e-8)
    assert not RecommendRule(0.4, 0.4, 0.0).recommends(0.5, False, 0.5 + 1e-4)


def test_the_objective_asks_both_shares_to_reach_the_bar() -> None:
    """A rule that silences every empty need but serves 76% of the others loses to one at
    83% / 87%: the smaller share counts first (both must reach 0.90), then the mean."""
    lopsided = {"silent": 1.0, "grade2": 0.76}
    balanced = {"silent": 0.83, "grade2": 0.87}
    assert objective(balanced) > objective(lopsided)
    assert objective({"silent": 0.9, "grade2": 0.95}) > objective({"silent": 0.9, "grade2": 0.9})


def test_candidates_from_pairs_rank_rows_and_read_each_needs_own_best_need() -> None:
    cands = candidates_from_pairs(
        [1, 1, 2, 2], [11, 12, 11, 12], [0.3, 0.6, 0.8, 0.1], [False, True, False, True], keep=[1]
    )
    assert cands.rows == {1: [(12, 0.6, True), (11, 0.3, False)]}
    assert cands.best_need == {11: 0.8, 12: 0.6}  # need 2 is in the pool, not in the rows
    assert cands.best(1, 11) == 0.8
    cands.per_need = {1: {11: 0.3}}  # need 1's fold scored the pool otherwise
    assert cands.best(1, 11) == 0.3 and cands.best(1, 12) == 0.0


def test_the_fusions_rule_is_chosen_on_out_of_fold_scores() -> None:
    """Every tune need's rows are scored by a model fitted without its pairs (the fold that
    held it out), and the best-need scores come from that same model."""
    from sklearn.model_selection import GroupKFold

    from benchmarks.fit_fusion import fit_on, out_of_fold
    from indexer.fusion import FEATURES

    rng = np.random.default_rng(7)
    needs, offers = list(range(1, 11)), list(range(100, 106))
    pairs = [(n, o) for n in needs for o in offers]
    x = rng.normal(size=(len(pairs), len(FEATURES)))
    x[:, FEATURES.index("cross_lingual")] = rng.integers(0, 2, len(pairs))
    grade = np.where(x[:, 1] > 0.8, 2, np.where(x[:, 1] > 0.2, 1, 0))
    table = {
        "need": np.array([n for n, _ in pairs]),
        "offer": np.array([o for _, o in pairs]),
        "grade": grade,
        "x": x,
    }
    cands = out_of_fold(table, needs, 1.0, "relevant")
    assert sorted(cands.rows) == needs
    ids = np.array(needs)
    for fit_idx, check_idx in GroupKFold(5).split(ids, groups=ids):
        model = fit_on(table, np.isin(table["need"], ids[fit_idx]), 1.0, "relevant")
        for need in ids[check_idx].tolist():
            for offer, score, cross in cands.rows[need]:
                row = pairs.index((need, offer))
                assert score == pytest.approx(model.probability(x[row]))
                assert cross == bool(x[row, FEATURES.index("cross_lingual")])
            for offer in offers:
                best = max(model.probability(x[pairs.index((n, offer))]) for n in needs)
                assert cands.best(need, offer) == pytest.approx(best)
    full = fit_on(table, np.ones(len(pairs), dtype=bool), 1.0, "relevant")
    first = cands.rows[1][0]
    assert first[1] != pytest.approx(full.probability(x[pairs.index((1, first[0]))]))


def test_the_fusions_rule_takes_the_middle_of_equally_good_thresholds() -> None:
    """In the toy every threshold in (0.50, 0.60] silences need 2 and serves need 1 (the
    objective's best); the lowest of them (0.51) would sit just above need 2's distractor,
    the rule takes the middle of the run (0.55) and the smallest margin (reciprocity off)."""
    from benchmarks.fit_fusion import choose_rule, middle_of_ties

    cands, ds = _toy()
    rule, grid = choose_rule(cands, ds)
    assert (rule.threshold, rule.cross_threshold, rule.margin) == (0.55, 0.55, -1.0)
    assert figures(cands, rule, ds)["silent"] == 1.0
    assert grid["0.51,-1.00"] == grid["0.60,-1.00"] == {"silent": 1.0, "grade2": 0.5}
    assert grid["0.50,-1.00"]["silent"] == 0.0  # need 2's distractor scores 0.50
    # the best objective wins over ties; an even run gives its lower middle
    rows = [((0.5, 0.6), 0.3, 0.0), ((0.9, 0.9), 0.4, 0.1), ((0.9, 0.9), 0.6, 0.1)]
    assert middle_of_ties(rows) == (0.4, 0.1)
    rows += [((0.9, 0.9), 0.7, -1.0), ((0.9, 0.9), 0.8, -1.0), ((0.9, 0.9), 0.9, -1.0)]
    assert middle_of_ties(rows) == (0.8, -1.0)
