"""The glossary bridge (indexer/concepts.py): concepts found in a text, the pair part."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from indexer.concepts import FULL_WEIGHT, ConceptIndex, ConceptLexicon
from indexer.engine import MatchEngine
from indexer.postings import Posting
from models import load_model
from vocabulary.glossary import Glossary, parse_glossary

TSV = """vi\ten
xử lý nước thải | XLNT\twastewater treatment
độ mặn\tsalinity
oxy hòa tan\tdissolved oxygen | DO
cảm biến\tsensor
hệ thống\tsystem
"""
GLOSSARY = Glossary(parse_glossary(TSV))
WASTE, SALINITY, OXYGEN, SENSOR, SYSTEM = range(5)


def test_the_same_concept_is_found_in_either_language_and_however_typed() -> None:
    lex = ConceptLexicon(GLOSSARY)
    assert set(lex.mentions("Cần công nghệ xử lý nước thải cho KCN")) == {WASTE}
    assert set(lex.mentions("Compact wastewater treatment units")) == {WASTE}
    assert set(lex.mentions("giam sat do man, XLNT")) == {SALINITY, WASTE}  # no marks
    assert lex.mentions("Three sensors, two SENSORS") == {SENSOR: 2}  # plural, case


def test_marks_and_capitals_keep_different_words_apart() -> None:
    lex = ConceptLexicon(GLOSSARY)
    assert lex.mentions("đo mặn") == {}  # "đo" is not "độ"
    assert lex.mentions("what do you offer") == {}  # the acronym DO only in capitals
    assert lex.mentions("DO and pH probes") == {OXYGEN: 1}
    assert lex.mentions("đo oxy hòa tan") == {OXYGEN: 1}


def posting(pid: int, kind: str, text: str, language: str) -> Posting:
    return Posting(id=pid, kind=kind, title=text, description="", language=language)  # type: ignore[arg-type]


def test_the_pair_part_weighs_rare_concepts_more_and_follows_writes() -> None:
    index = ConceptIndex(GLOSSARY, full_weight=0.0)  # the plain share
    index.reset(
        [
            posting(1, "need", "Hệ thống xử lý nước thải, giám sát độ mặn", "vi"),
            posting(2, "offer", "Wastewater treatment system", "en"),
            posting(3, "offer", "Salinity monitoring system", "en"),
            posting(4, "offer", "ERP system", "en"),
            posting(5, "offer", "Wastewater treatment plant design", "en"),
        ]
    )
    assert index.df[SYSTEM] == 4 and index.idf(SYSTEM) < index.idf(SALINITY)
    assert index.pair_score(1, 4) == pytest.approx(
        index.idf(SYSTEM) / sum(index.idf(c) for c in (SYSTEM, WASTE, SALINITY))
    )
    # salinity (2 postings) is rarer than wastewater treatment (3): it weighs more
    assert 0.0 < index.pair_score(1, 4) < index.pair_score(1, 2) < index.pair_score(1, 3) < 1.0
    assert index.shared(1, 2) == [WASTE, SYSTEM]  # the rarest first
    index.sync([2, 4], {2: posting(2, "offer", "Salinity sensor", "en")})
    assert index.df[SYSTEM] == 2 and index.concepts(4) == {} and index.pair_score(1, 4) == 0.0
    assert set(index.concepts(2)) == {SALINITY, SENSOR}


def test_a_need_with_little_concept_weight_gets_a_proportionally_smaller_share() -> None:
    pool = [
        posting(1, "need", "Giám sát độ mặn", "vi"),  # one concept: little weight
        posting(2, "need", "Hệ thống xử lý nước thải, giám sát độ mặn, cảm biến", "vi"),
        posting(3, "offer", "Salinity monitoring", "en"),
        posting(4, "offer", "ERP system", "en"),
    ]
    plain, scaled = ConceptIndex(GLOSSARY, full_weight=0.0), ConceptIndex(GLOSSARY)
    plain.reset(pool)
    scaled.reset(pool)
    assert plain.pair_score(1, 3) == 1.0  # the whole share for one shared concept
    weight = plain.idf(SALINITY)
    assert weight < FULL_WEIGHT
    assert scaled.pair_score(1, 3) == pytest.approx(weight / FULL_WEIGHT)
    heavy = ConceptIndex(GLOSSARY, full_weight=weight)  # weight reached: the share in full
    heavy.reset(pool)
    assert heavy.pair_score(1, 3) == 1.0
    assert scaled.pair_score(2, 3) / plain.pair_score(2, 3) == pytest.approx(
        min(1.0, sum(plain.idf(c) for c in plain.concepts(2)) / FULL_WEIGHT)
    )


def test_the_engine_gives_every_pair_its_concept_part_and_keeps_it_current() -> None:
    engine = MatchEngine(load_model("hashing"))
    need = Posting(
        id=1,
        kind="need",
        title="Xử lý nước thải",
        description="Cần hệ thống xử lý nước thải cho nhà máy dệt nhuộm.",
        language="vi",
    )
    offer = Posting(
        id=2,
        kind="offer",
        title="Wastewater treatment",
        description="Membrane wastewater treatment for textile dyeing plants.",
        language="en",
    )
    other = Posting(
        id=3, kind="offer", title="ERP", description="Accounting software.", language="en"
    )
    engine.upsert([need, offer, other])
    parts = dict(zip((2, 3), engine.pair_parts([(1, 2), (1, 3)]), strict=True))
    assert parts[2]["concept"] > 0.0 and parts[3]["concept"] == 0.0
    engine.upsert([dataclasses.replace(offer, title="ERP", description="Accounting software.")])
    assert engine.pair_parts([(1, 2)])[0]["concept"] == 0.0
    engine.delete([2])
    assert len(engine.concepts) == 2


def test_the_fitted_fusion_reads_the_part_and_its_cross_language_copy() -> None:
    from indexer.fusion import FEATURES, fusion_features

    same = dict(zip(FEATURES, fusion_features({"concept": 0.4}, False), strict=True))
    cross = dict(zip(FEATURES, fusion_features({"concept": 0.4}, True), strict=True))
    assert same["concept"] == cross["concept"] == cross["concept_cross"] == 0.4
    assert same["concept_cross"] == 0.0


def test_a_saved_engine_keeps_the_concepts_without_reading_the_texts_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = MatchEngine(load_model("hashing"))
    need = Posting(
        id=1,
        kind="need",
        title="Xử lý nước thải",
        description="Cần xử lý nước thải.",
        language="vi",
    )
    offer = Posting(
        id=2,
        kind="offer",
        title="Wastewater treatment",
        description="Membrane units.",
        language="en",
    )
    engine.upsert([need, offer])
    before = engine.pair_parts([(1, 2)])[0]["concept"]
    assert before > 0.0
    engine.save(tmp_path)

    def never(*_args: object, **_kwargs: object) -> dict[int, int]:
        raise AssertionError("a posting's text was read again at load")

    monkeypatch.setattr("indexer.concepts.posting_mentions", never)
    loaded = MatchEngine.load(tmp_path, load_model("hashing"))
    assert loaded.pair_parts([(1, 2)])[0]["concept"] == pytest.approx(before)
    assert loaded.concepts.concepts(2) == engine.concepts.concepts(2)


def test_saved_concepts_of_another_glossary_are_read_again(tmp_path: Path) -> None:
    engine = MatchEngine(load_model("hashing"))
    posting = Posting(id=1, kind="need", title="XLNT", description="độ mặn", language="vi")
    engine.upsert([posting])
    arrays = engine.concepts.to_arrays()
    other = ConceptIndex(GLOSSARY)
    assert not other.restore(arrays, {1: posting})  # another glossary's fingerprint
    assert engine.concepts.restore(arrays, {1: posting})
    extra = dataclasses.replace(posting, id=2, title="wastewater treatment")
    assert engine.concepts.restore(arrays, {1: posting, 2: extra})  # one saved, one read
    assert engine.concepts.concepts(2) and len(engine.concepts) == 2


GATES = Glossary(
    parse_glossary(
        "vi\ten\ncổng tự động | cổng\tautomatic gate | gate\ncân\tweighing\ntôm\tshrimp\n"
    )
)
GATE, WEIGHING, SHRIMP = range(3)


def test_a_word_written_bare_names_an_accented_term_only_in_text_typed_without_marks() -> None:
    from indexer.concepts import posting_mentions

    def found(text: str, language: str) -> set[int]:
        return set(posting_mentions(posting(1, "need", text, language), GATES))

    assert found("Cái dĩa bị cong rồi.", "vi") == set()  # "cong" (bent) is not "cổng"
    assert found("Tom can speak English like a native.", "en") == set()  # not "tôm", "cân"
    assert found("Tom có vẻ bối rối.", "vi") == set()  # a name amid marked words
    assert found("Lắp cổng tự động và trạm cân", "vi") == {GATE, WEIGHING}
    assert found("lap cong tu dong va tram can cho cang", "vi") == {GATE, WEIGHING}  # no marks
    assert found("Automatic gate for the port", "en") == {GATE}


def test_saved_mentions_carry_the_matcher_version() -> None:
    import hashlib

    from indexer.concepts import MATCHER

    index = ConceptIndex(GATES)
    lines = "\n".join("\t".join((*c.vi, "|", *c.en)) for c in GATES.concepts)
    assert MATCHER > 1  # mentions an index saved before the bare-word rule are read again
    assert index.fingerprint() != hashlib.sha1(lines.encode("utf-8")).hexdigest()
