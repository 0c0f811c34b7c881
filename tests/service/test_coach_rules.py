"""The coach's rules, each against postings that should and should not trigger it."""

from __future__ import annotations

from typing import Any

import numpy as np

from indexer.store import PostingStore
from indexer.term_usage import counterpart_vocabulary, fold, term_usage
from service.coach import Draft, coach
from service.coach.completeness import has_budget, has_place, has_quantity, has_timeline
from service.coach.messages import MESSAGES
from service.coach.reach import distinctive_terms
from service.coach.registry import CODES
from service.coach.vocabulary import eligible_term
from service.matching import Posting
from service.textutil import fold as fold_text
from vocabulary.glossary import Glossary, parse_glossary

FULL_NEED_VI = Draft(
    kind="need",
    title="Hệ thống cảnh báo sớm dịch bệnh tôm",
    description="Hợp tác xã nuôi 40 ao tôm thẻ chân trắng ở Tiên Lãng cần cảm biến oxy hòa "
    "tan, pH và độ mặn gửi cảnh báo qua điện thoại khi vượt ngưỡng. Ngân sách khoảng 800 "
    "triệu đồng, cần triển khai trong vòng 6 tháng trước vụ nuôi tới. Ưu tiên thiết bị "
    "chạy bằng năng lượng mặt trời, dễ bảo trì, có phần mềm tiếng Việt cho người nuôi.",
    language="vi",
)
BARE_NEED_EN = Draft(
    kind="need",
    title="Better shrimp farming",
    description="We want a modern smart solution to improve our business and the quality of "
    "our products with better technology and support from an innovative company.",
    language="en",
)


def codes(draft: Draft) -> list[str]:
    return [h.code for h in coach(draft, None)]


def test_a_complete_need_gets_no_completeness_or_text_hint() -> None:
    assert codes(FULL_NEED_VI) == []


def test_a_bare_need_misses_every_fact_and_is_vague() -> None:
    hints = coach(BARE_NEED_EN, None)
    assert [h.code for h in hints] == [
        "need_quantity",
        "need_place",
        "need_budget",
        "need_timeline",
        "description_short",
    ]
    assert {h.field for h in hints} == {"description", "province"}
    assert all(h.message.isascii() for h in hints)  # English posting, English messages


def test_fact_detectors_read_folded_text_with_and_without_diacritics() -> None:
    def folded(text: str) -> str:
        return f" {fold_text(text)} "

    assert has_quantity(folded("khoảng 12.000 TEU mỗi năm")) and has_quantity(folded("5 tan/ngay"))
    assert not has_quantity(folded("cần giải pháp tốt"))
    assert has_budget(folded("ngân sách dưới 3 tỷ đồng")) and has_budget(folded("up to $50,000"))
    assert not has_budget(folded("giảm chi phí vận hành"))  # cutting costs is not a budget
    assert has_timeline(folded("trong vong 6 thang")) and has_timeline(folded("by 2027"))
    assert not has_timeline(folded("hệ thống quản lý kho"))
    assert has_place(folded("nhà máy tại KCN Đình Vũ"), None)
    assert has_place(folded("nhà máy"), "Hải Phòng")
    assert has_place(folded("Homestay ở Cát Bà, gần bến tàu"), None)  # punctuation ignored
    assert not has_place(folded("quản lý chất lượng tính toán"), None)  # "quan", "tinh" ≠ places


def test_an_offer_without_trl_ip_status_or_transfer_mode() -> None:
    offer = Draft(
        kind="offer",
        title="Cảm biến oxy hòa tan cho ao nuôi",
        description=FULL_NEED_VI.description,
        language="vi",
    )
    hints = coach(offer, None)
    assert [(h.code, h.field) for h in hints] == [
        ("offer_trl", "trl"),
        ("offer_ip_status", "ip_status"),
        ("offer_transfer_mode", "transfer_modes"),
    ]
    assert "sở hữu trí tuệ" in hints[1].message  # Vietnamese posting, Vietnamese message
    complete = Draft(
        kind="offer",
        title=offer.title,
        description=offer.description,
        trl=7,
        ip_status="patent_granted",
        transfer_modes=("licence",),
        language="vi",
    )
    assert codes(complete) == []


def test_vague_is_measured_by_distinct_and_generic_terms() -> None:
    filler = " ".join(["giải pháp công nghệ hiện đại hiệu quả cho doanh nghiệp"] * 6)
    vague = Draft(kind="need", title="Cần giải pháp", description=filler, language="vi")
    assert "description_vague" in codes(vague)
    assert "description_vague" not in codes(FULL_NEED_VI)


def test_every_code_has_both_messages() -> None:
    assert set(MESSAGES) == set(CODES)
    assert all(set(m) == {"vi", "en"} for m in MESSAGES.values())


