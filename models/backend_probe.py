"""Child process of the backend selector: time each backend on the sample, save vectors.

    python -m models.backend_probe --folder DIR --backends torch,onnx --out DIR [--prompt P]

The sample has two workloads, timed apart: ``SHORT`` (22 short sentences, one batch) and
``PARAGRAPHS`` (8 distinct paragraphs of 109-177 tokens, twice over, in batches of 16 —
what the service embeds for every posting). All candidates are loaded in this one
process, warmed up, then timed in ``ROUNDS`` interleaved rounds (so a burst of load from
other processes hits every candidate alike); onnxruntime runs with idle-thread spinning
off here, else its spinning threads would slow down the torch candidates that follow.
Writes ``result.json`` (per workload texts/s = its size over the best round time, the
least disturbed one on a shared machine; load time, threads, error) and ``<backend>.npy``
(the vectors of ``SAMPLE``: the short texts, then the distinct paragraphs).
"""

from __future__ import annotations

import argparse
import json
import time
import traceback
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from models.probe_texts import ENGLISH, POSTINGS, VIETNAMESE

PARAGRAPH_CHARS = 200  # probe texts longer than this are paragraphs
_PROBE = VIETNAMESE + ENGLISH
SHORT = tuple(t for t in _PROBE if len(t) <= PARAGRAPH_CHARS)  # 22 texts, 17-32 tokens
PARAGRAPHS = tuple([t for t in _PROBE if len(t) > PARAGRAPH_CHARS] + POSTINGS)  # 8 texts
SAMPLE = SHORT + PARAGRAPHS  # 30 texts: every one must pass the cosine guard
PARAGRAPH_RUN = PARAGRAPHS * 2  # 16 paragraphs per timed round
PARAGRAPH_BATCH = 16
ROUNDS = 3


def load_backend(folder: Path, name: str, prompt: str, backend: str, spinning: bool = True) -> Any:
    """The ``EmbeddingModel`` of ``folder`` on ``backend`` (one of ``onnx_backend.BACKENDS``)."""
    if backend in ("torch", "torch-bf16"):
        from models.sentence_transformer import load_sentence_transformer

        return load_sentence_transformer(
            folder, name=name, prompt=prompt, bfloat16=backend == "torch-bf16"
        )
    from models.onnx_backend import ONNX_FILES, load_onnx_model

    if backend not in ONNX_FILES:
        raise ValueError(f"unknown backend {backend!r}")
    return load_onnx_model(
        folder,
        name=name,
        prompt=prompt,
        backend=backend,
        spinning=spinning,
    )


def _threads(backend: str) -> int:
    if backend.startswith("torch"):
        import torch

        return int(torch.get_num_threads())
    return 0


def probe(folder: Path, prompt: str, backends: Sequence[str], out: Path) -> dict[str, Any]:
    """Measure ``backends`` on ``SHORT`` and ``PARAGRAPH_RUN``; write and return the result."""
    workloads = {"short": (list(SHORT), 32), "paragraph": (list(PARAGRAPH_RUN), PARAGRAPH_BATCH)}
    rows: dict[str, dict[str, Any]] = {}
    models: dict[str, Any] = {}
    for backend in backends:
        started = time.perf_counter()
        try:
            model = load_backend(folder, folder.name, prompt, backend, spinning=False)
            model.encode(list(SHORT[:2]) + list(PARAGRAPHS[-2:]))  # warm-up, both shapes
            models[backend] = model
            rows[backend] = {"load_s": round(time.perf_counter() - started, 2)}
        except Exception as exc:  # a candidate that cannot run is dropped, not fatal
            rows[backend] = {"error": f"{type(exc).__name__}: {exc}"[:500]}
            traceback.print_exc()
    times: dict[str, dict[str, list[float]]] = {b: {w: [] for w in workloads} for b in models}
    vectors: dict[str, dict[str, np.ndarray]] = {backend: {} for backend in models}
    for _ in range(ROUNDS):
        for backend, model in models.items():
            for workload, (texts, batch_size) in workloads.items():
                started = time.perf_counter()
                vectors[backend][workload] = model.encode(texts, batch_size=batch_size)
                times[backend][workload].append(time.perf_counter() - started)
    for backend, spent in times.items():
        for workload, (texts, _) in workloads.items():
            rows[backend][f"{workload}_per_s"] = round(len(texts) / min(spent[workload]), 2)
        rows[backend]["threads"] = _threads(backend)
        sample = np.concatenate(
            [vectors[backend]["short"], vectors[backend]["paragraph"][: len(PARAGRAPHS)]]
        )
        np.save(out / f"{backend}.npy", np.asarray(sample, dtype=np.float32))
    result = {
        "sample_texts": len(SAMPLE),
        "workloads": {name: len(texts) for name, (texts, _) in workloads.items()},
        "rounds": ROUNDS,
        "backends": rows,
    }
    (out / "result.json").write_text(json.dumps(result, indent=2) + "\n")
    return result


def main(argv: Sequence[str] | None = None) -> None:
    """Command line of the child process (see the module docstring)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folder", type=Path, required=True)
    parser.add_argument("--backends", required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--prompt", default="")
    args = parser.parse_args(argv)
    probe(args.folder, args.prompt, args.backends.split(","), args.out)


if __name__ == "__main__":
    main()
