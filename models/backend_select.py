"""``TECHMATCH_MODEL_BACKEND=auto``: pick the fastest faithful backend for this CPU, once.

Rules (``select_backend``):

* candidates are the backends this CPU can run fast (``candidates``): ``torch``, ``onnx``,
  ``onnx-int8`` and ``onnx-int8-ffn`` (int8 on the feed-forward MatMuls only) always,
  ``torch-bf16`` only with AVX-512-BF16 or AMX, ``onnx-int8-vnni`` and
  ``onnx-int8-vnni-fused`` (onnxruntime's fused attention kernels) only with AVX-512-VNNI
  or AVX-VNNI, ``onnx-q4`` (4-bit block weights, fp32 products) only with AVX2 and FMA
  (flags hidden by ``TECHMATCH_CPU_FLAGS_HIDE`` count as absent);
* each is timed on a small built-in sample (``backend_probe``: 22 short sentences and 16
  posting-length paragraphs, seconds), each workload apart;
* its score is the texts/s on the service's mix (``weighted_rate``): ``PARAGRAPH_SHARE``
  (90 %) of the texts are paragraphs — every imported posting is one; the short ones are
  key terms, mostly cached after the first postings — so a backend that is fast on short
  texts but slow on paragraphs loses;
* a candidate whose vectors fall below cosine ``COSINE_GUARD`` (0.995) of torch fp32's on
  any sample text is dropped; of the rest the highest score wins (torch fp32 always
  qualifies, so the choice is never one measured slower than it);
* the choice, the figures and the CPU (model name, relevant flags) are written to
  ``<model folder>/backend-choice.json``; later starts reuse the record while the CPU, the
  model weights and the rules are the same, and measure again otherwise;
* a choice measured on a busy machine (``busy``: the 1-minute load average before measuring
  above ``BUSY_LOAD_PER_CPU`` per CPU — other processes already wanted every core) is
  recorded as ``provisional``: contention slows torch's OpenMP threads far more than
  onnxruntime's (on a 2-core AMX Xeon at load 10 the probe ranked onnx-int8-vnni above
  torch-bf16, which is 3x faster on a quiet machine), so the first later start that finds
  the machine quiet measures again; a busy start reuses it.

Measuring runs in a child process (``models/backend_probe.py``), all candidates in turn
and interleaved over rounds, so the service process loads only the chosen backend.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from filelock import FileLock

from models.cpu import MKL_ENV, ONEDNN_ENV, CpuInfo, cpu_info, isa_cap_env

log = logging.getLogger(__name__)

RECORD_FILE = "backend-choice.json"
RECORD_FORMAT = 4  # bump when the rules or the sample change, to measure again
COSINE_GUARD = 0.995
PARAGRAPH_SHARE = 0.9  # of the texts the service embeds; the rest are short (key terms)
REFERENCE = "torch"
FALLBACK = "torch"  # when measuring fails: always correct, never the fastest
PROBE_TIMEOUT_S = 600
BUSY_LOAD_PER_CPU = 1.0  # 1-minute load average per CPU above which a measurement is provisional


def weighted_rate(short_per_s: float, paragraph_per_s: float) -> float:
    """Texts/s on a mix of ``PARAGRAPH_SHARE`` paragraphs and short texts: the reciprocal
    of the mix's time per text (0 when either workload did not run)."""
    if short_per_s <= 0 or paragraph_per_s <= 0:
        return 0.0
    return 1.0 / (PARAGRAPH_SHARE / paragraph_per_s + (1 - PARAGRAPH_SHARE) / short_per_s)


@dataclass(frozen=True)
class Measurement:
    """One candidate on the sample: its speed per workload (texts/s) and its vectors on
    the sample (``None`` if it failed)."""

    backend: str
    short_per_s: float
    paragraph_per_s: float
    vectors: np.ndarray | None
    load_s: float = 0.0
    error: str = ""
    threads: int = 0

    @property
    def texts_per_s(self) -> float:
        """The score the choice uses: :func:`weighted_rate` of the two workloads."""
        return weighted_rate(self.short_per_s, self.paragraph_per_s)


Measure = Callable[[Path, str, Sequence[str]], dict[str, Measurement]]
LoadAverage = Callable[[], float]


def system_load() -> float:
    """The 1-minute load average (0 where the platform has none)."""
    try:
        return os.getloadavg()[0]
    except OSError:
        return 0.0


def busy(load: float, cpus: int | None = None) -> bool:
    """True when ``load`` (a 1-minute load average) exceeds ``BUSY_LOAD_PER_CPU`` per CPU:
    timings taken now are skewed by other processes."""
    return load > BUSY_LOAD_PER_CPU * max(1, cpus or os.cpu_count() or 1)


