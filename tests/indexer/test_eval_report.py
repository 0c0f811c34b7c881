"""``techmatch eval``'s report: split parts held-out first, pluggable sections."""

from __future__ import annotations

from typing import Any

from indexer.evaluation.devset import DEFAULT_DEVSET, load_devset, read_split, split_parts
from indexer.evaluation.report import (
    SECTIONS,
    EvalContext,
    RankingSection,
    format_report,
    run_evaluation,
)
from models import load_model


def test_split_parts_come_held_out_first_and_cover_the_split() -> None:
    devset = load_devset(DEFAULT_DEVSET)
    split = read_split(DEFAULT_DEVSET)
    parts = split_parts(devset, split)
    assert list(parts) == ["heldout", "tune", "all"]
    held, tune = {n.id for n in parts["heldout"].needs}, {n.id for n in parts["tune"].needs}
    assert not held & tune
    assert held | tune == {n.id for n in devset.needs}
    assert len(parts["all"].offers) == len(parts["heldout"].offers) == len(devset.offers)


class CountingSection:
    """A section of another measurement, plugged in without editing the others."""

    key = "needs_counted"

    def compute(self, ctx: EvalContext) -> dict[str, int]:
        return {part: len(ds.needs) for part, ds in ctx.parts.items()}

    def format(self, data: dict[str, Any]) -> list[str]:
        return [f"counted: {data['heldout']} held-out needs"]


def test_report_prints_held_out_before_tune_and_all_and_runs_plugged_sections() -> None:
    sections = [RankingSection(), CountingSection()]
    report = run_evaluation(load_model("hashing"), segmentation=False, sections=sections)
    assert list(report["ranking"]["hybrid"]) == ["heldout", "tune", "all"]
    assert report["needs_counted"]["heldout"] == report["split"]["heldout"] > 0
    text = format_report(report, sections)
    assert text.index("#### heldout") < text.index("#### tune") < text.index("#### all")
    assert "counted: " in text
    assert "bitext" not in report  # no bitext folder given
    assert {s.key for s in SECTIONS} >= {"ranking", "bitext"}
