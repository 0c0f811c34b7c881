"""Run the whole evaluation and print it as markdown tables."""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from indexer.engine import EngineConfig
from indexer.evaluation.bitext import evaluate_bitext
from indexer.evaluation.devset import DEFAULT_DEVSET, load_devset
from indexer.evaluation.ranking import evaluate_ranking, systems

if TYPE_CHECKING:
    from models import EmbeddingModel


def run_evaluation(
    model: EmbeddingModel,
    devset_dir: Path | None = None,
    bitext_dir: Path | None = None,
    segmentation: bool = True,
) -> dict[str, Any]:
    """Ranking metrics per system (and with segmented embedding input), plus bitext accuracy."""
    started = time.perf_counter()
    devset = load_devset(devset_dir or DEFAULT_DEVSET)
    configs = systems()
    if segmentation:
        segmented = dataclasses.replace(EngineConfig(), segment_for_embedding=True)
        for name, config in systems(segmented).items():
            if name in ("dense_corrected", "hybrid"):
                configs[f"{name}+segmented"] = config
    report: dict[str, Any] = {
        "model": model.name,
        "devset": {
            "needs": len(devset.needs),
            "offers": len(devset.offers),
            "judgements": sum(len(v) for v in devset.qrels.values()),
        },
        "ranking": evaluate_ranking(model, devset, configs),
    }
    if bitext_dir is not None and Path(bitext_dir).is_dir():
        report["bitext"] = evaluate_bitext(model, Path(bitext_dir))
    report["seconds"] = round(time.perf_counter() - started, 1)
    return report


def format_report(report: dict[str, Any]) -> str:
    """Markdown tables of a report from :func:`run_evaluation`."""
    lines = [f"model: {report['model']}  devset: {report['devset']}", ""]
    lines.append(
        "| system | nDCG@10 | Recall@10 | MRR | cross-lingual nDCG@10 | no-good silent | "
        "grade-2 served |"
    )
    lines.append("|---|---|---|---|---|---|---|")
    for name, r in report["ranking"].items():
        o, c, rec = r["overall"], r["cross_lingual_only"], r["recommend"]
        lines.append(
            f"| {name} | {o.get('ndcg@10', 0):.3f} | {o.get('recall@10', 0):.3f} | "
            f"{o.get('mrr', 0):.3f} | {c.get('ndcg@10', 0):.3f} | "
            f"{rec['no_good_offer_without_recommendation']:.2f} | "
            f"{rec['grade2_needs_with_a_relevant_recommendation']:.2f} |"
        )
    if "bitext" in report:
        lines += [
            "",
            "| corpus | VI→EN raw | VI→EN corr. | EN→VI raw | EN→VI corr. | "
            "mixed VI raw | mixed VI corr. | mixed EN raw | mixed EN corr. |",
            "|---|---|---|---|---|---|---|---|---|",
        ]
        for name, b in report["bitext"].items():
            lines.append(
                f"| {name} | {b['vi2en_raw']:.3f} | {b['vi2en_corrected']:.3f} | "
                f"{b['en2vi_raw']:.3f} | {b['en2vi_corrected']:.3f} | {b['mixed_vi_raw']:.3f} | "
                f"{b['mixed_vi_corrected']:.3f} | {b['mixed_en_raw']:.3f} | "
                f"{b['mixed_en_corrected']:.3f} |"
            )
    lines.append(f"\n({report['seconds']} s)")
    return "\n".join(lines)
