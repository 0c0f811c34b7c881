"""Linked terms from the glossary: translations of each other across languages, longest
first, never "x ≈ x", never generic words, one link per concept."""

from __future__ import annotations

import numpy as np

from indexer.phrases import Phrase, PostingPhrases, fold
from indexer.reasons import glossary_links, is_generic, linked_phrases


def _phrases(*texts: str) -> PostingPhrases:
    phrases = [
        Phrase(t, fold(t), tuple(fold(t).split()), False, position)
        for position, t in enumerate(texts)
    ]
    vectors = np.eye(len(texts), 8, dtype=np.float32)
    return PostingPhrases(phrases, vectors)


def _pairs(links: list[dict[str, object]]) -> set[tuple[object, object]]:
    return {(x["need"], x["offer"]) for x in links}


def test_translations_are_linked_across_languages() -> None:
    need = _phrases("oyster farm", "salinity", "dissolved oxygen", "heavy rain", "sensors")
    offer = _phrases("độ mặn", "oxy hòa tan", "khánh", "cảm biến", "mưa lớn", "hòa")
    links = linked_phrases(need, offer, same_language=False)
    assert _pairs(links) == {
        ("salinity", "độ mặn"),
        ("dissolved oxygen", "oxy hòa tan"),
        ("heavy rain", "mưa lớn"),
        ("sensors", "cảm biến"),
    }
    assert all(x["by"] == "glossary" for x in links)


def test_longest_translation_first_and_parts_of_it_not_again() -> None:
    need = _phrases("xử lý nước thải", "nước thải", "xử lý")
    offer = _phrases("wastewater treatment", "wastewater", "treatment")
    links = glossary_links(need, offer, False, set(), set())
    assert _pairs(links) == {("xử lý nước thải", "wastewater treatment")}


def test_no_same_word_link_no_generic_link_and_same_language_needs_an_abbreviation() -> None:
    need = _phrases("OCR", "phần mềm", "XLNT", "kho")
    offer = _phrases("ocr", "software", "xử lý nước thải", "kho bãi")
    links = glossary_links(need, offer, False, set(), set())
    assert _pairs(links) == {("XLNT", "xử lý nước thải"), ("kho", "kho bãi")}
    same = glossary_links(need, offer, True, set(), set())
    assert _pairs(same) == {("XLNT", "xử lý nước thải")}  # "kho ≈ kho bãi" shares a word


def test_a_term_written_with_diacritics_keeps_them() -> None:
    need = _phrases("đo", "vỏ")  # "measure", "shell": not "DO", not "vò" (rolling)
    offer = _phrases("DO", "rolling")
    assert glossary_links(need, offer, False, set(), set()) == []


def test_generic_phrases() -> None:
    assert is_generic(tuple(fold("hệ thống quản lý").split()))
    assert is_generic(("system",))
    assert not is_generic(tuple(fold("quản lý khai thác cảng").split()))


def test_vector_links_only_when_the_rule_turns_them_on() -> None:
    from indexer.reasons import LinkRule

    texts_need = ["quy trình ủ chượp", "blue widget", "red gadget", "green gizmo"]
    texts_offer = ["fish paste ageing", "cyan sprocket", "crimson doohickey", "olive thing"]
    vectors = np.eye(4, 8, dtype=np.float32)
    need = PostingPhrases(_phrases(*texts_need).phrases, vectors)
    offer = PostingPhrases(_phrases(*texts_offer).phrases, vectors.copy())
    assert linked_phrases(need, offer, False) == []  # the default: glossary links only
    on = linked_phrases(need, offer, False, rule=LinkRule(vectors=True, margin=0.1, cosine=0.5))
    assert ("quy trình ủ chượp", "fish paste ageing") in _pairs(on)
    assert all(x["by"] == "vectors" for x in on)
