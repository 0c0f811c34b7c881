"""benchmarks/judge_agreement.py: reads both judges' files and computes agreement and kappa."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "benchmarks" / "judge_agreement.py"


def _module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("judge_agreement", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["judge_agreement"] = module
    spec.loader.exec_module(module)
    return module


def _write(path: Path, rows: list[dict[str, object]]) -> Path:
    lines = ["# comment line"] + [json.dumps(r, ensure_ascii=False) for r in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _row(i: int, accept: bool) -> dict[str, object]:
    return {"need": 1, "offer": 2, "term": f"t{i}", "accept": accept}


def test_reads_both_devset_files_with_the_same_items() -> None:
    ja = _module()
    first = ja.read_verdicts(ja.FIRST, "judge2")
    second = ja.read_verdicts(ja.SECOND)
    assert len(first) == len(second) == 251
    assert set(first) == set(second)
    assert all(isinstance(r["accept"], bool) for r in [*first.values(), *second.values()])
    assert {r["judge"] for r in second.values()} == {"judge2"}
    result = ja.agreement(first, second)
    assert result.items == 251 and result.only_first == result.only_second == 0
    assert 0.0 <= result.raw <= 1.0 and -1.0 <= result.kappa <= 1.0
    assert len(result.disagreements) == round((1 - result.raw) * result.items)
    assert result.both_accept + result.both_reject + len(result.disagreements) == 251
    unexposed = ja.agreement(first, second, ja.EXPOSED)
    assert 200 < unexposed.items < 251
    assert any(key[3] in ja.EXPOSED for key in first)


def test_kappa_and_disagreements_on_a_known_case(tmp_path: Path) -> None:
    ja = _module()
    verdicts_a = [True, True, False, False]
    verdicts_b = [True, False, False, False]
    rows_a = [
        {"need": 1, "offer": 2, "term": f"t{i}", "accept": v} for i, v in enumerate(verdicts_a)
    ]
    rows_b = [
        {"need": 1, "offer": 2, "term": f"t{i}", "accept": v} for i, v in enumerate(verdicts_b)
    ]
    rows_a.append({"need": 1, "offer": 2, "link": ["a", "b"], "accept": True})
    first = ja.read_verdicts(_write(tmp_path / "a.jsonl", rows_a))
    second = ja.read_verdicts(_write(tmp_path / "b.jsonl", rows_b))
    result = ja.agreement(first, second)
    # p_o = 3/4; p_e = 0.5 * 0.25 + 0.5 * 0.75 = 0.5; kappa = (0.75 - 0.5) / 0.5
    assert result.items == 4 and result.only_first == 1 and result.only_second == 0
    assert abs(result.raw - 0.75) < 1e-9 and abs(result.kappa - 0.5) < 1e-9
    assert [d["item"] for d in result.disagreements] == ["t1"]


def test_script_prints_the_figures() -> None:
    out = subprocess.run(
        [sys.executable, str(SCRIPT)], capture_output=True, text=True, check=True, cwd=ROOT
    ).stdout
    assert "common items: 251" in out and "Cohen's kappa" in out
