"""One configuration path: every setting comes from ``Settings`` and reaches the engine."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import typer
from fastapi.testclient import TestClient
from pydantic import ValidationError

from service.commands.common import load_model_or_exit
from service.core.config import EngineSettings, Settings
from service.main import create_app
from tests.service.conftest import make_settings

REPO = Path(__file__).resolve().parents[2]


def test_engine_settings_come_from_nested_environment_variables(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TECHMATCH_ENGINE__ANN", "auto")
    monkeypatch.setenv("TECHMATCH_ENGINE__ANN_THRESHOLD", "7")
    monkeypatch.setenv("TECHMATCH_ENGINE__BIAS_CORRECTION", "center")
    monkeypatch.setenv("TECHMATCH_MODEL_BACKEND", "onnx")
    settings = Settings()
    assert settings.engine.ann == "auto"
    assert settings.engine.ann_threshold == 7
    assert settings.engine.bias_correction == "center"
    assert settings.engine.candidates == EngineSettings().candidates
    assert settings.model_backend == "onnx"


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("TECHMATCH_ENGINE__ANN", "hnsw"),
        ("TECHMATCH_ENGINE__CANDIDATES", "0"),
        ("TECHMATCH_ENGINE__NO_SUCH_SETTING", "1"),
    ],
)
def test_a_wrong_engine_setting_is_refused_at_start(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(ValidationError):
        Settings()


def test_the_running_engine_uses_the_settings_also_after_a_restart(
    tmp_path: Path, hashing_model: Any
) -> None:
    engine = EngineSettings(ann="auto", ann_threshold=5, bias_correction="center", candidates=40)
    settings = make_settings(tmp_path, None, engine=engine)
    for _ in range(2):  # first start builds the index, the second loads the saved one
        with TestClient(create_app(settings, model=hashing_model)) as client:
            reported = client.get("/health").json()["engine"]
        assert reported == engine.model_dump()


def test_an_unknown_model_backend_stops_the_command_with_exit_code_2(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, model_backend="quantum")
    with pytest.raises(typer.Exit) as stopped:
        load_model_or_exit(settings)
    assert stopped.value.exit_code == 2


def _variables(model: type[Any], prefix: str) -> list[str]:
    names = []
    for name, field in model.model_fields.items():
        annotation = field.annotation
        if isinstance(annotation, type) and issubclass(annotation, EngineSettings):
            names += _variables(annotation, f"{prefix}{name.upper()}__")
        else:
            names.append(f"{prefix}{name.upper()}")
    return names


def test_readme_documents_every_setting() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    variables = _variables(Settings, "TECHMATCH_")
    assert "TECHMATCH_ENGINE__ANN" in variables
    missing = [v for v in variables if f"`{v}`" not in readme]
    assert missing == [], f"README's Configuration table lacks {missing}"