def candidates(cpu: CpuInfo) -> list[str]:
    """The backends worth measuring on ``cpu``, torch fp32 (the reference) first."""
    chosen = ["torch"]
    if cpu.has_bf16:
        chosen.append("torch-bf16")
    chosen += ["onnx", "onnx-int8", "onnx-int8-ffn"]
    if cpu.has_vnni:  # 8-bit weights: u8 x s8 into int32 saturates only without VNNI
        chosen += ["onnx-int8-vnni", "onnx-int8-vnni-fused"]
    if cpu.has_avx2_fma:  # MLAS's MatMulNBits kernels; elsewhere a slow generic loop
        chosen.append("onnx-q4")
    return chosen


def choose(
    measurements: dict[str, Measurement], guard: float = COSINE_GUARD
) -> tuple[str, dict[str, dict[str, Any]]]:
    """The fastest candidate within ``guard`` cosine of torch fp32, and a row per candidate
    (texts/s, min cosine, kept or why not). Raises ValueError without a torch measurement."""
    reference = measurements.get(REFERENCE)
    if reference is None or reference.vectors is None:
        raise ValueError("torch fp32 (the reference) was not measured")
    rows: dict[str, dict[str, Any]] = {}
    for name, m in measurements.items():
        row: dict[str, Any] = {
            "texts_per_s": round(m.texts_per_s, 1),
            "short_per_s": round(m.short_per_s, 1),
            "paragraph_per_s": round(m.paragraph_per_s, 1),
            "load_s": round(m.load_s, 1),
        }
        if m.vectors is None or m.vectors.shape != reference.vectors.shape:
            row.update(kept=False, reason=m.error or "no vectors")
        else:
            low = float(_cosines(m.vectors, reference.vectors).min())
            row["min_cosine"] = round(low, 5)
            row["kept"] = low >= guard
            if not row["kept"]:
                row["reason"] = f"cosine {low:.4f} < {guard}"
        rows[name] = row
    kept = [name for name, row in rows.items() if row["kept"]]
    best = max(kept, key=lambda name: measurements[name].texts_per_s)
    base = measurements[REFERENCE]
    for name, row in rows.items():
        m = measurements[name]
        row["speedup"] = _ratio(m.texts_per_s, base.texts_per_s)
        row["speedup_paragraph"] = _ratio(m.paragraph_per_s, base.paragraph_per_s)
    return best, rows


def _ratio(value: float, base: float) -> float | None:
    return round(value / base, 2) if base > 0 else None


def _cosines(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1)
    return np.asarray((a * b).sum(axis=1) / np.maximum(norms, 1e-12))


def record_path(folder: Path) -> Path:
    """Where the choice for the model in ``folder`` is recorded."""
    return Path(folder) / RECORD_FILE


def read_record(folder: Path) -> dict[str, Any] | None:
    """The recorded choice for ``folder``, or None if there is none or it is unreadable."""
    try:
        record = json.loads(record_path(folder).read_text())
    except (OSError, ValueError):
        return None
    return record if isinstance(record, dict) else None


def _weights_stamp(folder: Path) -> str:
    for name in ("model.safetensors", "pytorch_model.bin"):
        path = Path(folder) / name
        if path.is_file():
            stat = path.stat()
            return f"{name}:{stat.st_size}:{int(stat.st_mtime)}"
    return ""


def _valid_for(record: dict[str, Any] | None, expected: dict[str, Any]) -> bool:
    if record is None or not isinstance(record.get("choice"), str):
        return False
    return all(record.get(key) == value for key, value in expected.items())


