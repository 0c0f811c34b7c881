"""The development-set files pass their validator, and the validator catches broken files."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

DATA = Path(__file__).resolve().parents[2] / "data"
CHECK = DATA / "devset" / "check.py"
FILES = ("needs.jsonl", "offers.jsonl", "qrels.tsv", "split.tsv", "term_links.jsonl")


def run_check(*args: str | Path) -> subprocess.CompletedProcess[str]:
    """Run check.py with ``args``; returns the finished process (text output)."""
    return subprocess.run(
        [sys.executable, str(CHECK), *map(str, args)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.fixture
def copy(tmp_path: Path) -> Path:
    """A writable copy of data/devset and data/parallel; returns the devset copy."""
    devset = tmp_path / "devset"
    devset.mkdir()
    for name in FILES:
        shutil.copy(DATA / "devset" / name, devset / name)
    shutil.copytree(DATA / "parallel", tmp_path / "parallel")
    return devset


def test_shipped_files_pass_every_check() -> None:
    done = run_check()
    assert done.returncode == 0, done.stdout
    assert done.stdout.rstrip().endswith("OK")
    assert "Split (needs)" in done.stdout
    assert "Term links" in done.stdout
    assert "Parallel pairs" in done.stdout


def test_split_option_checks_only_the_split() -> None:
    done = run_check("--split")
    assert done.returncode == 0, done.stdout
    assert "Split (needs)" in done.stdout
    assert "Term links" not in done.stdout


def test_split_is_reproducible_from_its_seed() -> None:
    sys.path.insert(0, str(DATA / "devset"))
    try:
        from split import make_split
    finally:
        sys.path.pop(0)
    needs = [json.loads(line) for line in (DATA / "devset" / "needs.jsonl").open(encoding="utf-8")]
    rows = (DATA / "devset" / "split.tsv").read_text(encoding="utf-8").splitlines()[1:]
    shipped = {int(a): b for a, b in (row.split("\t") for row in rows)}
    assert shipped == make_split(needs)
    assert set(shipped.values()) == {"tune", "heldout"}


def test_bad_grade_duplicate_and_unknown_ids_are_errors(copy: Path) -> None:
    with (copy / "qrels.tsv").open("a", encoding="utf-8") as fh:
        fh.write("1\t1001\t2\n")  # judged twice
        fh.write("2\t1002\t3\n")  # grade out of range (and judged twice)
        fh.write("999\t1001\t1\n")  # unknown need
    done = run_check("--split", copy)
    assert done.returncode == 1
    assert "pair 1-1001 judged twice" in done.stdout
    assert "grade must be 0, 1 or 2" in done.stdout
    assert "unknown need 999" in done.stdout


def test_tag_that_disagrees_with_judgements_is_an_error(copy: Path) -> None:
    lines = (copy / "qrels.tsv").read_text(encoding="utf-8").splitlines()
    kept = [line for line in lines if not line.startswith("56\t1101\t")]  # 56's only good offer
    (copy / "qrels.tsv").write_text("\n".join(kept) + "\n", encoding="utf-8")
    done = run_check("--split", copy)
    assert done.returncode == 1
    assert "need 56: no_good_offer tag disagrees with judgements" in done.stdout


def test_split_missing_or_unbalanced_is_an_error(copy: Path) -> None:
    rows = (copy / "split.tsv").read_text(encoding="utf-8").splitlines()
    body = [r.replace("heldout", "tune") for r in rows[1:]]
    (copy / "split.tsv").write_text("\n".join([rows[0], *body[:-1]]) + "\n", encoding="utf-8")
    done = run_check("--split", copy)
    assert done.returncode == 1
    assert "needs missing [101]" in done.stdout
    assert "(want halves ±1)" in done.stdout


def test_term_link_not_in_the_texts_is_an_error(copy: Path) -> None:
    with (copy / "term_links.jsonl").open("a", encoding="utf-8") as fh:
        row = {"need": 1, "offer": 1001, "shared": ["tàu ngầm"], "linked": [["TOS", "tos"]]}
        fh.write(json.dumps(row, ensure_ascii=False) + "\n")
        row = {"need": 1, "offer": 1003, "shared": ["container"], "linked": []}
        fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    done = run_check("--term-links", copy)
    assert done.returncode == 1
    assert "shared term 'tàu ngầm' is not used in both texts" in done.stdout
    assert "are the same word" in done.stdout
    assert "pair 1-1003 is not judged grade 1 or 2" in done.stdout


def test_place_and_organisation_names_do_not_count_as_term_use() -> None:
    sys.path.insert(0, str(DATA / "devset"))
    try:
        from check import posting_text, uses
    finally:
        sys.path.pop(0)
    row = {
        "title": "Quan trắc độ mặn tại Khánh Hòa",
        "description": "Phao đo oxy hòa tan cho Công ty Số Hóa Biển.",
        "keywords": ["độ mặn"],
        "organization": "Công ty Số Hóa Biển",
    }
    text = posting_text(row)
    assert uses(text, "oxy hòa tan") and uses(text, "độ mặn")
    assert not uses(text, "khánh hòa")
    assert not uses(text, "số hóa")  # only in the organisation's name
    assert not uses(text, "ox")  # whole words only


def test_parallel_pair_with_wrong_language_is_an_error(copy: Path) -> None:
    path = copy.parent / "parallel" / "pairs.jsonl"
    first = json.loads(path.read_text(encoding="utf-8").splitlines()[0])
    bad = {"id": 10_000, "sector": "energy", "vi": first["en"], "en": first["vi"]}
    with path.open("a", encoding="utf-8") as fh:
        fh.write(json.dumps(bad, ensure_ascii=False) + "\n")
    done = run_check("--pairs", copy)
    assert done.returncode == 1
    assert "vi text has no Vietnamese letters" in done.stdout
    assert "en text has Vietnamese letters" in done.stdout
    assert "ids should run" in done.stdout


def test_set_below_the_size_targets_is_an_error(copy: Path) -> None:
    # The first version of the set (needs 1-55, offers 1001-1100) is too small now.
    needs = (copy / "needs.jsonl").read_text(encoding="utf-8").splitlines()[:55]
    offers = (copy / "offers.jsonl").read_text(encoding="utf-8").splitlines()[:100]
    qrels = (copy / "qrels.tsv").read_text(encoding="utf-8").splitlines()
    kept = [qrels[0]] + [
        r for r in qrels[1:] if int(r.split("\t")[0]) <= 55 and int(r.split("\t")[1]) <= 1100
    ]
    (copy / "needs.jsonl").write_text("\n".join(needs) + "\n", encoding="utf-8")
    (copy / "offers.jsonl").write_text("\n".join(offers) + "\n", encoding="utf-8")
    (copy / "qrels.tsv").write_text("\n".join(kept) + "\n", encoding="utf-8")
    done = run_check("--split", copy)
    assert done.returncode == 1
    assert "55 needs (want at least 100)" in done.stdout
    assert "100 offers (want at least 170)" in done.stdout
    assert "tag no_good_offer: 11 needs (want at least 24)" in done.stdout
    assert "tag cross_lingual_only: 12 needs (want at least 30)" in done.stdout
