"""Integration tests with the real default model (multilingual-e5-small), all offline."""

from __future__ import annotations

from pathlib import Path

import pytest

from indexer.engine import MatchEngine
from indexer.evaluation.bitext import evaluate_bitext
from indexer.evaluation.devset import DEFAULT_DEVSET, load_devset
from indexer.evaluation.ranking import evaluate_ranking, systems
from indexer.postings import Posting

pytestmark = pytest.mark.model

BITEXT = Path(__file__).resolve().parents[3] / "shared" / "data" / "bitext"


@pytest.fixture(scope="module")
def devset_report(e5_model):
    return evaluate_ranking(e5_model, load_devset(DEFAULT_DEVSET), systems())


def test_hybrid_beats_every_single_signal_on_the_devset(devset_report):
    hybrid = devset_report["hybrid"]["overall"]["ndcg@10"]
    for name in ("bm25", "dense_raw", "dense_corrected"):
        assert hybrid > devset_report[name]["overall"]["ndcg@10"], name


def test_cross_lingual_needs_rank_as_well_as_the_rest(devset_report):
    hybrid = devset_report["hybrid"]
    assert hybrid["cross_lingual_only"]["needs"] >= 10
    gap = hybrid["overall"]["ndcg@10"] - hybrid["cross_lingual_only"]["ndcg@10"]
    assert gap <= 0.05


def test_recommended_flag_separates_needs_with_and_without_a_good_offer(devset_report):
    rec = devset_report["hybrid"]["recommend"]
    # The grown dev set (issue 15) has 25 needs with no good offer. The hand-set rule (score
    # >= 0.40) left 8 of them silent and recommended a grade-2 offer to 0.8 of the matched needs;
    # the fitted fusion's rule (probability >= 0.74, no reciprocity, chosen on the tuning
    # part's out-of-fold scores by the smaller of the two shares, the middle of the equally good
    # thresholds) balances them: on the whole set 0.88 silent, 0.89 grade-2
    # (benchmarks/fit_fusion.py; p >= 0.75 gave 0.88 / 0.87; the former p >= 0.95 gave
    # 0.96 / 0.70). These floors hold that balance: neither share may fall further.
    assert rec["no_good_offer_needs"] >= 24
    assert rec["no_good_offer_without_recommendation"] >= 0.80
    assert rec["grade2_needs_with_a_relevant_recommendation"] >= 0.85


def test_bias_correction_fixes_the_mixed_pool(e5_model):
    if not BITEXT.is_dir():
        pytest.skip(f"bitext not found at {BITEXT}")
    row = evaluate_bitext(e5_model, BITEXT, corpora=("tatoeba.vie-eng",), limit=300)[
        "tatoeba.vie-eng"
    ]
    assert row["mixed_vi_raw"] < 0.6
    assert row["mixed_vi_corrected"] >= row["mixed_vi_raw"] + 0.2
    assert row["vi2en_corrected"] >= row["vi2en_raw"]


def test_vietnamese_need_finds_its_english_offer_over_vietnamese_distractors(e5_model):
    pool = [
        Posting(
            1,
            "need",
            "Cảnh báo sớm dịch bệnh cho ao nuôi tôm",
            "Trang trại cần hệ thống đo oxy hòa tan, pH và amoni trong ao tôm để cảnh báo "
            "sớm nguy cơ dịch bệnh.",
            language=None,
        ),
        Posting(
            101,
            "offer",
            "Early disease warning for shrimp ponds",
            "Sensors measure dissolved oxygen, pH and ammonia in shrimp ponds and warn farmers "
            "of disease risk two days ahead.",
        ),
        Posting(
            102,
            "offer",
            "Thức ăn công nghiệp cho tôm thẻ",
            "Thức ăn viên cho tôm thẻ chân trắng giúp tôm lớn nhanh trong ao nuôi.",
        ),
        Posting(
            103,
            "offer",
            "Phần mềm kế toán cho hợp tác xã",
            "Phần mềm kế toán đơn giản cho hợp tác xã nông nghiệp và thủy sản.",
        ),
        Posting(
            104, "offer", "Vỏ tàu composite", "Vỏ tàu cá bằng vật liệu composite bền nước mặn."
        ),
        Posting(105, "offer", "Ship hull coating", "Antifouling paint that protects ship hulls."),
    ]
    engine = MatchEngine(e5_model)
    engine.upsert(pool)
    top = engine.match(1, limit=3)
    assert top[0].offer_id == 101
    reasons = engine.explain(1, 101).reasons
    # the shared measurement "pH" is named; phrase links are shown only when their vectors
    # agree by the margin chosen on the tune part — e5-small's vectors of bare phrases rarely
    # do ("oxy hòa tan" ≈ "dissolved oxygen" is missed: README, Reasons), and never x ≈ x
    assert "pH" in reasons.shared_terms
    for link in reasons.linked_terms:
        assert str(link["need"]).casefold() != str(link["offer"]).casefold()
