"""docs/architecture.md matches the code: the paths it names exist, every package is named."""

from __future__ import annotations

import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DOC = REPO / "docs" / "architecture.md"
LAYERS = ("vocabulary", "models", "indexer", "service")
SKIPPED = {"migrations", "versions", "__pycache__", "demo", "templates", "static"}


def _named_paths() -> set[str]:
    text = DOC.read_text(encoding="utf-8")
    pattern = rf"`((?:{'|'.join(LAYERS)})/[\w/.]*)`"
    return {m.rstrip("/") for m in re.findall(pattern, text)}


def test_every_path_the_map_names_exists() -> None:
    missing = sorted(p for p in _named_paths() if not (REPO / p).exists())
    assert missing == [], f"docs/architecture.md names paths that do not exist: {missing}"


def test_every_package_and_every_indexer_module_is_on_the_map() -> None:
    named = _named_paths()
    packages = {
        str(init.parent.relative_to(REPO))
        for layer in LAYERS
        for init in (REPO / layer).rglob("__init__.py")
        if not SKIPPED & set(init.relative_to(REPO).parts)
    }
    indexer_modules = {
        str(p.relative_to(REPO)) for p in (REPO / "indexer").glob("*.py") if p.name != "__init__.py"
    }
    unnamed = sorted((packages | indexer_modules) - named)
    assert unnamed == [], f"docs/architecture.md does not map {unnamed}"
