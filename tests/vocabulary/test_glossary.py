"""The VI ↔ EN glossary: the data file parses, lookups fold case, diacritics, hyphens and
English plurals, and every concept joins different terms."""

from __future__ import annotations

from vocabulary.glossary import Concept, Glossary, glossary, glossary_key, parse_glossary


def test_the_packaged_glossary_has_hundreds_of_concepts_in_both_languages() -> None:
    terms = glossary()
    assert len(terms) >= 400
    both = [c for c in terms.concepts if c.vi and c.en]
    assert len(both) >= 0.9 * len(terms)


def test_lookups_fold_case_diacritics_hyphens_and_plurals() -> None:
    terms = glossary()
    assert "salinity" in terms.translations("Độ mặn")
    assert terms.translations("DO MAN") == ["salinity"]  # unaccented, upper case
    assert "dissolved oxygen" in terms.translations("oxy hòa tan")
    assert "cảm biến" in terms.translations("Sensors")
    assert terms.same_concept("xử lý nước thải", "XLNT")
    assert terms.same_concept("KCN", "industrial park")
    assert terms.same_concept("pan firing", "sao chè")
    assert glossary_key("Pan-Firing") == glossary_key("pan firing")


def test_a_term_is_never_its_own_translation_and_unrelated_terms_are_not_linked() -> None:
    terms = glossary()
    assert not terms.same_concept("salinity", "Salinity")
    assert not terms.same_concept("sensor", "sensors")
    assert not terms.same_concept("độ mặn", "dissolved oxygen")
    assert terms.concepts_of("no such technology term") == frozenset()


def test_parse_skips_comments_header_and_blank_lines() -> None:
    text = "# comment\nvi\ten\n\nđộ mặn | độ muối\tsalinity\nnước thải\twastewater | effluent\n"
    concepts = parse_glossary(text)
    assert concepts == [
        Concept(("độ mặn", "độ muối"), ("salinity",)),
        Concept(("nước thải",), ("wastewater", "effluent")),
    ]
    small = Glossary(concepts)
    assert small.translations("Độ muối") == ["độ mặn", "salinity"]


def test_every_line_of_the_data_file_is_well_formed() -> None:
    for concept in glossary().concepts:
        assert len(concept.terms) >= 2, concept
        assert all(t == t.strip() and "\t" not in t for t in concept.terms), concept


def test_sector_terms_of_the_dev_set_link_across_languages() -> None:
    terms = glossary()
    assert terms.same_concept("tổng nitơ", "total nitrogen")
    assert terms.same_concept("bùn hoạt tính", "activated sludge")
    assert terms.same_concept("áp lực nước lỗ rỗng", "pore water pressure")
    assert terms.same_concept("hạt bạc bụng", "chalky grains")
    assert terms.same_concept("lệnh giao vỏ", "release orders")
    assert not terms.same_concept("tổng nitơ", "total phosphorus")
    assert not terms.same_concept("hút ẩm", "moist")  # a desiccant absorbs, it is not moist