def _store(terms: dict[int, tuple[str, list[str], str]], vectors: dict[str, list[float]]) -> Any:
    store = PostingStore(3)
    for posting_id, (text, keys, language) in terms.items():
        store.put(Posting(posting_id, "offer", title=text, description="", language=language))
        store.terms[posting_id] = keys
    for term, vector in vectors.items():
        v = np.asarray(vector, dtype=np.float32)
        store.term_vectors[term] = v / np.linalg.norm(v)
    return store


def test_term_usage_counts_users_links_and_offers_nearest_words() -> None:
    store = _store(
        {
            1: ("Heat pump dryer for fruit", ["heat pump dryer"], "en"),
            2: ("Máy sấy bơm nhiệt cho trái cây", ["máy sấy bơm nhiệt"], "vi"),
            3: ("Solar dryer for fruit", ["solar dryer"], "en"),
        },
        {
            "heat pump dryer": [1, 0.0, 0],
            "máy sấy bơm nhiệt": [1, 0.05, 0],
            "solar dryer": [1, 0.3, -0.6],
        },
    )
    vocabulary = counterpart_vocabulary(store, [1, 2, 3])
    query = np.asarray([[1, 0.0, 0], [1, 0.45, 0.3], [0, 0, 1]], dtype=np.float32)
    query /= np.linalg.norm(query, axis=1, keepdims=True)
    uses = term_usage(["Fruit", "sấy lạnh", "xyz"], query, vocabulary, language="vi")
    assert uses[0].users == 2 and uses[0].instead == []  # in two texts (case ignored)
    assert uses[1].users == 0
    assert uses[1].instead[0] == "máy sấy bơm nhiệt"  # same language first, then by cosine
    assert uses[1].instead == ["máy sấy bơm nhiệt", "heat pump dryer"]  # solar: too far
    assert uses[1].from_glossary == 0  # no glossary given: all nearest key terms
    assert uses[2].users == 0 and uses[2].instead == []  # nothing close enough
    linked = term_usage(["bơm nhiệt sấy"], query[:1], vocabulary)
    assert linked[0].users == 1  # another word for the same thing counts as used
    near_only = counterpart_vocabulary(store, [1, 2, 3], near={1})
    assert term_usage(["sấy lạnh"], query[1:2], near_only)[0].instead == ["heat pump dryer"]
    assert fold("Đảo chuyển") == " dao chuyen "


def test_distinctive_terms_are_what_the_need_lacks_most_shared_first() -> None:
    offers = [
        (["heat pump dryer", "dried fruit", "energy saving"], set()),
        (["heat pump dryer", "mango", "energy saving"], {"mango"}),
        (["solar panel"], set()),
    ]
    terms = distinctive_terms("We dry fruit to save energy; dried fruit sells well", offers)
    assert terms == ["heat pump dryer", "energy saving", "solar panel"]


def test_eligible_terms_skip_places_fragments_and_tiny_words() -> None:
    assert eligible_term("bơm nhiệt") and eligible_term("dryer")
    assert not eligible_term("hải phòng") and not eligible_term("sấy")
    assert not eligible_term("ai") and not eligible_term("2025")


def test_term_usage_suggests_the_glossary_terms_counterparts_write_first() -> None:
    """An unused term whose glossary concept has other terms that counterparts write gets
    those first (the posting's language first), even when no key term is near by cosine;
    glossary terms nobody writes are not suggested."""
    glossary = Glossary(
        parse_glossary(
            "bãi container | bãi cảng\tcontainer yard | container terminal yard\n"
            "máy sấy lạnh\tcold dryer\n"
        )
    )
    store = _store(
        {
            1: ("Cho thuê bãi cảng tại Hải Phòng", ["bãi cảng"], "vi"),
            2: ("Container yard automation", ["yard automation"], "en"),
            3: ("Solar dryer for fruit", ["solar dryer"], "en"),
        },
        {"bãi cảng": [0, 1.0, 0], "yard automation": [0, 0.6, 0.8], "solar dryer": [1, 0, 0]},
    )
    vocabulary = counterpart_vocabulary(store, [1, 2, 3])
    query = np.asarray([[0, 0, 1.0], [0, 0, 1.0]], dtype=np.float32)  # near no key term
    uses = term_usage(
        ["bãi container", "máy sấy lạnh"], query, vocabulary, language="vi", glossary=glossary
    )
    assert uses[0].users == 0
    assert uses[0].instead == ["bãi cảng", "container yard"]  # written by 1 and 2; vi first
    assert uses[0].from_glossary == 2  # both are the glossary's, none a nearest key term
    english = term_usage(["bãi container"], query[:1], vocabulary, "en", glossary=glossary)
    assert english[0].instead == ["container yard", "bãi cảng"]
    assert uses[1].instead == []  # "cold dryer": in the glossary, but nobody writes it
    # without the glossary: only key terms near by cosine (none here)
    assert term_usage(["bãi container"], query[:1], vocabulary, "vi")[0].instead == []
