"""The ``auto`` backend selector's rules, with fake timings (no real model).

The fake measurements give each candidate a speed on short texts and on paragraphs and
vectors that are the torch reference rotated by a chosen angle, so the cosine guard sees
exactly that cosine.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pytest

from models import backend_select, load_model
from models.backend_probe import PARAGRAPH_RUN, PARAGRAPHS, SAMPLE, SHORT
from models.backend_select import (
    PARAGRAPH_SHARE,
    RECORD_FILE,
    Measurement,
    busy,
    candidates,
    choose,
    read_record,
    select_backend,
    weighted_rate,
)
from models.cpu import (
    HIDE_ENV,
    MKL_ENV,
    ONEDNN_ENV,
    CpuInfo,
    cpu_info,
    isa_cap_env,
    onednn_isa,
    parse_cpuinfo,
)
from models.onnx_backend import BACKEND_ENV

EPYC = CpuInfo("AMD EPYC", ("avx2", "fma", "avx512f", "avx512bw", "avx512_vnni", "avx512_bf16"))
OLD_XEON = CpuInfo("Intel Xeon E5-2680 v4", ("avx2", "fma"))
CPUINFO = """processor\t: 0
vendor_id\t: AuthenticAMD
model name\t: AMD EPYC 9654 96-Core Processor
flags\t\t: fpu sse2 avx avx2 fma avx512f avx512bw avx512_bf16 avx512_vnni avx512vl

