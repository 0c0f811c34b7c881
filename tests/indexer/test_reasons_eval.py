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
