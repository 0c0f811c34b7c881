"""What the CPU can do, as the backend selector and the benchmarks see it.

``cpu_info()`` reads the model name and flags from ``/proc/cpuinfo`` (elsewhere: the
platform's processor string and no flags) and keeps the flags that decide which embedding
backends can be fast. ``TECHMATCH_CPU_FLAGS_HIDE=avx512_bf16,avx512_vnni`` removes flags
from that view to simulate another CPU (the selector then offers fewer candidates, and
the changed flags make it measure again). Hiding a flag also caps the instruction sets
torch's libraries use (``isa_cap_env``: oneDNN, which runs torch's bfloat16 matmuls, and
MKL), so that what is measured is what such a CPU would run; onnxruntime has no such
switch and keeps using every instruction the CPU has.
"""

from __future__ import annotations

import os
import platform
from dataclasses import dataclass
from pathlib import Path

HIDE_ENV = "TECHMATCH_CPU_FLAGS_HIDE"
CPUINFO = Path("/proc/cpuinfo")
# Flags that change which backend is fastest: vector width, int8 dot products, bfloat16.
RELEVANT_FLAGS = (
    "avx2",
    "fma",
    "avx512f",
    "avx512bw",
    "avx512_vnni",
    "avx_vnni",
    "avx512_bf16",
    "amx_bf16",
    "amx_int8",
    "amx_tile",
    "avx512_fp16",
)
VNNI_FLAGS = ("avx512_vnni", "avx_vnni")
BF16_FLAGS = ("avx512_bf16", "amx_bf16")


@dataclass(frozen=True)
class CpuInfo:
    """The CPU's model name, its relevant flags (hidden ones removed) and what was hidden."""

    model: str
    flags: tuple[str, ...]
    hidden: tuple[str, ...] = ()

    @property
    def has_vnni(self) -> bool:
        """int8 dot products in hardware: int8 weights need no 7-bit reduction."""
        return any(flag in self.flags for flag in VNNI_FLAGS)

    @property
    def has_avx2_fma(self) -> bool:
        """AVX2 and FMA: what onnxruntime's blockwise 4-bit (MatMulNBits) kernels need."""
        return "avx2" in self.flags and "fma" in self.flags

    @property
    def has_bf16(self) -> bool:
        """bfloat16 dot products in hardware (AVX-512-BF16 or AMX)."""
        return any(flag in self.flags for flag in BF16_FLAGS)

    def fingerprint(self) -> dict[str, object]:
        """What a recorded backend choice is valid for: model name and relevant flags."""
        return {"model": self.model, "flags": list(self.flags)}

    def as_dict(self) -> dict[str, object]:
        """JSON form for records and benchmark results."""
        return {"model": self.model, "flags": list(self.flags), "hidden": list(self.hidden)}


def hidden_flags(value: str | None = None) -> tuple[str, ...]:
    """The flags named in ``value`` (default ``$TECHMATCH_CPU_FLAGS_HIDE``), lower-cased."""
    raw = os.environ.get(HIDE_ENV, "") if value is None else value
    return tuple(sorted({part.strip().lower() for part in raw.split(",") if part.strip()}))


def parse_cpuinfo(text: str) -> tuple[str, set[str]]:
    """Model name and flag set of the first processor in a ``/proc/cpuinfo`` text."""
    model, flags = "", set[str]()
    for line in text.splitlines():
        key, _, value = line.partition(":")
        key = key.strip()
        if key == "model name" and not model:
            model = value.strip()
        elif key in ("flags", "Features") and not flags:
            flags = set(value.split())
        if model and flags:
            break
    return model, flags


def cpu_info(cpuinfo_text: str | None = None, hide: str | None = None) -> CpuInfo:
    """This machine's :class:`CpuInfo` (or that of ``cpuinfo_text``), minus hidden flags."""
    if cpuinfo_text is None:
        try:
            cpuinfo_text = CPUINFO.read_text(errors="replace")
        except OSError:
            cpuinfo_text = ""
    model, flags = parse_cpuinfo(cpuinfo_text)
    hidden = hidden_flags(hide)
    kept = tuple(flag for flag in RELEVANT_FLAGS if flag in flags and flag not in hidden)
    return CpuInfo(
        model=model or platform.processor() or platform.machine(), flags=kept, hidden=hidden
    )


def machine_info() -> dict[str, object]:
    """CPU (model, relevant flags), core count and load average, for result files."""
    load = [round(x, 2) for x in os.getloadavg()] if hasattr(os, "getloadavg") else []
    return {"cpu": cpu_info().as_dict(), "cpus": os.cpu_count(), "load_average": load}


ONEDNN_ENV = "ONEDNN_MAX_CPU_ISA"
MKL_ENV = "MKL_ENABLE_INSTRUCTIONS"


def onednn_isa(cpu: CpuInfo) -> str:
    """The highest oneDNN ISA (``ONEDNN_MAX_CPU_ISA`` value) that ``cpu``'s flags allow."""
    flags = set(cpu.flags)
    if {"amx_tile", "amx_int8", "amx_bf16"} <= flags and "avx512_fp16" in flags:
        return "AVX512_CORE_AMX_FP16"
    if {"amx_tile", "amx_int8", "amx_bf16"} <= flags:
        return "AVX512_CORE_AMX"
    if {"avx512f", "avx512bw"} <= flags:
        if "avx512_bf16" in flags:
            return "AVX512_CORE_BF16"
        return "AVX512_CORE_VNNI" if "avx512_vnni" in flags else "AVX512_CORE"
    if "avx2" in flags:
        return "AVX2_VNNI" if "avx_vnni" in flags else "AVX2"
    return "SSE41"


def isa_cap_env(cpu: CpuInfo) -> dict[str, str]:
    """Environment variables that keep torch's libraries to ``cpu``'s visible flags: empty
    unless flags are hidden (a real CPU needs no cap). Values already set are not listed."""
    if not cpu.hidden:
        return {}
    flags = set(cpu.flags)
    caps = {ONEDNN_ENV: onednn_isa(cpu)}
    if not {"avx512f", "avx512bw"} <= flags:
        caps[MKL_ENV] = "AVX2" if "avx2" in flags else "SSE4_2"
    return {key: value for key, value in caps.items() if key not in os.environ}


def apply_isa_cap(cpu: CpuInfo | None = None) -> dict[str, str]:
    """Set :func:`isa_cap_env` in this process's environment (before torch first runs a
    kernel: the libraries read it once); returns what was set."""
    caps = isa_cap_env(cpu if cpu is not None else cpu_info())
    os.environ.update(caps)
    return caps
