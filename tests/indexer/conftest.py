"""Fixtures of the indexer tests."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from indexer import lexical


@pytest.fixture
def held_bm25_builds(monkeypatch: pytest.MonkeyPatch) -> Iterator[threading.Event]:
    """Background BM25 builds wait until the test sets the returned event."""
    release = threading.Event()
    real_build = lexical.build_lexical

    def held_build(*args: object) -> lexical.LexicalBuild:
        if threading.current_thread() is not threading.main_thread():
            assert release.wait(30)
        return real_build(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(lexical, "build_lexical", held_build)
    yield release
    release.set()