def select_backend(
    folder: Path,
    prompt: str = "",
    *,
    cpu: CpuInfo | None = None,
    measure: Measure | None = None,
    guard: float = COSINE_GUARD,
    load: LoadAverage | None = None,
) -> dict[str, Any]:
    """The backend record for the model in ``folder`` on this CPU: reused when still valid,
    else measured (``measure``, default a child process) and written. ``record["choice"]``
    is the backend; ``record["reused"]`` says whether this call measured; ``load`` (default
    :func:`system_load`) decides whether a measurement is provisional (see the module)."""
    folder = Path(folder)
    cpu = cpu if cpu is not None else cpu_info()
    load = load or system_load
    load_now = load()
    expected = {
        "format": RECORD_FORMAT,
        "cpu": cpu.fingerprint(),
        "weights": _weights_stamp(folder),
        "guard": guard,
    }
    record = read_record(folder)
    if _valid_for(record, expected) and _keep(record, load_now):
        assert record is not None
        return {**record, "reused": True}
    with FileLock(str(folder / f".{RECORD_FILE}.lock")):
        record = read_record(folder)  # another process may have measured meanwhile
        if _valid_for(record, expected) and _keep(record, load_now):
            assert record is not None
            return {**record, "reused": True}
        load_before = load()
        names = candidates(cpu)
        started = time.perf_counter()
        measurements = (measure or measure_in_child)(folder, prompt, names)
        choice, rows = choose(measurements, guard)
        record = {
            **expected,
            "choice": choice,
            "cpu_hidden": list(cpu.hidden),
            "candidates": rows,
            "measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "measure_s": round(time.perf_counter() - started, 1),
            "sample_texts": _sample_size(),
            "paragraph_share": PARAGRAPH_SHARE,
            "threads": _threads(measurements),
            "isa_env": _isa_env(cpu),
            "load_average": [round(load_before, 2), round(load(), 2)],
            "provisional": busy(load_before),
        }
        _write_atomic(record_path(folder), record)
        log.info("model backend chosen for %s: %s (%s)", cpu.model, choice, rows)
    return {**record, "reused": False}


def _keep(record: dict[str, Any] | None, load_now: float) -> bool:
    """A valid record is reused unless it was measured on a busy machine and this one is
    quiet now (then measuring again gives the figures a quiet machine has)."""
    return not (record or {}).get("provisional") or busy(load_now)


def summary(record: dict[str, Any]) -> dict[str, Any]:
    """What ``/health`` shows of a record: the choice, when and on which CPU, the figures."""
    keys = (
        *("choice", "reused", "measured_at", "provisional", "load_average"),
        *("cpu", "cpu_hidden", "candidates", "threads"),
    )
    return {"mode": "auto", **{key: record.get(key) for key in keys}}


def _sample_size() -> int:
    from models.backend_probe import SAMPLE

    return len(SAMPLE)


def _threads(measurements: dict[str, Measurement]) -> dict[str, Any]:
    threads = {name: m.threads for name, m in measurements.items() if m.threads}
    return {"cpus": os.cpu_count(), **threads}


def _isa_env(cpu: CpuInfo) -> dict[str, str]:
    """The instruction-set caps the child ran under (set by hand or by hidden flags)."""
    caps = {key: os.environ[key] for key in (ONEDNN_ENV, MKL_ENV) if key in os.environ}
    return {**caps, **isa_cap_env(cpu)}


def _write_atomic(path: Path, data: dict[str, Any]) -> None:
    handle, tmp = tempfile.mkstemp(prefix=f".{path.name}.tmp-", dir=path.parent)
    try:
        with os.fdopen(handle, "w") as out:
            out.write(json.dumps(data, indent=2) + "\n")
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    finally:
        Path(tmp).unlink(missing_ok=True)


def measure_in_child(folder: Path, prompt: str, backends: Sequence[str]) -> dict[str, Measurement]:
    """Time ``backends`` on the sample in a child process (``models.backend_probe``)."""
    root = Path(__file__).resolve().parents[1]
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(root), env.get("PYTHONPATH", "")) if p)
    env.update(isa_cap_env(cpu_info()))  # hidden flags: torch's libraries avoid them too
    with tempfile.TemporaryDirectory(prefix="techmatch-probe-") as tmp:
        command = [sys.executable, "-m", "models.backend_probe", "--folder", str(folder)]
        command += ["--prompt", prompt, "--backends", ",".join(backends), "--out", tmp]
        done = subprocess.run(
            command, env=env, capture_output=True, text=True, timeout=PROBE_TIMEOUT_S
        )
        if done.returncode != 0:
            raise RuntimeError(f"backend probe failed: {done.stderr[-2000:]}")
        return load_probe_result(Path(tmp))


def load_probe_result(out_dir: Path) -> dict[str, Measurement]:
    """Read what ``models.backend_probe`` wrote into ``out_dir``."""
    result = json.loads((out_dir / "result.json").read_text())
    measurements = {}
    for name, row in result["backends"].items():
        vectors_file = out_dir / f"{name}.npy"
        vectors = np.load(vectors_file) if vectors_file.is_file() else None
        measurements[name] = Measurement(
            backend=name,
            short_per_s=float(row.get("short_per_s", 0.0)),
            paragraph_per_s=float(row.get("paragraph_per_s", 0.0)),
            vectors=vectors,
            load_s=float(row.get("load_s", 0.0)),
            error=str(row.get("error", "")),
            threads=int(row.get("threads", 0)),
        )
    return measurements
