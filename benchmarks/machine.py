"""What every benchmark result records about where it ran: CPU, flags, backend, threads.

``machine(backend)`` gives the CPU model and the flags that matter for embedding speed
(``models.cpu``, after ``TECHMATCH_CPU_FLAGS_HIDE``), core count, load average, Python,
the backend that ran and the thread counts (torch's if torch is loaded; onnxruntime uses
one intra-op thread per physical core unless told otherwise; FAISS's if loaded).
"""

from __future__ import annotations

import os
import platform
import re
import sys
from typing import Any

from models.cpu import CpuInfo, cpu_info, machine_info


def threads() -> dict[str, Any]:
    """Thread counts of the libraries already loaded in this process."""
    out: dict[str, Any] = {
        "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS"),
        "onnxruntime": "one per physical core (default)",
    }
    if "torch" in sys.modules:
        out["torch"] = int(sys.modules["torch"].get_num_threads())
    if "faiss" in sys.modules:
        out["faiss"] = int(sys.modules["faiss"].omp_get_max_threads())
    return out


def machine(backend: str | None = None) -> dict[str, Any]:
    """The ``machine`` block of a result file; ``backend`` is the embedding backend that ran."""
    return {
        **machine_info(),
        "python": platform.python_version(),
        "backend": backend,
        "threads": threads(),
    }


def cpu_slug(cpu: CpuInfo | None = None) -> str:
    """A file-name part naming this CPU (or ``cpu``) as the selector sees it, e.g.
    ``amd-epyc``, ``amd-epyc-avx2`` (a real CPU without AVX-512: virtual machines name
    different generations alike, "AMD EPYC") or ``amd-epyc-hide-avx512_bf16-avx512_vnni``
    (``TECHMATCH_CPU_FLAGS_HIDE``)."""
    cpu = cpu if cpu is not None else cpu_info()
    slug = re.sub(r"[^a-z0-9]+", "-", cpu.model.lower()).strip("-")[:40].strip("-") or "cpu"
    if cpu.hidden:
        return slug + "-hide-" + "-".join(cpu.hidden)
    return slug + ("-avx2" if "avx2" in cpu.flags and "avx512f" not in cpu.flags else "")
