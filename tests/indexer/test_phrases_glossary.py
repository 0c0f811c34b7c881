"""Glossary terms stay whole in a posting's phrases (issue 11): across a stop word, across
the segmenter's word boundaries and beyond ``MAX_WORDS``, never through a place name; and
the same-language link rule (abbreviations, synonyms that each add a word)."""

from __future__ import annotations

import numpy as np

from indexer.features import prepare
from indexer.phrases import MAX_WORDS, Phrase, PostingPhrases, extract_phrases, fold
from indexer.postings import Posting
from indexer.reasons import glossary_links
from vocabulary.glossary import glossary


def _texts(posting: Posting) -> list[str]:
    return [p.text for p in extract_phrases(prepare(posting))]


def test_a_glossary_term_across_a_stop_word_or_longer_than_max_words_is_one_phrase() -> None:
    settlement = Posting(
        1121,
        "offer",
        "Quan trắc lún nền đất yếu",
        "Cảm biến áp lực nước lỗ rỗng lắp trong nền đắp, báo cáo theo ca cho chủ hàng.",
    )
    texts = _texts(settlement)
    assert len(fold("áp lực nước lỗ rỗng").split()) > MAX_WORDS
    assert "áp lực nước lỗ rỗng" in texts
    assert "chủ hàng" in texts  # "chủ" is a Vietnamese stop word
    assert "theo ca" in texts
    assert glossary().same_concept("áp lực nước lỗ rỗng", "pore water pressure")


def test_english_glossary_terms_keep_their_generic_words() -> None:
    text = "See electricity use of every machine in real time."
    need = Posting(70, "need", "Electricity use", text)
    texts = _texts(need)
    assert "electricity use" in texts and "in real time" in texts
    assert "use" not in texts and "in" not in texts


def test_a_place_name_still_cuts_a_glossary_term() -> None:
    # "đảo chuyển" (rehandling) is a glossary term, but here "đảo" ends "Côn Đảo"
    posting = Posting(5, "offer", "Du lịch", "Tour ra Côn Đảo chuyển khách bằng tàu cao tốc.")
    assert glossary().concepts_of("đảo chuyển")
    assert "đảo chuyển" not in _texts(posting)
    moved = Posting(6, "offer", "Bãi", "Giảm đảo chuyển trong bãi container.")
    assert "đảo chuyển" in _texts(moved)


def _phrases(*texts: str) -> PostingPhrases:
    phrases = [Phrase(t, fold(t), tuple(fold(t).split()), False, i) for i, t in enumerate(texts)]
    return PostingPhrases(phrases, np.eye(len(texts), 8, dtype=np.float32))


def _pairs(links: list[dict[str, object]]) -> set[tuple[object, object]]:
    return {(x["need"], x["offer"]) for x in links}


def test_same_language_synonyms_each_adding_a_word_link_a_term_inside_the_other_not() -> None:
    need = _phrases("chèo thuyền", "kho", "bệnh", "vị trí kệ")
    offer = _phrases("chèo kayak", "kho bãi", "dịch bệnh", "bin location")
    links = glossary_links(need, offer, True, set(), set())
    assert _pairs(links) == {("chèo thuyền", "chèo kayak"), ("vị trí kệ", "bin location")}


def test_same_language_abbreviation_first_and_a_shared_term_is_not_linked_again() -> None:
    need = _phrases("recirculating aquaculture", "pharmacies")
    offer = _phrases("water recirculation", "RAS", "pharmacy chains")
    shared = {"recirculating", "aquaculture"}
    links = glossary_links(need, offer, True, set(shared), set(shared))
    assert _pairs(links) == {("recirculating aquaculture", "RAS")}
