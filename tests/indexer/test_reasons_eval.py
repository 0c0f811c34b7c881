"""The reasons measure: matching rules and counts are computed from what is shown."""

from indexer.evaluation.reasons_eval import LabelledPair, score_pair, term_matches


def test_fragment_is_not_a_term() -> None:
    assert not term_matches("hòa", "oxy hòa tan")
    assert term_matches("oxy hòa tan", "Oxy hòa tan")
    assert term_matches("nước thải chế biến", "nước thải")


def test_counts_follow_what_is_shown() -> None:
    pair = LabelledPair(1, 1001, ["tos"], [("độ mặn", "salinity")])
    good = score_pair(pair, ["TOS"], [("độ mặn", "salinity")])
    assert good == {
        "shown": 2,
        "accepted": 2,
        "shown_shared": 1,
        "accepted_shared": 1,
        "shown_linked": 1,
        "accepted_linked": 1,
        "expected_links": 1,
        "found_links": 1,
    }
    bad = score_pair(pair, ["hòa", "TOS"], [("ocr", "ocr")])
    assert bad["accepted"] == bad["accepted_shared"] == 1 and bad["accepted_linked"] == 0
    assert bad["found_links"] == 0


def test_summary_splits_precision_of_shared_and_linked_terms() -> None:
    from indexer.evaluation.reasons_eval import _summary

    pair = LabelledPair(1, 1001, ["tos"], [("độ mặn", "salinity"), ("nước thải", "wastewater")])
    counts = [score_pair(pair, ["TOS", "hòa"], [("độ mặn", "salinity")])]
    summary = _summary(counts)
    assert summary["shared_precision"] == 0.5 and summary["linked_precision"] == 1.0
    assert summary["precision"] == round(2 / 3, 3) and summary["link_recall"] == 0.5


def test_reason_rules() -> None:
    from indexer.reasons import _fold, _in_place, _is_fragment

    assert _fold("Hòa") == _fold("hoa") and _fold("OCR") == _fold("ocr")
    assert _is_fragment("số") and _is_fragment("hóa") and not _is_fragment("nước thải")
    assert _in_place("hòa") and _in_place("Hải Phòng") and not _in_place("độ mặn")