processor\t: 1
model name\t: AMD EPYC 9654 96-Core Processor
"""

_BASE = np.linalg.qr(np.random.default_rng(0).normal(size=(8, 8)))[0][:, :2].T  # 2 unit rows


def _vectors(cosine: float) -> np.ndarray:
    """Two unit rows whose cosine to the reference rows (``_vectors(1.0)``) is ``cosine``."""
    e, f = _BASE[0], _BASE[1]
    angle = np.arccos(cosine)
    return np.stack([np.cos(angle) * e + np.sin(angle) * f, f]).astype(np.float32)


class FakeMeasure:
    """Stands in for the child process: fixed texts/s and cosine per backend, counts calls.

    A speed is (texts/s, cosine) — the same rate on short texts and on paragraphs — or
    (short texts/s, paragraphs/s, cosine)."""

    def __init__(self, speeds: Mapping[str, tuple[float, ...]]) -> None:
        self.speeds = speeds
        self.calls: list[list[str]] = []

    def __call__(
        self, folder: Path, prompt: str, backends: Sequence[str]
    ) -> dict[str, Measurement]:
        self.calls.append(list(backends))
        out = {}
        for name in backends:
            *rates, cosine = self.speeds.get(name, (1.0, 1.0))
            short, paragraph = (rates[0], rates[0]) if len(rates) == 1 else rates
            out[name] = Measurement(name, short, paragraph, _vectors(cosine))
        return out


SPEEDS = {
    "torch": (10.0, 1.0),
    "torch-bf16": (30.0, 0.9990),
    "onnx": (15.0, 1.0),
    "onnx-int8": (40.0, 0.9940),  # fastest, but below the guard
    "onnx-int8-vnni": (25.0, 0.9960),
    "onnx-int8-ffn": (11.0, 0.9990),
    "onnx-q4": (12.0, 1.0),
    "onnx-int8-vnni-fused": (28.0, 0.9940),  # faster than vnni, but below the guard here
}


@pytest.fixture(autouse=True)
def quiet_machine(monkeypatch: pytest.MonkeyPatch) -> None:
    """The selector sees a quiet machine unless a test says otherwise (the real load of a
    shared test machine would make records provisional at random)."""
    monkeypatch.setattr(backend_select, "system_load", lambda: 0.0)


@pytest.fixture()
def folder(tmp_path: Path) -> Path:
    path = tmp_path / "model"
    path.mkdir()
    (path / "model.safetensors").write_bytes(b"weights")
    return path


def test_candidates_follow_the_cpu_flags() -> None:
    assert candidates(EPYC) == [
        *("torch", "torch-bf16", "onnx", "onnx-int8", "onnx-int8-ffn", "onnx-int8-vnni"),
        *("onnx-int8-vnni-fused", "onnx-q4"),
    ]
    assert candidates(OLD_XEON) == ["torch", "onnx", "onnx-int8", "onnx-int8-ffn", "onnx-q4"]
    # the 4-bit MatMulNBits kernels need AVX2 + FMA; without them no onnx-q4
    assert candidates(CpuInfo("old", ("avx2",))) == ["torch", "onnx", "onnx-int8", "onnx-int8-ffn"]
    assert "onnx-q4" not in candidates(cpu_info(CPUINFO, hide="avx2"))
    amx = CpuInfo("Intel Xeon Platinum 8480+", ("avx512f", "amx_bf16", "avx_vnni"))
    assert "torch-bf16" in candidates(amx) and "onnx-int8-vnni" in candidates(amx)
    # the fused graph's QAttention and MatMuls are 8-bit: offered only with VNNI
    assert "onnx-int8-vnni-fused" in candidates(amx)
    assert "onnx-int8-vnni-fused" not in candidates(cpu_info(CPUINFO, hide="avx512_vnni"))


def test_cosine_guard_drops_the_fast_but_wrong_candidate() -> None:
    measured = FakeMeasure(SPEEDS)(Path("."), "", list(SPEEDS))
    choice, rows = choose(measured)
    assert choice == "torch-bf16"  # onnx-int8 is faster but its cosine is 0.994
    assert rows["onnx-int8"]["kept"] is False
    assert rows["onnx-int8"]["min_cosine"] == pytest.approx(0.994, abs=1e-4)
    assert "0.995" in rows["onnx-int8"]["reason"]
    assert rows["torch-bf16"]["speedup"] == 3.0
    # nothing faster that is faithful: torch fp32 itself, never a slower one
    slow = {"torch": (10.0, 1.0), "onnx": (8.0, 1.0), "onnx-int8": (50.0, 0.9)}
    assert choose(FakeMeasure(slow)(Path("."), "", list(slow)))[0] == "torch"


def test_paragraph_speed_decides_not_short_text_speed() -> None:
    # The last session's trap: torch-bf16 fast on short texts, the int8 backend on paragraphs.
    speeds = {
        "torch": (100.0, 10.0, 1.0),
        "torch-bf16": (400.0, 12.0, 0.9999),  # 4x on short texts, 1.2x on paragraphs
        "onnx-int8-vnni": (150.0, 30.0, 0.996),  # 1.5x on short texts, 3x on paragraphs
    }
    measured = FakeMeasure(speeds)(Path("."), "", list(speeds))
    assert measured["torch-bf16"].short_per_s > measured["onnx-int8-vnni"].short_per_s
    choice, rows = choose(measured)
    assert choice == "onnx-int8-vnni"
    assert rows["torch-bf16"]["speedup_paragraph"] == 1.2
    assert rows["onnx-int8-vnni"]["speedup_paragraph"] == 3.0
    # the score is the texts/s of a mix that is PARAGRAPH_SHARE paragraphs
    mix = 1 / (PARAGRAPH_SHARE / 30.0 + (1 - PARAGRAPH_SHARE) / 150.0)
    assert rows["onnx-int8-vnni"]["texts_per_s"] == pytest.approx(mix, abs=0.05)
    assert weighted_rate(150.0, 30.0) == pytest.approx(mix)
    assert weighted_rate(150.0, 0.0) == 0.0  # a workload that did not run scores nothing
    # equal on paragraphs: the short-text speed breaks the tie
    tie = {
        "torch": (100.0, 10.0, 1.0),
        "onnx": (100.0, 20.0, 1.0),
        "torch-bf16": (300.0, 20.0, 1.0),
    }
    assert choose(FakeMeasure(tie)(Path("."), "", list(tie)))[0] == "torch-bf16"


def test_a_failed_candidate_is_dropped() -> None:
    measured = FakeMeasure(SPEEDS)(Path("."), "", ["torch", "onnx"])
    measured["onnx-int8"] = Measurement("onnx-int8", 0.0, 0.0, None, error="RuntimeError: boom")
    choice, rows = choose(measured)
    assert choice == "onnx" and rows["onnx-int8"] == {
        "texts_per_s": 0.0,
        "short_per_s": 0.0,
        "paragraph_per_s": 0.0,
        "load_s": 0.0,
        "kept": False,
        "reason": "RuntimeError: boom",
        "speedup": 0.0,
        "speedup_paragraph": 0.0,
    }


def test_the_sample_is_mostly_posting_length_paragraphs() -> None:
    assert len(SAMPLE) == len(set(SAMPLE)) == len(SHORT) + len(PARAGRAPHS)
    assert len(PARAGRAPHS) >= 8 and len(PARAGRAPH_RUN) >= 16
    assert min(len(t.split()) for t in PARAGRAPHS) >= 60  # 109-177 e5 tokens
    assert max(len(t.split()) for t in SHORT) <= 25
    assert {"vi", "en"} <= {"vi" if "ư" in t or "ơ" in t else "en" for t in PARAGRAPHS}


def test_record_is_written_then_reused(folder: Path) -> None:
    measure = FakeMeasure(SPEEDS)
    first = select_backend(folder, cpu=EPYC, measure=measure)
    assert first["choice"] == "torch-bf16" and first["reused"] is False
    saved = json.loads((folder / RECORD_FILE).read_text())
    assert saved["cpu"] == {"model": "AMD EPYC", "flags": list(EPYC.flags)}
    assert set(saved["candidates"]) == set(SPEEDS)
    again = select_backend(folder, cpu=EPYC, measure=measure)
    assert again["reused"] is True and again["choice"] == "torch-bf16"
    assert len(measure.calls) == 1


def test_a_busy_measurement_is_provisional_until_a_quiet_start(folder: Path) -> None:
    cpus = os.cpu_count() or 1
    loaded, quiet = 4.0 * cpus, 0.5 * cpus  # 1-minute load averages
    assert busy(loaded) and not busy(quiet) and busy(5.0, cpus=2) and not busy(1.5, cpus=2)
    # contention: onnx ranks first on a busy machine, torch-bf16 on a quiet one
    on_busy = FakeMeasure({"torch": (2.0, 1.0), "torch-bf16": (4.0, 0.9999), "onnx": (5.0, 1.0)})
    on_quiet = FakeMeasure(
        {"torch": (30.0, 1.0), "torch-bf16": (120.0, 0.9999), "onnx": (24.0, 1.0)}
    )
    level = [loaded]
    first = select_backend(folder, cpu=EPYC, measure=on_busy, load=lambda: level[0])
    assert first["choice"] == "onnx" and first["provisional"] is True
    assert first["load_average"] == [loaded, loaded]
    # still busy: the provisional record is reused, not measured again
    again = select_backend(folder, cpu=EPYC, measure=on_quiet, load=lambda: level[0])
    assert again["reused"] is True and on_quiet.calls == []
    # quiet now: measured again, and that record is final
    level[0] = quiet
    quiet_start = select_backend(folder, cpu=EPYC, measure=on_quiet, load=lambda: level[0])
    assert quiet_start["reused"] is False and quiet_start["choice"] == "torch-bf16"
    assert quiet_start["provisional"] is False and len(on_quiet.calls) == 1
    assert read_record(folder)["provisional"] is False  # type: ignore[index]
    level[0] = loaded  # a final record is kept whatever the load
    assert select_backend(folder, cpu=EPYC, measure=on_busy, load=lambda: level[0])["reused"]
    assert len(on_busy.calls) == 1


def test_avx2_only_cpu_picks_the_faithful_4bit_backend(folder: Path) -> None:
    """This session's AMD EPYC (AVX2 + FMA only) at its measured ratios (one thread, CPU
    time, paragraphs): onnx fp32 0.89x, onnx-int8 1.35x but cosine 0.9944, onnx-int8-ffn
    1.29x at 0.9953, onnx-q4 1.13x at cosine 1.0 -> onnx-int8-ffn; with the feed-forward
    int8 under the guard, onnx-q4; never slower than torch fp32."""
    avx2 = CpuInfo("AMD EPYC", ("avx2", "fma"))
    speeds = {
        "torch": (100.0, 6.8, 1.0),
        "onnx": (90.0, 6.0, 1.0),
        "onnx-int8": (140.0, 9.2, 0.9944),
        "onnx-int8-ffn": (130.0, 8.8, 0.9953),
        "onnx-q4": (110.0, 7.7, 0.99999),
    }
    measure = FakeMeasure(speeds)
    record = select_backend(folder, cpu=avx2, measure=measure)
    assert measure.calls == [["torch", "onnx", "onnx-int8", "onnx-int8-ffn", "onnx-q4"]]
    assert record["choice"] == "onnx-int8-ffn"
    assert record["candidates"]["onnx-int8"]["kept"] is False
    # the feed-forward int8 under the guard: the lossless 4-bit backend
    unfaithful = {**speeds, "onnx-int8-ffn": (130.0, 8.8, 0.9948)}
    (folder / "model.safetensors").write_bytes(b"new weights")  # measure again
    record = select_backend(folder, cpu=avx2, measure=FakeMeasure(unfaithful))
    assert record["choice"] == "onnx-q4"
    assert record["candidates"]["onnx-q4"]["speedup_paragraph"] == pytest.approx(1.13, abs=0.01)
    # the same CPU where onnx-q4 happens to run slower than torch: torch stays
    slower = {**unfaithful, "onnx-q4": (90.0, 6.0, 0.99999)}
    (folder / "model.safetensors").write_bytes(b"rebuilt weights!")  # measure again
    assert select_backend(folder, cpu=avx2, measure=FakeMeasure(slower))["choice"] == "torch"


def test_cpu_change_measures_again(folder: Path) -> None:
    measure = FakeMeasure(SPEEDS)
    select_backend(folder, cpu=EPYC, measure=measure)
    other = select_backend(folder, cpu=OLD_XEON, measure=measure)
    assert other["reused"] is False
    assert measure.calls[1] == ["torch", "onnx", "onnx-int8", "onnx-int8-ffn", "onnx-q4"]
    assert other["choice"] == "onnx"  # no bf16 here; onnx-int8 still fails the guard
    assert read_record(folder)["cpu"]["model"] == OLD_XEON.model  # type: ignore[index]
    # changed weights (a rebuilt model) measure again too
    (folder / "model.safetensors").write_bytes(b"other weights")
    assert select_backend(folder, cpu=OLD_XEON, measure=measure)["reused"] is False


def test_hidden_flags_remove_candidates_and_measure_again(
    folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    model, flags = parse_cpuinfo(CPUINFO)
    assert model == "AMD EPYC 9654 96-Core Processor" and "avx512_vnni" in flags
    full = cpu_info(CPUINFO, hide="")
    assert full.has_bf16 and full.has_vnni
    monkeypatch.setenv(HIDE_ENV, "avx512_bf16, AVX512_VNNI")
    hidden = cpu_info(CPUINFO)
    assert not hidden.has_bf16 and not hidden.has_vnni
    assert hidden.hidden == ("avx512_bf16", "avx512_vnni")
    assert candidates(hidden) == ["torch", "onnx", "onnx-int8", "onnx-int8-ffn", "onnx-q4"]
    measure = FakeMeasure(SPEEDS)
    assert select_backend(folder, cpu=full, measure=measure)["choice"] == "torch-bf16"
    record = select_backend(folder, cpu=hidden, measure=measure)
    assert record["reused"] is False and record["choice"] == "onnx"
    assert record["cpu_hidden"] == ["avx512_bf16", "avx512_vnni"]


def test_hidden_flags_cap_the_instruction_sets_of_torchs_libraries(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    amx = CpuInfo(
        "Intel Xeon Platinum 8480+",
        (
            "avx2",
            "avx512f",
            "avx512bw",
            "avx512_vnni",
            "avx512_bf16",
            "amx_bf16",
            "amx_int8",
            "amx_tile",
        ),
    )
    assert onednn_isa(amx) == "AVX512_CORE_AMX"
    assert isa_cap_env(amx) == {}  # a real CPU is never capped
    for env in (ONEDNN_ENV, MKL_ENV):
        monkeypatch.delenv(env, raising=False)
    cases = {
        "amx_bf16,amx_int8,amx_tile": ("AVX512_CORE_BF16", None),
        "amx_bf16,amx_int8,amx_tile,avx512_bf16": ("AVX512_CORE_VNNI", None),
        "amx_bf16,amx_int8,amx_tile,avx512_bf16,avx512_vnni": ("AVX512_CORE", None),
        "avx512f,amx_tile": ("AVX2", "AVX2"),
    }
    text = "model name\t: Xeon\nflags\t\t: " + " ".join(amx.flags) + "\n"
    for hide, (onednn, mkl) in cases.items():
        cpu = cpu_info(text, hide=hide)
        assert isa_cap_env(cpu) == {ONEDNN_ENV: onednn, **({MKL_ENV: mkl} if mkl else {})}, hide
    monkeypatch.setenv(ONEDNN_ENV, "AVX2")  # set by hand: left alone
    assert ONEDNN_ENV not in isa_cap_env(cpu_info(text, hide="amx_tile"))


def _copy_tiny(tmp_path: Path) -> Path:
    from tests.models.test_backends import _tiny_folder

    return _tiny_folder(tmp_path)


@pytest.fixture(scope="module")
def tiny_source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _copy_tiny(tmp_path_factory.mktemp("tiny-select"))


@pytest.fixture()
def tiny(tiny_source: Path, tmp_path: Path) -> Path:
    return Path(shutil.copytree(tiny_source, tmp_path / "tiny"))


def test_explicit_setting_wins_over_auto(tiny: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def no_measuring(*args: object, **kwargs: object) -> None:
        raise AssertionError("an explicit backend must not measure")

    monkeypatch.setattr("models.backend_select.select_backend", no_measuring)
    monkeypatch.setenv(BACKEND_ENV, "auto")
    model = load_model(str(tiny), backend="onnx")
    assert model.backend == "onnx"  # type: ignore[attr-defined]
    assert model.selection == {"mode": "explicit", "choice": "onnx"}  # type: ignore[attr-defined]
    monkeypatch.setenv(BACKEND_ENV, "torch")
    assert load_model(str(tiny)).backend == "torch"  # type: ignore[attr-defined]
    assert not (tiny / RECORD_FILE).exists()


def test_auto_measures_once_in_a_child_and_reuses_the_record(
    tiny: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(HIDE_ENV, "avx512_vnni,avx_vnni")  # fewer candidates: a faster test
    for env in (ONEDNN_ENV, MKL_ENV):  # set by load_model below; undone after the test
        monkeypatch.setenv(env, "")
        monkeypatch.delenv(env)
    model = load_model(str(tiny), backend="auto")
    record = read_record(tiny)
    assert record is not None and model.backend == record["choice"]  # type: ignore[attr-defined]
    assert set(record["candidates"]) == set(candidates(cpu_info()))
    assert record["candidates"]["torch"]["min_cosine"] == pytest.approx(1.0, abs=1e-5)
    for row in record["candidates"].values():
        assert row["short_per_s"] > 0 and row["paragraph_per_s"] > 0
        assert row["texts_per_s"] == pytest.approx(
            weighted_rate(row["short_per_s"], row["paragraph_per_s"]), abs=0.1
        )
    assert record["sample_texts"] == len(SAMPLE) and record["paragraph_share"] == PARAGRAPH_SHARE
    # the child ran with torch's libraries kept off the hidden flags
    assert record["isa_env"][ONEDNN_ENV] == onednn_isa(cpu_info())
    selection = model.selection  # type: ignore[attr-defined]
    assert selection["mode"] == "auto" and selection["reused"] is False
    again = load_model(str(tiny), backend="auto")
    assert again.selection["reused"] is True  # type: ignore[attr-defined]
    assert again.backend == model.backend  # type: ignore[attr-defined]


def test_auto_falls_back_to_torch_when_measuring_fails(
    tiny: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("probe crashed")

    monkeypatch.setattr("models.backend_select.measure_in_child", broken)
    model = load_model(str(tiny), backend="auto")
    assert model.backend == "torch"  # type: ignore[attr-defined]
    assert model.selection["error"] == "probe crashed"  # type: ignore[attr-defined]
    assert not (tiny / RECORD_FILE).exists()


def test_result_files_name_the_cpu_class() -> None:
    """An AVX2-only "AMD EPYC" and an AVX-512 one get different benchmark result files."""
    from benchmarks.machine import cpu_slug

    assert cpu_slug(CpuInfo("AMD EPYC", ("avx2", "fma"))) == "amd-epyc-avx2"
    assert cpu_slug(EPYC) == "amd-epyc"
    hidden = CpuInfo("AMD EPYC", ("avx2", "fma"), hidden=("avx512f",))
    assert cpu_slug(hidden) == "amd-epyc-hide-avx512f"
