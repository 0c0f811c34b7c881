"""Run the whole evaluation and print it as markdown tables.

The report is a list of sections (:class:`ReportSection`): each computes its part of the
JSON report from an :class:`EvalContext` and formats it as markdown lines. ``SECTIONS`` is
the default list; a new measurement adds a section there rather than editing the others.
Ranking figures come per split part, held-out first (``data/devset/split.tsv``).
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from indexer.engine import EngineConfig
from indexer.evaluation.abstention import AbstentionSection
from indexer.evaluation.bitext import evaluate_bitext
from indexer.evaluation.devset import (
    DEFAULT_DEVSET,
    DevSet,
    load_devset,
    read_split,
    split_parts,
)
from indexer.evaluation.levers import alignment_grid, sentence_grid
from indexer.evaluation.ranking import evaluate_ranking_by_part, systems
from indexer.evaluation.reasons_eval import ReasonsSection
from indexer.evaluation.unaccented import UnaccentedSection

if TYPE_CHECKING:
    from models import EmbeddingModel


@dataclass
class EvalContext:
    """What every section may use: the model, the dev set and its parts, options."""

    model: EmbeddingModel
    devset: DevSet
    parts: dict[str, DevSet]
    bitext_dir: Path | None = None
    segmentation: bool = True
    options: dict[str, Any] = field(default_factory=dict)


class ReportSection(Protocol):
    """One part of the report: ``compute`` returns JSON-able data (``None``: skipped),
    ``format`` turns that data into markdown lines."""

    key: str

    def compute(self, ctx: EvalContext) -> Any | None: ...

    def format(self, data: Any) -> list[str]: ...


class RankingSection:
    """nDCG@10, Recall@10, MRR, cross-lingual nDCG@10 and the recommendation figures per
    system, one table per split part (held-out, tune, all)."""

    key = "ranking"

    def compute(self, ctx: EvalContext) -> dict[str, dict[str, dict[str, Any]]]:
        configs = systems()
        if ctx.segmentation:
            segmented = dataclasses.replace(EngineConfig(), segment_for_embedding=True)
            for name, config in systems(segmented).items():
                if name in ("dense_corrected", "hybrid"):
                    configs[f"{name}+segmented"] = config
        return evaluate_ranking_by_part(ctx.model, ctx.devset, ctx.parts, configs)

    def format(self, data: dict[str, dict[str, dict[str, Any]]]) -> list[str]:
        lines: list[str] = []
        part_names = list(next(iter(data.values())).keys()) if data else []
        for part in part_names:
            first = next(iter(data.values()))[part]
            lines += [
                f"#### {part} ({first['overall'].get('needs', 0)} needs scored, "
                f"{first['cross_lingual_only'].get('needs', 0)} cross-lingual-only, "
                f"{first['recommend']['no_good_offer_needs']} without a good offer)",
                "",
                "| system | nDCG@10 | Recall@10 | MRR | cross-lingual nDCG@10 | no-good silent | "
                "grade-2 served |",
                "|---|---|---|---|---|---|---|",
            ]
            for name, by_part in data.items():
                r = by_part[part]
                o, c, rec = r["overall"], r["cross_lingual_only"], r["recommend"]
                lines.append(
                    f"| {name} | {o.get('ndcg@10', 0):.3f} | {o.get('recall@10', 0):.3f} | "
                    f"{o.get('mrr', 0):.3f} | {c.get('ndcg@10', 0):.3f} | "
                    f"{rec['no_good_offer_without_recommendation']:.2f} | "
                    f"{rec['grade2_needs_with_a_relevant_recommendation']:.2f} |"
                )
            lines.append("")
        return lines


class BitextSection:
    """Bitext retrieval accuracy (raw and bias-corrected), when a bitext folder is given."""

    key = "bitext"

    def compute(self, ctx: EvalContext) -> dict[str, dict[str, float]] | None:
        if ctx.bitext_dir is None or not Path(ctx.bitext_dir).is_dir():
            return None
        return evaluate_bitext(ctx.model, Path(ctx.bitext_dir))

    def format(self, data: dict[str, dict[str, float]]) -> list[str]:
        lines = [
            "| corpus | VI→EN raw | VI→EN corr. | EN→VI raw | EN→VI corr. | "
            "mixed VI raw | mixed VI corr. | mixed EN raw | mixed EN corr. |",
            "|---|---|---|---|---|---|---|---|---|",
        ]
        for name, b in data.items():
            lines.append(
                f"| {name} | {b['vi2en_raw']:.3f} | {b['vi2en_corrected']:.3f} | "
                f"{b['en2vi_raw']:.3f} | {b['en2vi_corrected']:.3f} | {b['mixed_vi_raw']:.3f} | "
                f"{b['mixed_vi_corrected']:.3f} | {b['mixed_en_raw']:.3f} | "
                f"{b['mixed_en_corrected']:.3f} |"
            )
        return lines + [""]


def _lever_rows(grid: dict[str, dict[str, dict[str, float]]], name: str) -> list[str]:
    """One row per setting: nDCG@10 / cross-lingual nDCG@10 per split part."""
    part_names = list(next(iter(grid.values())).keys()) if grid else []
    lines = [
        f"| {name} | " + " | ".join(f"{p} nDCG@10 (cross)" for p in part_names) + " |",
        "|---" * (len(part_names) + 1) + "|",
    ]
    for setting, by_part in grid.items():
        cells = [f"{m['ndcg@10']:.3f} ({m['cross_ndcg@10']:.3f})" for m in by_part.values()]
        lines.append(f"| {setting} | " + " | ".join(cells) + " |")
    return lines + [""]


class AlignmentSection:
    """The VI → EN map's strength (0: centering alone), hybrid system per split part, and
    the bitext mixed pools with the same map (fitted on ``data/parallel/``)."""

    key = "alignment"

    def compute(self, ctx: EvalContext) -> dict[str, Any]:
        limit = int(ctx.options.get("bitext_limit", 0))
        return alignment_grid(ctx.model, ctx.devset, ctx.parts, ctx.bitext_dir, bitext_limit=limit)

    def format(self, data: dict[str, Any]) -> list[str]:
        lines = ["#### lever: VI→EN map strength (hybrid)", ""]
        lines += _lever_rows(data["devset"], "strength")
        for corpus, by_strength in data.get("bitext", {}).items():
            cells = ", ".join(
                f"{s}: {v['mixed_vi']:.3f}/{v['mixed_en']:.3f}" for s, v in by_strength.items()
            )
            lines.append(f"{corpus} mixed pool top-1 VI/EN by strength: {cells}")
        return lines + [""]


class SentenceSection:
    """The sentence part's weight (0: today's score), hybrid system per split part."""

    key = "sentence_part"

    def compute(self, ctx: EvalContext) -> dict[str, dict[str, dict[str, float]]]:
        return sentence_grid(ctx.model, ctx.devset, ctx.parts)

    def format(self, data: dict[str, dict[str, dict[str, float]]]) -> list[str]:
        return ["#### lever: sentence part weight (hybrid)", "", *_lever_rows(data, "weight")]


SECTIONS: list[ReportSection] = [
    RankingSection(),
    AbstentionSection(),
    UnaccentedSection(),
    BitextSection(),
    ReasonsSection(),
    AlignmentSection(),
    SentenceSection(),
]


def run_evaluation(
    model: EmbeddingModel,
    devset_dir: Path | None = None,
    bitext_dir: Path | None = None,
    segmentation: bool = True,
    sections: list[ReportSection] | None = None,
    options: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The JSON report: model, dev set sizes, the split, then one entry per section."""
    started = time.perf_counter()
    directory = Path(devset_dir or DEFAULT_DEVSET)
    devset = load_devset(directory)
    parts = split_parts(devset, read_split(directory))
    options = {"devset_dir": directory, **(options or {})}
    ctx = EvalContext(model, devset, parts, bitext_dir, segmentation, options)
    report: dict[str, Any] = {
        "model": model.name,
        "devset": {
            "needs": len(devset.needs),
            "offers": len(devset.offers),
            "judgements": sum(len(v) for v in devset.qrels.values()),
        },
        "split": {part: len(ds.needs) for part, ds in parts.items()},
    }
    for section in SECTIONS if sections is None else sections:
        data = section.compute(ctx)
        if data is not None:
            report[section.key] = data
    report["seconds"] = round(time.perf_counter() - started, 1)
    return report


def format_report(report: dict[str, Any], sections: list[ReportSection] | None = None) -> str:
    """Markdown of a report from :func:`run_evaluation`, section by section."""
    lines = [
        f"model: {report['model']}  devset: {report['devset']}  split: {report.get('split')}",
        "",
    ]
    for section in SECTIONS if sections is None else sections:
        if section.key in report:
            lines += section.format(report[section.key])
    lines.append(f"({report['seconds']} s)")
    return "\n".join(lines)
