"""``techmatch match``: posting ids as numbers or with their kind, clear errors otherwise."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from indexer.cli import app, parse_posting_id, read_labelled_postings

ROWS = [
    {"id": "n1", "kind": "need", "title": "Cảnh báo sớm bệnh tôm",
     "description": "Phát hiện sớm bệnh tôm trong ao nuôi bằng cảm biến."},
    {"id": "o1", "kind": "offer", "title": "Cảm biến cảnh báo bệnh tôm",
     "description": "Hệ thống cảm biến cảnh báo sớm bệnh tôm trong ao."},
    {"id": "offer:34", "kind": "offer", "title": "Container stacking optimiser",
     "description": "Software that optimises container stacking in yards."},
]  # fmt: skip


def write(tmp_path: Path, rows: list[dict[str, object]]) -> Path:
    path = tmp_path / "postings.jsonl"
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("value", "kind", "expected"),
    [(12, "need", 12), ("12", "offer", 12), ("n12", "need", 12), ("O34", "offer", 34),
     ("need:12", "need", 12), ("offer-34", "offer", 34), (" o 7 ", "offer", 7)],
)  # fmt: skip
def test_posting_ids_as_numbers_or_with_their_kind(value: object, kind: str, expected: int):
    assert parse_posting_id(value, kind, 1) == expected


@pytest.mark.parametrize(
    ("value", "kind", "message"),
    [("x12", "need", "not a posting id"), ("n", "need", "not a posting id"),
     ("12.5", "need", "not a posting id"), ("o3", "need", "names an offer but kind is 'need'"),
     (True, "need", "not a posting id")],
)  # fmt: skip
def test_other_ids_are_refused_with_the_row(value: object, kind: str, message: str) -> None:
    with pytest.raises(typer.BadParameter, match=message) as raised:
        parse_posting_id(value, kind, 7)
    assert "row 7" in str(raised.value)


def test_colliding_numbers_are_renumbered_by_row_and_keep_their_labels(tmp_path: Path) -> None:
    postings, labels = read_labelled_postings(write(tmp_path, ROWS))
    assert [p.id for p in postings] == [1, 2, 3]
    assert labels == {1: "n1", 2: "o1", 3: "offer:34"}
    plain, plain_labels = read_labelled_postings(
        write(tmp_path, [{**ROWS[0], "id": 5}, {**ROWS[1], "id": "o9"}])
    )
    assert [p.id for p in plain] == [5, 9] and plain_labels == {5: "5", 9: "o9"}


def test_match_command_prints_text_ids(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TECHMATCH_MODEL", "hashing")
    runner = CliRunner()
    result = runner.invoke(app, ["match", str(write(tmp_path, ROWS)), "--top", "2"])
    assert result.exit_code == 0, result.output
    assert "NEED n1: Cảnh báo sớm bệnh tôm" in result.output
    assert "offer o1: Cảm biến cảnh báo bệnh tôm" in result.output
    as_json = runner.invoke(app, ["match", str(write(tmp_path, ROWS)), "--json"])
    line = json.loads(as_json.output.strip().splitlines()[-1])
    assert line["need_id"] == "n1"
    assert line["matches"][0]["offer_id"] == "o1" and line["matches"][0]["pair_id"] == "n1-o1"


def test_match_command_reports_a_bad_id_without_a_traceback(tmp_path: Path) -> None:
    rows = [{**ROWS[0], "id": "n1"}, {**ROWS[1], "id": "n2"}]
    result = CliRunner().invoke(app, ["match", str(write(tmp_path, rows)), "--model", "hashing"])
    assert result.exit_code == 2
    assert "row 2: id 'n2' names a need but kind is 'offer'" in result.output
    assert not isinstance(result.exception, ValueError)
