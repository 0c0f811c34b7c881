"""The fused score's rules, on hand-made postings: fusion and its cross-language
substitution, the TRL signal and the sector signal (no model)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from indexer.phrases import PostingPhrases
from indexer.postings import Posting
from indexer.reasons import explain_pair
from indexer.scoring import FusionConfig, dense_signal, field_signal, fuse, trl_gap, trl_signal
from indexer.sectors import sector_affinity, sector_relation

CONFIG = FusionConfig()


def need(trl: int | None = 5, sector: str | None = "aquaculture_fisheries", lang: str = "vi"):
    return Posting(1, "need", "n", "n", (), sector, trl, lang)


def offer(trl: int | None = 7, sector: str | None = "aquaculture_fisheries", lang: str = "vi"):
    return Posting(2, "offer", "o", "o", (), sector, trl, lang)


def test_dense_signal_is_the_logistic_of_the_z_score() -> None:
    assert dense_signal(CONFIG.dense_center, CONFIG) == pytest.approx(0.5)
    assert dense_signal(CONFIG.dense_center + CONFIG.dense_width, CONFIG) == pytest.approx(
        1 / (1 + 2.718281828459045**-1)
    )
    assert dense_signal(0.0, CONFIG) < dense_signal(2.0, CONFIG) < dense_signal(5.0, CONFIG)


def test_fusion_weights_dense_lexical_and_field() -> None:
    z = CONFIG.dense_center  # dense signal 0.5
    score, parts = fuse(need(), offer(), z, 0.2, CONFIG)
    # same sector (1.0) and TRL reached (1.0): field 1.0
    assert parts["field"] == 1.0 and parts["lexical_used"] == 0.2
    assert score == pytest.approx(0.5 * 0.5 + 0.35 * 0.2 + 0.15 * 1.0)
    assert parts["dense"] == pytest.approx(0.5) and parts["dense_z"] == z


def test_fusion_without_field_signals_renormalises_the_weights() -> None:
    score, parts = fuse(need(None, None), offer(None, None), CONFIG.dense_center, 0.2, CONFIG)
    assert "field" not in parts and "trl" not in parts and "sector" not in parts
    assert score == pytest.approx((0.5 * 0.5 + 0.35 * 0.2) / 0.85)


def test_cross_language_pair_replaces_a_weaker_lexical_signal_by_the_dense_one() -> None:
    z = CONFIG.dense_center + 1.0
    same, same_parts = fuse(need(lang="vi"), offer(lang="vi"), z, 0.1, CONFIG)
    cross, cross_parts = fuse(need(lang="vi"), offer(lang="en"), z, 0.1, CONFIG)
    assert same_parts["lexical_used"] == 0.1
    assert cross_parts["lexical_used"] == pytest.approx(cross_parts["dense"])
    assert cross_parts["lexical"] == 0.1  # the raw BM25 is still reported
    assert cross - same == pytest.approx(0.35 * (cross_parts["dense"] - 0.1))
    # a stronger lexical signal is kept as it is
    _, strong = fuse(need(lang="vi"), offer(lang="en"), CONFIG.dense_center, 0.9, CONFIG)
    assert strong["lexical_used"] == 0.9
    raw = dataclasses.replace(CONFIG, cross_lingual_lexical="raw")
    _, kept = fuse(need(lang="vi"), offer(lang="en"), z, 0.1, raw)
    assert kept["lexical_used"] == 0.1


def test_too_low_trl_is_penalised_and_enough_trl_is_not() -> None:
    assert trl_gap(need(6), offer(4)) == 2 and trl_gap(need(6), offer(8)) == -2
    assert trl_signal(need(6), offer(6)) == 1.0
    assert trl_signal(need(6), offer(9)) == 1.0
    assert trl_signal(need(6), offer(5)) == pytest.approx(2 / 3)
    assert trl_signal(need(6), offer(4)) == pytest.approx(1 / 3)
    assert trl_signal(need(6), offer(2)) == 0.0
    assert trl_signal(need(None), offer(4)) is None
    z = CONFIG.dense_center
    low, _ = fuse(need(6), offer(4), z, 0.3, CONFIG)
    high, _ = fuse(need(6), offer(8), z, 0.3, CONFIG)
    assert high - low == pytest.approx(0.15 * (1.0 - (1.0 + 1 / 3) / 2))


def test_sector_signal_same_related_unrelated_unknown() -> None:
    assert sector_affinity("ports_logistics", "ports_logistics") == 1.0
    assert sector_affinity("ports_logistics", "shipbuilding_marine") == 0.5
    assert sector_affinity("shipbuilding_marine", "ports_logistics") == 0.5
    assert sector_affinity("ports_logistics", "health") == 0.0
    assert sector_affinity("other", "other") is None and sector_affinity(None, "health") is None
    assert sector_relation("other", "other") == "same"
    field, sector, trl = field_signal(need(5, "aquaculture_fisheries"), offer(7, "health"))
    assert (field, sector, trl) == (0.5, 0.0, 1.0)
    z = CONFIG.dense_center
    same, _ = fuse(need(), offer(sector="aquaculture_fisheries"), z, 0.3, CONFIG)
    related, _ = fuse(need(), offer(sector="agriculture_food"), z, 0.3, CONFIG)
    unrelated, _ = fuse(need(), offer(sector="health"), z, 0.3, CONFIG)
    assert same - related == pytest.approx(0.15 * 0.25)
    assert related - unrelated == pytest.approx(0.15 * 0.25)


class _NoTerms:
    """An explanation source with no tokens or terms: only the field reasons remain."""

    def tokens_of(self, posting_id: int) -> list[str]:
        return []

    def surface(self, posting_id: int, token: str) -> str:
        return token

    def terms_of(self, posting_id: int) -> list[str]:
        return []

    def term_vector(self, term: str) -> None:
        return None

    def phrases(self, posting: Posting, compute: bool = True) -> PostingPhrases | None:
        return PostingPhrases([], np.zeros((0, 4), np.float32))

    def idf(self, kind: str, token: str) -> float:
        return 0.0

    def correct(self, vectors, language):  # type: ignore[no-untyped-def]
        return vectors

    def encode(self, texts):  # type: ignore[no-untyped-def]
        raise AssertionError("no sentences without with_sentences")


def test_reasons_follow_the_same_trl_and_sector_rules() -> None:
    def reasons(n: Posting, o: Posting):  # type: ignore[no-untyped-def]
        return explain_pair(_NoTerms(), n, o, {})

    low = reasons(need(6, "ports_logistics"), offer(4, "shipbuilding_marine"))
    assert low.disagreements == ["offer TRL 4 below the TRL 6 the need accepts"]
    assert any(a.startswith("related sectors:") for a in low.agreements)
    ok = reasons(need(6, "ports_logistics"), offer(6, "health"))
    assert "offer TRL 6 meets the TRL 6 the need accepts" in ok.agreements
    assert any(d.startswith("sector differs:") for d in ok.disagreements)
    same = reasons(need(None, "health", "vi"), offer(None, "health", "en"))
    assert same.agreements[0].startswith("same sector:")
    assert same.agreements[-1].startswith("cross-language pair (vi→en)")
    assert not same.disagreements and same.language_pair == "vi-en"
