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


def test_saved_examples_are_scored_per_part_with_the_judgements_file(tmp_path: Path) -> None:
    from indexer.evaluation.devset import DevSet
    from indexer.evaluation.reasons_eval import format_reasons, score_examples
    from indexer.postings import Posting

    (tmp_path / "term_links.jsonl").write_text(
        '{"need": 1, "offer": 1001, "shared": [], "linked": [["tàu cá", "fishing boats"]]}\n'
        '{"need": 2, "offer": 1002, "shared": ["HACCP"], "linked": []}\n',
        encoding="utf-8",
    )
    (tmp_path / "term_judgements.jsonl").write_text(
        '{"need": 1, "offer": 1001, "link": ["tàu cá", "fishing vessel"], "accept": true}\n',
        encoding="utf-8",
    )
    (tmp_path / "split.tsv").write_text("need_id\tpart\n1\theldout\n2\ttune\n", encoding="utf-8")
    devset = DevSet(
        needs=[
            Posting(1, "need", "a", "a", language="vi"),
            Posting(2, "need", "b", "b", language="en"),
        ],
        offers=[
            Posting(1001, "offer", "c", "c", language="en"),
            Posting(1002, "offer", "d", "d", language="en"),
        ],
        qrels={},
        tags={},
    )
    examples = [
        {"pair": "1-1001", "shared": ["hòa"], "linked": [["tàu cá", "fishing vessel"]]},
        {"pair": "2-1002", "shared": ["HACCP"], "linked": []},
    ]
    result = score_examples(examples, devset, tmp_path)
    held = result["heldout"]
    assert held["precision"] == 0.0 and held["judged_precision"] == 0.5 and held["unjudged"] == 1
    assert held["link_recall"] == 0.0
    assert result["tune"]["judged_precision"] == result["tune"]["precision"] == 1.0
    assert result["cross_language"]["pairs"] == 1
    lines = format_reasons(result)
    assert (
        lines[5]
        == "| heldout | 1 | 2 (1 + 1) | 0.000 / 0.500 | 0.000 / 0.000 | 0.000 / 1.000 | 1 | 0.000 |"
    )
