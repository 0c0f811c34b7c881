"""The reasons measure: matching rules and counts are computed from what is shown."""

from indexer.evaluation.reasons_eval import LabelledPair, score_pair, term_matches


def test_fragment_is_not_a_term() -> None:
    assert not term_matches("hòa", "oxy hòa tan")
    assert term_matches("oxy hòa tan", "Oxy hòa tan")
    assert term_matches("nước thải chế biến", "nước thải")


def test_counts_follow_what_is_shown() -> None:
    pair = LabelledPair(1, 1001, ["tos"], [("độ mặn", "salinity")])
    good = score_pair(pair, ["TOS"], [("độ mặn", "salinity")])
    assert good == {"shown": 2, "accepted": 2, "expected_links": 1, "found_links": 1}
    bad = score_pair(pair, ["hòa"], [("ocr", "ocr")])
    assert bad["accepted"] == 0 and bad["found_links"] == 0


def test_reason_rules() -> None:
    from indexer.reasons import _fold, _in_place, _is_fragment

    assert _fold("Hòa") == _fold("hoa") and _fold("OCR") == _fold("ocr")
    assert _is_fragment("số") and _is_fragment("hóa") and not _is_fragment("nước thải")
    assert _in_place("hòa") and _in_place("Hải Phòng") and not _in_place("độ mặn")
