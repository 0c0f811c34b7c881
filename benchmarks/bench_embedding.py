"""Embedding backends compared: throughput (sentences/s) and quality change.

For each backend of ``models.load_model`` (``torch`` fp32, ``onnx`` fp32, ``onnx-int8``):

* throughput on short texts (titles of the development set plus the probe texts of
  ``models/probe_texts.py``) and on paragraphs (the full title + description of every
  development-set posting), median of ``--repeats`` runs after one warm-up batch;
* quality: dev-set nDCG@10 of the hybrid system (``indexer.evaluation.ranking``) and
  the bitext mixed-pool accuracy, corrected, VI and EN queries
  (``indexer.evaluation.bitext``, Tatoeba; ``--quick`` keeps the first 300 lines);
* cosine agreement of each backend's vectors with torch's on the paragraphs.

Each backend runs in a fresh process (``--in-process`` measures all in one): torch's
idle OpenMP threads slow down an onnxruntime session that follows in the same process.
Writes ``benchmarks/results/embedding.json`` and prints a markdown table.

    python benchmarks/bench_embedding.py [--quick] [--repeats 3]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from indexer.evaluation.bitext import evaluate_bitext  # noqa: E402
from indexer.evaluation.devset import load_devset  # noqa: E402
from indexer.evaluation.ranking import evaluate_ranking, systems  # noqa: E402
from models import load_model  # noqa: E402
from models.probe_texts import ENGLISH, VIETNAMESE  # noqa: E402

BACKENDS = ("torch", "onnx", "onnx-int8")
BITEXT_DIR = ROOT.parent / "shared" / "data" / "bitext"
RESULT = ROOT / "benchmarks" / "results" / "embedding.json"


def _load_average() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def _throughput(model: Any, texts: list[str], repeats: int) -> dict[str, float]:
    model.encode(texts[:8])  # warm-up
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        model.encode(texts, batch_size=32)
        times.append(time.perf_counter() - started)
    median = statistics.median(times)
    return {
        "texts": len(texts),
        "median_s": round(median, 3),
        "min_s": round(min(times), 3),
        "sentences_per_s": round(len(texts) / median, 1),
    }


def run(quick: bool, repeats: int, cache: Path | None, backends: tuple[str, ...]) -> dict:
    """Measure every backend; returns the report written to embedding.json."""
    devset = load_devset()
    postings = devset.needs + devset.offers
    short = [p.title for p in postings] + list(ENGLISH) + list(VIETNAMESE)
    paragraphs = [p.text() for p in postings]
    hybrid = {"hybrid": systems()["hybrid"]}
    limit = 300 if quick else 0
    report: dict[str, Any] = {
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "load_average_start": _load_average(),
        },
        "quick": quick,
        "repeats": repeats,
        "backends": {},
    }
    reference = None
    for backend in backends:
        started = time.perf_counter()
        model = load_model(cache_dir=cache, backend=backend)
        row: dict[str, Any] = {"load_s": round(time.perf_counter() - started, 1)}
        row["load_average"] = _load_average()
        row["short"] = _throughput(model, short, repeats)
        row["paragraph"] = _throughput(model, paragraphs, repeats)
        vectors = model.encode(paragraphs)
        if reference is None:  # torch's vectors: after the timing, so torch cannot disturb it
            reference = (
                vectors
                if backend == "torch"
                else load_model(cache_dir=cache, backend="torch").encode(paragraphs)
            )
        cosines = (vectors * reference).sum(axis=1)
        row["cosine_vs_torch"] = {
            "min": round(float(cosines.min()), 5),
            "median": round(float(statistics.median(cosines.tolist())), 5),
        }
        ranking = evaluate_ranking(model, devset, hybrid)["hybrid"]["overall"]
        row["hybrid_ndcg@10"] = round(ranking["ndcg@10"], 4)
        row["hybrid_recall@10"] = round(ranking["recall@10"], 4)
        if BITEXT_DIR.is_dir():
            bitext = evaluate_bitext(model, BITEXT_DIR, ("tatoeba.vie-eng",), limit=limit)
            b = bitext["tatoeba.vie-eng"]
            row["bitext"] = {
                "pairs": int(b["pairs"]),
                "mixed_vi_corrected": round(b["mixed_vi_corrected"], 4),
                "mixed_en_corrected": round(b["mixed_en_corrected"], 4),
                "vi2en_raw": round(b["vi2en_raw"], 4),
            }
        report["backends"][backend] = row
        print(f"{backend}: {json.dumps(row)}", file=sys.stderr, flush=True)
    base = report["backends"].get("torch")
    if base:
        for row in report["backends"].values():
            row["speedup_short"] = round(
                row["short"]["sentences_per_s"] / base["short"]["sentences_per_s"], 2
            )
            row["speedup_paragraph"] = round(
                row["paragraph"]["sentences_per_s"] / base["paragraph"]["sentences_per_s"], 2
            )
            row["ndcg_change"] = round(row["hybrid_ndcg@10"] - base["hybrid_ndcg@10"], 4)
    report["machine"]["load_average_end"] = _load_average()
    return report


def format_table(report: dict) -> str:
    """Markdown table of a report from :func:`run`."""
    lines = [
        "| backend | short s/s | paragraph s/s | speed-up short / para | cos vs torch (min) | "
        "hybrid nDCG@10 | Δ nDCG | bitext mixed VI / EN corr. |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name, r in report["backends"].items():
        b = r.get("bitext", {})
        lines.append(
            f"| {name} | {r['short']['sentences_per_s']} | {r['paragraph']['sentences_per_s']} | "
            f"{r.get('speedup_short', '')}× / {r.get('speedup_paragraph', '')}× | "
            f"{r['cosine_vs_torch']['min']} | {r['hybrid_ndcg@10']:.3f} | "
            f"{r.get('ndcg_change', 0):+.3f} | {b.get('mixed_vi_corrected', float('nan')):.3f} / "
            f"{b.get('mixed_en_corrected', float('nan')):.3f} |"
        )
    m = report["machine"]
    lines.append(
        f"\n{m['cpus']} CPUs, load average {m['load_average_start']} → {m['load_average_end']}"
    )
    return "\n".join(lines)


def run_isolated(args: argparse.Namespace, backends: tuple[str, ...]) -> dict:
    """Measure each backend in a fresh process (torch's idle OpenMP threads otherwise slow
    down the onnxruntime run that follows in the same process), then merge the reports."""
    import subprocess
    import tempfile

    merged: dict[str, Any] | None = None
    with tempfile.TemporaryDirectory() as tmp:
        for backend in backends:
            out = Path(tmp) / f"{backend}.json"
            command = [sys.executable, __file__, "--backends", backend, "--in-process"]
            command += ["--repeats", str(args.repeats), "--out", str(out)]
            command += ["--quick"] if args.quick else []
            command += ["--cache", str(args.cache)] if args.cache else []
            subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
            part = json.loads(out.read_text())
            if merged is None:
                merged = part
            else:
                merged["backends"].update(part["backends"])
                merged["machine"]["load_average_end"] = part["machine"]["load_average_end"]
    assert merged is not None
    base = merged["backends"].get("torch")
    for row in merged["backends"].values():
        if base:
            for key, size in (("speedup_short", "short"), ("speedup_paragraph", "paragraph")):
                row[key] = round(row[size]["sentences_per_s"] / base[size]["sentences_per_s"], 2)
            row["ndcg_change"] = round(row["hybrid_ndcg@10"] - base["hybrid_ndcg@10"], 4)
    merged["isolated"] = True
    return merged


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="bitext limited to 300 lines")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--cache", type=Path, default=None, help="model cache directory")
    parser.add_argument("--backends", default=",".join(BACKENDS))
    parser.add_argument(
        "--in-process", action="store_true", help="measure every backend in this process"
    )
    parser.add_argument("--out", type=Path, default=RESULT)
    args = parser.parse_args()
    backends = tuple(args.backends.split(","))
    if args.in_process or len(backends) == 1:
        report = run(args.quick, args.repeats, args.cache, backends)
    else:
        report = run_isolated(args, backends)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    print(format_table(report))


if __name__ == "__main__":
    main()
