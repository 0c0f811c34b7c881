"""Reasons a person would accept (issue 11): whole multi-syllable phrases, no place-name
parts, no "x ≈ x", and the reasons section of ``techmatch eval``."""

from __future__ import annotations

import numpy as np
import pytest

from indexer.engine import MatchEngine
from indexer.evaluation.devset import DEFAULT_DEVSET, load_devset, read_split, split_parts
from indexer.evaluation.reasons_eval import ReasonsSection
from indexer.evaluation.report import SECTIONS, EvalContext
from indexer.features import prepare
from indexer.phrases import Phrase, PostingPhrases, extract_phrases, fold
from indexer.postings import Posting
from indexer.reasons import LinkRule, linked_phrases
from models import load_model

OYSTER_VI = Posting(
    1105,
    "offer",
    "Phao quan trắc độ mặn, oxy hòa tan cho vùng nuôi nhuyễn thể",
    "Phao gắn cảm biến độ mặn, oxy hòa tan và nhiệt độ, gửi dữ liệu qua 4G. Đã thử "
    "nghiệm tại vùng nuôi hàu ở Quảng Ninh và Khánh Hòa.",
    ("oxy hòa tan", "độ mặn"),
)
OYSTER_EN = Posting(
    60,
    "need",
    "Oyster farm losing stock after heavy rain, need early warning on salinity",
    "We need sensors in the water that measure salinity and dissolved oxygen continuously "
    "and warn farmers by phone.",
    ("salinity", "dissolved oxygen"),
)
SHRIMP_VI = Posting(
    11,
    "need",
    "Cảnh báo sớm oxy hòa tan trong ao tôm",
    "Trại tôm ở Khánh Hòa cần xử lý nước thải và đo oxy hòa tan liên tục.",
)
WASTE_VI = Posting(
    1031,
    "offer",
    "Hệ thống xử lý nước thải chế biến thủy sản",
    "Xử lý nước thải bằng bùn hoạt tính, đo oxy hòa tan tự động, đạt cột A.",
)
OCR_EN = Posting(2, "need", "OCR at the container gate", "OCR of container numbers at gates.")
OCR_VI = Posting(1003, "offer", "Nhận dạng OCR tại cổng cảng", "Camera OCR đọc số container.")


@pytest.fixture(scope="module")
def hashing_engine() -> MatchEngine:
    engine = MatchEngine(load_model("hashing"))
    engine.upsert([SHRIMP_VI, WASTE_VI, OYSTER_VI, OYSTER_EN, OCR_EN, OCR_VI])
    return engine


def _texts(posting: Posting) -> list[str]:
    return [p.text for p in extract_phrases(prepare(posting))]


def test_vietnamese_terms_stay_whole_and_place_names_give_no_phrase() -> None:
    texts = _texts(OYSTER_VI)
    assert "oxy hòa tan" in texts and "độ mặn" in texts and "cảm biến" in texts
    folded = [fold(t).split() for t in texts]
    assert not any("khanh" in words or "ninh" in words for words in folded)
    assert "nước thải" in _texts(WASTE_VI) and "xử lý nước thải" in _texts(WASTE_VI)


def test_english_phrases_stop_at_stop_words_and_keep_acronyms() -> None:
    texts = _texts(OYSTER_EN)
    assert "dissolved oxygen" in texts and "heavy rain" in texts
    assert not any(t.split()[0] in ("the", "and", "by") for t in texts)
    assert "OCR" in _texts(OCR_EN)


def test_shared_terms_are_whole_content_phrases_never_place_parts(hashing_engine) -> None:
    reasons = hashing_engine.explain(11, 1031).reasons
    assert "xử lý nước thải" in reasons.shared_terms or "nước thải" in reasons.shared_terms
    assert any("oxy hòa tan" in term for term in reasons.shared_terms)
    assert "hòa" not in reasons.shared_terms and "thải" not in reasons.shared_terms
    oyster = hashing_engine.explain(11, 1105).reasons  # "Khánh Hòa" only on one side
    assert "hòa" not in oyster.shared_terms
    assert any("oxy hòa tan" in term for term in oyster.shared_terms)
    for term in oyster.shared_terms + reasons.shared_terms + reasons.need_terms:
        assert " " in term or not any(ord(c) > 0x7F for c in term), term  # no lone syllable


