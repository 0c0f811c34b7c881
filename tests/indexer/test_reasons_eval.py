"""The reasons measure: matching rules and counts are computed from what is shown."""

from pathlib import Path

from indexer.evaluation.reasons_eval import Judgements, LabelledPair, score_pair, term_matches


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
        "judged_accepted": 2,
        "judged_accepted_shared": 1,
        "judged_accepted_linked": 1,
        "unjudged": 0,
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


def _judgements(tmp_path: Path, rows: list[str]) -> Judgements:
    from indexer.evaluation.reasons_eval import read_judgements

    path = tmp_path / "term_judgements.jsonl"
    path.write_text("# blind verdicts\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return read_judgements(path)


def test_judged_accepted_terms_count_and_unjudged_terms_do_not(tmp_path: Path) -> None:
    judged = _judgements(
        tmp_path,
        [
            '{"need": 1, "offer": 1001, "link": ["tàu cá", "Fishing vessels"], "accept": true}',
            '{"need": 1, "offer": 1001, "term": "hòa", "accept": false}',
            '{"need": 1, "offer": 1001, "term": "ao nuôi", "accept": true}',
            '{"need": 2, "offer": 1002, "term": "bệnh viện", "accept": true}',
        ],
    )
    pair = LabelledPair(1, 1001, ["tos"], [("tàu cá", "fishing boats")])
    shown_links = [("tàu cá", "fishing vessel"), ("ocr", "ocr")]
    counts = score_pair(pair, ["TOS", "hòa", "ao nuôi", "bệnh viện"], shown_links, judged)
    # labels alone: only TOS; "tàu cá ≈ fishing vessel" is not the expected "fishing boats"
    assert counts["accepted"] == 1 and counts["found_links"] == 0
    # with judgements: TOS (expected), "ao nuôi" and the link (judged, plural folded);
    # "hòa" was judged and rejected; "bệnh viện" was judged only for another pair
    assert counts["judged_accepted_shared"] == 2 and counts["judged_accepted_linked"] == 1
    assert counts["judged_accepted"] == 3
    assert counts["unjudged"] == 2  # "bệnh viện" here and "ocr ≈ ocr"


def test_judgements_never_lower_the_labels_and_leave_recall_alone(tmp_path: Path) -> None:
    from indexer.evaluation.reasons_eval import _summary

    judged = _judgements(
        tmp_path, ['{"need": 1, "offer": 1001, "link": ["độ mặn", "salinity"], "accept": false}']
    )
    pair = LabelledPair(1, 1001, [], [("độ mặn", "salinity"), ("nước thải", "wastewater")])
    with_judged = score_pair(pair, [], [("độ mặn", "salinity")], judged)
    without = score_pair(pair, [], [("độ mặn", "salinity")])
    assert with_judged["judged_accepted"] == with_judged["accepted"] == 1
    assert with_judged["unjudged"] == 0 and without["unjudged"] == 0
    summary = _summary([with_judged])
    assert summary["judged_precision"] == summary["precision"] == 1.0
    assert summary["link_recall"] == 0.5
    assert _summary([without])["judged_precision"] == 1.0


def test_direction_of_a_judged_link_matters(tmp_path: Path) -> None:
    judged = _judgements(
        tmp_path, ['{"need": 1, "offer": 1001, "link": ["bệnh viện", "hospital"], "accept": true}']
    )
    pair = LabelledPair(1, 1001, [], [])
    assert score_pair(pair, [], [("hospital", "bệnh viện")], judged)["judged_accepted"] == 0
    assert score_pair(pair, [], [("Bệnh viện", "hospitals")], judged)["judged_accepted"] == 1
