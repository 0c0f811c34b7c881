"""Vietnamese typed without diacritics: stripping, restoration, and the engine's use of it."""

from __future__ import annotations

import dataclasses

import pytest

from indexer.engine import EngineConfig, MatchEngine
from indexer.evaluation.devset import load_devset, read_split
from indexer.evaluation.unaccented import restoration_accuracy
from indexer.features import model_view, typed_without_diacritics
from indexer.postings import Posting
from models import load_model
from vocabulary.diacritics import (
    DiacriticRestorer,
    classic_tone,
    default_restorer,
    devset_texts,
    has_diacritics,
    restore_diacritics,
    strip_diacritics,
    syllables,
    written_sentences,
)


def test_strip_removes_every_mark_and_the_d_bar() -> None:
    assert strip_diacritics("Xử lý nước thải Đình Vũ") == "Xu ly nuoc thai Dinh Vu"
    assert not has_diacritics("xu ly nuoc thai") and has_diacritics("xử lý")


def test_known_phrases_are_restored() -> None:
    assert restore_diacritics("xu ly nuoc thai") == "xử lý nước thải"
    assert (
        restore_diacritics("Can cong nghe xu ly nuoc thai cho KCN, cong suat 500 m3/ngay.")
        == "Cần công nghệ xử lý nước thải cho KCN, công suất 500 m3/ngày."
    )


def test_acronyms_brand_case_and_marked_words_stay_as_typed() -> None:
    out = restore_diacritics("He thống IoT giam sat XLNT")
    assert out.startswith("Hệ thống IoT giám sát XLNT")


def test_the_context_chooses_between_accented_forms() -> None:
    """The same plain syllable gets the form its neighbours call for (trigram model)."""
    model = DiacriticRestorer.train([["bàn", "ghế", "gỗ"], ["bán", "hàng", "online"]] * 3)
    assert model.restore("ban ghe go") == "bàn ghế gỗ"
    assert model.restore("Ban hang online") == "Bán hàng online"


def test_dictionary_words_weigh_less_than_running_text() -> None:
    """A word list says which syllables go together, not how often: five dictionary entries
    at the default weight count less than one running-text occurrence (the candidate forms
    are ordered by these counts), and they add no sentence boundaries."""
    text = [["nâng", "độ", "đạm"]]
    words = [["dở", "dầm"]] * 5
    light = DiacriticRestorer.train(text, words=words, word_weight=0.1)
    assert light.forms["do"] == ["độ", "dở"] and light.uni["dở"] == pytest.approx(0.5)
    full = DiacriticRestorer.train(text, words=words, word_weight=1.0)
    assert full.forms["do"] == ["dở", "độ"]
    only_words = DiacriticRestorer.train([], words=[["màu", "cờ"]], word_weight=0.1)
    assert "<s>" not in only_words.uni and only_words.restore("mau co") == "màu cờ"


def test_the_written_sentences_are_accented_vietnamese() -> None:
    sentences = list(written_sentences())
    assert len(sentences) > 300
    marked = sum(has_diacritics(w) for s in sentences for w in s) / sum(map(len, sentences))
    assert marked > 0.6  # accented text, as written (plain-typed text would teach nothing)


def test_held_out_needs_are_never_training_text() -> None:
    heldout = {i for i, part in read_split().items() if part == "heldout"}
    texts = set(devset_texts())
    needs = [n for n in load_devset().needs if n.id in heldout and n.language == "vi"]
    assert needs and not any(n.description in t for n in needs for t in texts)


def test_restoration_accuracy_counts_syllables_and_whole_keywords() -> None:
    need = Posting(
        id=1,
        kind="need",
        title="Xử lý nước thải",
        description="Cần công nghệ xử lý nước thải",
        keywords=("xử lý nước thải", "KCN"),
        language="vi",
    )
    acc = restoration_accuracy([need])
    assert acc["syllables"] == len(syllables(need.text()))
    assert acc["accuracy"] == acc["keyword_accuracy"] == 1.0 and acc["keywords"] == 1
    assert default_restorer().known("nuoc")


def test_tone_placement_is_the_classic_one() -> None:
    assert classic_tone("hoá") == "hóa" and classic_tone("thuỷ") == "thủy"
    assert classic_tone("quý") == "quý" and classic_tone("thuyền") == "thuyền"


def _posting(pid: int, kind: str, title: str, description: str, lang: str | None) -> Posting:
    return Posting(id=pid, kind=kind, title=title, description=description, language=lang)  # type: ignore[arg-type]


def test_model_view_restores_only_plain_vietnamese() -> None:
    plain = _posting(1, "need", "Xu ly nuoc thai", "Can cong nghe xu ly nuoc thai", "vi")
    assert typed_without_diacritics(plain.text())
    assert model_view(plain).title == "Xử lý nước thải"
    assert model_view(plain, restore=False) is plain
    accented = _posting(2, "need", "Xử lý nước thải", "Cần công nghệ xử lý", "vi")
    assert model_view(accented) is accented
    english = _posting(3, "need", "Wastewater treatment", "We need a treatment plant", "en")
    assert model_view(english) is english


@pytest.mark.parametrize("restore", [True, False])
def test_an_unaccented_need_finds_the_accented_offer_through_shared_words(
    restore: bool,
) -> None:
    """With restoration the plain need shares its words with the accented offer (BM25 > 0);
    without it, no word is shared. The stored need keeps the text as typed."""
    need = _posting(
        1,
        "need",
        "Xu ly nuoc thai che bien thuy san",
        "Cong ty can he thong xu ly nuoc thai cho nha may che bien thuy san",
        None,
    )
    offers = [
        _posting(
            1001,
            "offer",
            "Hệ thống xử lý nước thải chế biến thủy sản",
            "Công nghệ xử lý nước thải cho nhà máy chế biến thủy sản, chi phí thấp",
            "vi",
        ),
        _posting(
            1002,
            "offer",
            "Phần mềm quản lý khách sạn",
            "Đặt phòng trực tuyến, quản lý buồng và hóa đơn cho khách sạn",
            "vi",
        ),
    ]
    config = dataclasses.replace(EngineConfig(), restore_diacritics=restore)
    engine = MatchEngine(load_model("hashing"), config)
    engine.upsert([need, *offers])
    stored = engine.get(1)
    assert stored is not None and stored.language == "vi" and stored.title == need.title
    top = engine.match(1, limit=2, with_reasons=False)
    assert top[0].offer_id == 1001 or not restore
    assert (top[0].components["lexical"] > 0.5) == restore