def test_a_shared_acronym_is_a_shared_term_and_never_a_link(hashing_engine) -> None:
    reasons = hashing_engine.explain(2, 1003).reasons
    assert "OCR" in reasons.shared_terms
    for link in reasons.linked_terms:
        assert fold(str(link["need"])) != fold(str(link["offer"]))


def _phrases(texts: list[str], vectors: np.ndarray) -> PostingPhrases:
    items = [Phrase(t, fold(t), tuple(fold(t).split()), False, i) for i, t in enumerate(texts)]
    return PostingPhrases(items, vectors.astype(np.float32))


def test_links_never_pair_a_term_with_itself_and_use_each_word_once() -> None:
    eye = np.eye(3)
    need = _phrases(["ocr", "salinity", "dissolved oxygen"], eye)
    offer = _phrases(["OCR", "độ mặn", "oxy hòa tan"], eye)
    rule = LinkRule(single_words=True, vectors=True)
    links = linked_phrases(need, offer, same_language=False, rule=rule)
    pairs = {(str(x["need"]), str(x["offer"])) for x in links}
    assert ("ocr", "OCR") not in pairs
    assert pairs == {("salinity", "độ mặn"), ("dissolved oxygen", "oxy hòa tan")}
    near = np.array([[0.2, 0.0, 1.0], [0.0, 0.0, 1.0], [0.0, 1.0, 0.0]])
    overlapping = _phrases(["oxygen", "dissolved oxygen", "salinity"], near)
    once = linked_phrases(overlapping, offer, same_language=False, rule=rule)
    with_oxygen = [x for x in once if "oxygen" in str(x["need"])]
    assert len(with_oxygen) == 1 and len(once) == 2  # "oxygen" is inside "dissolved oxygen"


def test_reasons_section_is_registered_and_reports_held_out_first() -> None:
    assert any(isinstance(s, ReasonsSection) for s in SECTIONS)
    devset = load_devset(DEFAULT_DEVSET)
    parts = split_parts(devset, read_split(DEFAULT_DEVSET))
    ctx = EvalContext(load_model("hashing"), devset, parts, options={})
    data = ReasonsSection().compute(ctx)
    assert data is not None
    assert list(data)[:2] == ["heldout", "tune"]
    assert data["heldout"]["pairs"] + data["tune"]["pairs"] == data["all"]["pairs"] >= 40
    assert data["cross_language"]["pairs"] >= 20
    for name in ("heldout", "tune", "all"):
        assert 0.0 <= data[name]["precision"] <= 1.0 and 0.0 <= data[name]["link_recall"] <= 1.0
    lines = ReasonsSection().format(data)
    assert lines[3].startswith("| reasons") and lines[5].startswith("| heldout")


@pytest.mark.model
def test_the_real_model_links_a_cross_language_pair(e5_model) -> None:
    devset = load_devset(DEFAULT_DEVSET)
    pair = [p for p in devset.needs + devset.offers if p.id in (2, 1003)]  # en need, vi offer
    engine = MatchEngine(e5_model)
    engine.upsert(pair)
    reasons = engine.explain(2, 1003).reasons
    links = {(str(x["need"]), str(x["offer"])) for x in reasons.linked_terms}
    assert ("container number recognition", "nhận dạng số container") in links, reasons
    assert ("container number", "số container") not in links  # inside the longer link
    assert all(fold(a) != fold(b) for a, b in links)
    assert "OCR" in reasons.shared_terms  # the same acronym is shared, not linked


def test_lists_never_wait_on_phrases_and_use_them_once_cached() -> None:
    engine = MatchEngine(load_model("hashing"))
    engine.upsert([SHRIMP_VI, WASTE_VI, OYSTER_VI])
    listed = {m.offer_id: m.reasons for m in engine.match(11)}
    assert len(engine.view.phrase_cache) == 0  # a list extracted nothing
    assert listed[1105].linked_terms == [] and "hòa" not in listed[1105].shared_terms
    engine.explain(11, 1031)  # the full explanation of one pair caches both postings
    again = {m.offer_id: m.reasons for m in engine.match(11)}
    assert any("nước thải" in t for t in again[1031].shared_terms)
    assert again[1031].shared_terms == engine.explain(11, 1031).reasons.shared_terms
