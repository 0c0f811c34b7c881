"""The sentence part of the score: best-aligned sentence pair of two long postings."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from indexer.bias import l2_normalize
from indexer.engine import MatchEngine
from indexer.features import evidence_sentences, prepare
from indexer.postings import Posting
from indexer.scoring import FusionConfig, best_aligned_cosine, fuse, sentence_signal

NEED = Posting(
    id=1,
    kind="need",
    title="Nâng cấp trang trại tôm",
    description=(
        "Công ty chúng tôi có 20 ha ao nuôi tôm thẻ chân trắng ở Tiên Lãng. "
        "Chúng tôi cần cảm biến đo oxy hòa tan liên tục trong ao và cảnh báo qua điện thoại "
        "khi oxy xuống thấp. Ngân sách khoảng 500 triệu đồng, triển khai trong năm nay."
    ),
    language="vi",
)
RELATED = Posting(
    id=2,
    kind="offer",
    title="Aquaculture monitoring kit",
    description=(
        "Our institute has built a low-cost IoT kit for fish and shrimp farms. "
        "A dissolved oxygen sensor measures the pond continuously and sends an alarm to the "
        "farmer's phone when oxygen drops. The kit runs on solar power."
    ),
    language="en",
)
UNRELATED = Posting(
    id=3,
    kind="offer",
    title="Port gate software",
    description=(
        "We offer software for container terminals. "
        "Trucks book a time slot at the port gate and drivers get their queue number by SMS. "
        "It reduces traffic jams around the port."
    ),
    language="en",
)


def test_best_aligned_cosine_needs_two_long_postings() -> None:
    rows = l2_normalize(np.eye(3, 4, dtype=np.float32))
    assert best_aligned_cosine(rows[:1], rows) is None
    assert best_aligned_cosine(rows, rows[:1]) is None
    assert best_aligned_cosine(rows[:2], rows[1:]) == pytest.approx(1.0)


def test_weight_zero_is_todays_score_and_a_weight_adds_the_part() -> None:
    need, offer = prepare(NEED), prepare(RELATED)
    today = FusionConfig()
    assert today.sentence_weight == 0.0
    base, parts = fuse(need, offer, 2.0, 0.1, today)
    assert fuse(need, offer, 2.0, 0.1, today, sentence=1.0) == (base, {**parts, "sentence": 1.0})
    weighted = dataclasses.replace(today, sentence_weight=0.3)
    assert fuse(need, offer, 2.0, 0.1, weighted)[0] == pytest.approx(base)
    assert fuse(need, offer, 2.0, 0.1, weighted, sentence=1.0)[0] > base
    assert fuse(need, offer, 2.0, 0.1, weighted, sentence=0.0)[0] < base
    assert sentence_signal(None, weighted) is None


@pytest.mark.model
def test_the_matching_sentence_pair_aligns_across_languages(e5_model) -> None:
    engine = MatchEngine(e5_model)
    engine.upsert([NEED, RELATED, UNRELATED])
    vectors = {}
    for posting_id in (1, 2, 3):
        posting = engine.get(posting_id)
        assert posting is not None
        texts = evidence_sentences(posting)
        assert len(texts) == 3
        language = posting.language or "other"
        vectors[posting_id] = engine.bias.correct(e5_model.encode(texts), [language] * 3)
    related = best_aligned_cosine(vectors[1], vectors[2])
    unrelated = best_aligned_cosine(vectors[1], vectors[3])
    assert related is not None and unrelated is not None
    assert related > unrelated + 0.05
    sims = vectors[1] @ vectors[2].T
    assert np.unravel_index(sims.argmax(), sims.shape) == (1, 1)  # the oxygen sentences
    config = dataclasses.replace(FusionConfig(), sentence_weight=0.2)
    z_related = engine.bias.z(1, "en", related)
    z_unrelated = engine.bias.z(1, "en", unrelated)
    signal_related = sentence_signal(z_related, config)
    signal_unrelated = sentence_signal(z_unrelated, config)
    assert signal_related is not None and signal_unrelated is not None
    assert signal_related > signal_unrelated
