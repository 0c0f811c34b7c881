"""Child process of the backend selector: time each backend on the sample, save vectors.

    python -m models.backend_probe --folder DIR --backends torch,onnx --out DIR [--prompt P]

All candidates are loaded in this one process, warmed up, then timed in ``ROUNDS``
interleaved rounds (so a burst of load from other processes hits every candidate alike);
onnxruntime runs with idle-thread spinning off here, else its spinning threads would slow
down the torch candidates that follow. Writes ``result.json`` (texts/s = sample size over
the best round time, the least disturbed one on a shared machine; load time, threads,
error) and ``<backend>.npy`` (the vectors).
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

from models.probe_texts import ENGLISH, VIETNAMESE

SAMPLE = tuple(VIETNAMESE + ENGLISH)  # 26 texts: short sentences and 4 paragraphs, vi + en
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
        quantized=backend != "onnx",
        full_range=backend == "onnx-int8-vnni",
        spinning=spinning,
    )


def _threads(backend: str) -> int:
    if backend.startswith("torch"):
        import torch

        return int(torch.get_num_threads())
    return 0


def probe(folder: Path, prompt: str, backends: Sequence[str], out: Path) -> dict[str, Any]:
    """Measure ``backends`` on ``SAMPLE``; write and return the result."""
    texts = list(SAMPLE)
    rows: dict[str, dict[str, Any]] = {}
    models: dict[str, Any] = {}
    for backend in backends:
        started = time.perf_counter()
        try:
            model = load_backend(folder, folder.name, prompt, backend, spinning=False)
            model.encode(texts[:4])  # warm-up
            models[backend] = model
            rows[backend] = {"load_s": round(time.perf_counter() - started, 2)}
        except Exception as exc:  # a candidate that cannot run is dropped, not fatal
            rows[backend] = {"error": f"{type(exc).__name__}: {exc}"[:500]}
            traceback.print_exc()
    times: dict[str, list[float]] = {backend: [] for backend in models}
    vectors: dict[str, np.ndarray] = {}
    for _ in range(ROUNDS):
        for backend, model in models.items():
            started = time.perf_counter()
            vectors[backend] = model.encode(texts, batch_size=32)
            times[backend].append(time.perf_counter() - started)
    for backend, spent in times.items():
        rows[backend]["texts_per_s"] = round(len(texts) / min(spent), 2)
        rows[backend]["threads"] = _threads(backend)
        np.save(out / f"{backend}.npy", np.asarray(vectors[backend], dtype=np.float32))
    result = {"sample_texts": len(texts), "rounds": ROUNDS, "backends": rows}
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
