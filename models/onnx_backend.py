"""ONNX Runtime backends for a local BERT-style sentence-transformers folder.

``onnx`` is the folder's transformer exported to ONNX in fp32; ``onnx-int8`` is that graph
with every MatMul weight dynamically quantised to int8 by onnxruntime, per output channel
and in 7-bit range (no saturation on CPUs without VNNI); ``onnx-int8-vnni`` the same in
full 8-bit range, for CPUs with VNNI (int8 dot products into 32-bit sums cannot
saturate there); ``onnx-int8-ffn`` 7-bit int8 on the feed-forward MatMuls only (the
attention's stay fp32); ``onnx-q4`` every MatMul weight as 4-bit blocks with fp32 products
(``models/onnx_q4.py``: the built-in model's own 4-bit grid, so no loss);
``onnx-int8-vnni-fused`` onnxruntime's fused BERT kernels (eager-attention export,
``QAttention``), 8-bit, the MatMul with the worst activation outliers kept fp32
(``models/onnx_fused.py``). The int8
backends quantise activations per batch at run time. All are exported LOCALLY from the
built torch folder — nothing is downloaded — into ``<folder>/onnx/`` (``model.onnx``,
``model_qint8.onnx``, ``model_qint8_vnni.onnx``, ``model_qint8_ffn.onnx``,
``model_q4.onnx``, ``model_qint8_vnni_fused.onnx``), atomically (temporary
file + rename under a file lock, a marker last), and reused afterwards. Which backend runs
by default is decided per CPU by ``models/backend_select.py`` (``auto``).

Why not ``SentenceTransformer(folder, backend="onnx")``: that path needs ``optimum-onnx``,
whose current release pins ``transformers<4.58`` and would downgrade this project's
transformers 5. The export here uses ``torch.onnx.export`` (TorchScript exporter) and
inference uses ``onnxruntime`` with the folder's own ``tokenizer.json``; pooling (mean over
the attention mask) and L2 normalisation are done in numpy, as the folder's
``1_Pooling``/``2_Normalize`` modules do.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
from filelock import FileLock

BACKENDS = (
    *("torch", "torch-bf16", "onnx"),
    *("onnx-int8", "onnx-int8-vnni", "onnx-int8-ffn", "onnx-q4", "onnx-int8-vnni-fused"),
)
AUTO = "auto"  # measure the candidates this CPU supports, keep the fastest faithful one
DEFAULT_BACKEND = AUTO
BACKEND_ENV = "TECHMATCH_MODEL_BACKEND"
ONNX_DIR = "onnx"
FP32_FILE = "model.onnx"
INT8_FILE = "model_qint8.onnx"
INT8_VNNI_FILE = "model_qint8_vnni.onnx"
Q4_FILE = "model_q4.onnx"
INT8_FFN_FILE = "model_qint8_ffn.onnx"
INT8_FUSED_FILE = "model_qint8_vnni_fused.onnx"
ONNX_FILES = {
    "onnx-int8-ffn": INT8_FFN_FILE,
    "onnx": FP32_FILE,
    "onnx-int8": INT8_FILE,
    "onnx-int8-vnni": INT8_VNNI_FILE,
    "onnx-q4": Q4_FILE,
    "onnx-int8-vnni-fused": INT8_FUSED_FILE,
}
EXPORT_FORMAT = 3  # bump when the export changes, to force a new export
_MARKERS = {
    FP32_FILE: ".model.onnx.json",
    INT8_FILE: ".model_qint8.onnx.json",
    INT8_VNNI_FILE: ".model_qint8_vnni.onnx.json",
    Q4_FILE: ".model_q4.onnx.json",
    INT8_FFN_FILE: ".model_qint8_ffn.onnx.json",
    INT8_FUSED_FILE: ".model_qint8_vnni_fused.onnx.json",
}


def resolve_backend(backend: str | None, default: str = DEFAULT_BACKEND) -> str:
    """``backend``, else ``$TECHMATCH_MODEL_BACKEND``, else ``default``; ValueError if unknown.

    The answer is one of ``BACKENDS`` or ``"auto"``."""
    value = (backend or os.environ.get(BACKEND_ENV) or default).strip().lower()
    if value not in (*BACKENDS, AUTO):
        raise ValueError(
            f"unknown model backend {value!r}; choose one of {', '.join((*BACKENDS, AUTO))}"
        )
    return value


def export_onnx(folder: Path, backend: str = "onnx") -> Path:
    """Export (or reuse) the ONNX file of ``backend`` (a key of ``ONNX_FILES``) in
    ``<folder>/onnx/``: ``model.onnx`` (fp32), ``model_qint8.onnx`` (int8, 7-bit weights),
    ``model_qint8_vnni.onnx`` (8-bit), ``model_qint8_ffn.onnx`` (7-bit, feed-forward MatMuls
    only) or ``model_q4.onnx`` (4-bit blocks, ``models/onnx_q4.py``); the quantised ones are
    made from the fp32 file.

    Safe to call from several processes at once; a failed export leaves nothing behind.
    """
    folder = Path(folder)
    out_dir = folder / ONNX_DIR
    name = ONNX_FILES[backend]
    target = out_dir / name
    expected = {"export_format": EXPORT_FORMAT, "source": _source_stamp(folder)}
    if _is_current(out_dir, name, expected):
        return target
    out_dir.mkdir(parents=True, exist_ok=True)
    with FileLock(str(out_dir / f".{name}.lock")):
        if _is_current(out_dir, name, expected):
            return target
        started = time.perf_counter()
        if backend == "onnx":
            _atomic_write(target, lambda tmp: _export_fp32(folder, tmp))
        elif backend == "onnx-int8-vnni-fused":  # its own export: eager attention, fused
            _atomic_write(target, lambda tmp: _export_fused(folder, tmp))
        else:
            source = export_onnx(folder, "onnx")
            _atomic_write(target, lambda tmp: _QUANTIZERS[backend](source, tmp))
        marker = {**expected, "seconds": round(time.perf_counter() - started, 1)}
        (out_dir / _MARKERS[name]).write_text(json.dumps(marker, indent=2) + "\n")
    return target


def _source_stamp(folder: Path) -> str:
    weights = folder / "model.safetensors"
    stat = weights.stat()
    return f"{stat.st_size}:{int(stat.st_mtime)}"


def _is_current(out_dir: Path, name: str, expected: dict[str, Any]) -> bool:
    try:
        marker = json.loads((out_dir / _MARKERS[name]).read_text())
    except (OSError, ValueError):
        return False
    if any(marker.get(key) != value for key, value in expected.items()):
        return False
    return (out_dir / name).is_file()


def _atomic_write(target: Path, write: Any) -> None:
    handle, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.tmp-", dir=target.parent)
    os.close(handle)
    tmp = Path(tmp_name)
    try:
        write(tmp)
        os.chmod(tmp, 0o644)
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)


def _export_fp32(folder: Path, out: Path, attention: str | None = None) -> None:
    """``torch.onnx.export`` of the folder's transformer; ``attention`` is transformers'
    ``attn_implementation`` (None: its default, SDPA; ``"eager"`` for the fusable graph)."""
    import warnings

    import torch
    from transformers import AutoModel

    from models.sentence_transformer import _quiet_progress_bars

    with _quiet_progress_bars():  # no "Loading weights" bar on a server's first start
        extra: dict[str, Any] = {"attn_implementation": attention} if attention else {}
        model = AutoModel.from_pretrained(
            str(folder), dtype=torch.float32, local_files_only=True, **extra
        )
    model.eval()

    class _Wrapper(torch.nn.Module):
        def __init__(self, inner: Any) -> None:
            super().__init__()
            self.inner = inner

        def forward(self, input_ids: Any, attention_mask: Any) -> Any:
            # Explicit zeros: the model's buffered token_type_ids would be traced at a fixed size.
            output = self.inner(
                input_ids=input_ids,
                attention_mask=attention_mask,
                token_type_ids=torch.zeros_like(input_ids),
            )
            return output.last_hidden_state

    ids = torch.tensor([[0, 3, 4, 2], [0, 5, 2, 1]])  # small ids: any vocabulary has them
    mask = torch.tensor([[1, 1, 1, 1], [1, 1, 1, 0]])
    dynamic = {0: "batch", 1: "sequence"}
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            _Wrapper(model),
            (ids, mask),
            str(out),
            input_names=["input_ids", "attention_mask"],
            output_names=["last_hidden_state"],
            dynamic_axes={
                "input_ids": dynamic,
                "attention_mask": dynamic,
                "last_hidden_state": dynamic,
            },
            opset_version=17,
            dynamo=False,
        )


def _quantize_int8(
    source: Path, out: Path, full_range: bool = False, ffn_only: bool = False
) -> None:
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    # Per-channel weights: dev-set nDCG@10 -0.008 vs torch (per-tensor: -0.010); reduce_range
    # keeps 7-bit weights so the int8 kernels cannot saturate on CPUs without VNNI; with
    # VNNI (u8 x s8 summed into int32) the full range is safe. ``ffn_only`` leaves the
    # attention's MatMuls (query, key, value, output: a third of the weights) in fp32.
    excluded: list[str] = []
    if ffn_only:
        graph = onnx.load(str(source), load_external_data=False).graph
        excluded = [n.name for n in graph.node if n.op_type == "MatMul" and ATTENTION in n.name]
    with _quiet_quantizer():
        quantize_dynamic(
            str(source),
            str(out),
            weight_type=QuantType.QInt8,
            op_types_to_quantize=["MatMul"],
            per_channel=True,
            reduce_range=not full_range,
            nodes_to_exclude=excluded,
        )


def _export_fused(folder: Path, out: Path) -> None:
    from models.backend_probe import SAMPLE
    from models.onnx_fused import export_fused_int8

    export_fused_int8(folder, out, SAMPLE)  # the selector's sample calibrates it


def _quantize_q4(source: Path, out: Path) -> None:
    from models.onnx_q4 import quantize_q4

    quantize_q4(source, out)


ATTENTION = "/attention/"  # in the exported MatMul names of a BERT's attention block
_QUANTIZERS: dict[str, Any] = {
    "onnx-int8": _quantize_int8,
    "onnx-int8-vnni": lambda source, out: _quantize_int8(source, out, full_range=True),
    "onnx-int8-ffn": lambda source, out: _quantize_int8(source, out, ffn_only=True),
    "onnx-q4": _quantize_q4,
}


#: onnxruntime's hint, logged on the root logger by every ``quantize_dynamic`` call; the
#: graph here is a plain transformer export that its pre-processing does not change.
_PREPROCESS_HINT = "pre-processing before quantization"


class _DropPreprocessHint(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return _PREPROCESS_HINT not in record.getMessage()


@contextmanager
def _quiet_quantizer() -> Iterator[None]:
    """Drop onnxruntime's "Please consider to run pre-processing…" warning. It is logged
    with ``logging.warning``, which would also give an unconfigured root logger a stderr
    handler for good; a NullHandler stands in meanwhile so that it does not."""
    root = logging.getLogger()
    hint_filter = _DropPreprocessHint()
    stand_in = logging.NullHandler() if not root.handlers else None
    if stand_in is not None:
        root.addHandler(stand_in)
    root.addFilter(hint_filter)
    try:
        yield
    finally:
        root.removeFilter(hint_filter)
        if stand_in is not None:
            root.removeHandler(stand_in)


class OnnxSentenceModel:
    """An ``EmbeddingModel`` running an exported BERT encoder with onnxruntime on the CPU."""

    selection: dict[str, Any] | None = None  # how the backend was chosen

    def __init__(
        self,
        onnx_file: Path,
        tokenizer_file: Path,
        name: str,
        dimension: int,
        prompt: str = "",
        max_length: int = 512,
        threads: int | None = None,
        pad_id: int = 1,
        backend: str = "onnx",
        spinning: bool = True,
    ) -> None:
        import onnxruntime as ort
        from tokenizers import Tokenizer

        options = ort.SessionOptions()
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        if threads:
            options.intra_op_num_threads = threads
        if not spinning:  # idle threads sleep: needed when other backends run in the process
            options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self.session = ort.InferenceSession(
            str(onnx_file), options, providers=["CPUExecutionProvider"]
        )
        self.tokenizer = Tokenizer.from_file(str(tokenizer_file))
        self.tokenizer.enable_truncation(max_length)
        self.tokenizer.no_padding()
        self.name = name
        self.dimension = dimension
        self.prompt = prompt
        self.onnx_file = Path(onnx_file)
        self.pad_id = pad_id
        self.backend = backend

    def encode(self, texts: Sequence[str], batch_size: int = 32) -> np.ndarray:
        """Embed ``texts`` (prompt prepended) to float32 unit rows of shape (n, dimension)."""
        if isinstance(texts, str):
            raise TypeError("encode() takes a sequence of texts, not a single string")
        items = [self.prompt + text for text in texts]
        out = np.zeros((len(items), self.dimension), dtype=np.float32)
        if not items:
            return out
        # Like sentence-transformers: sort by length so each batch pads little.
        order = np.argsort([-len(text) for text in items], kind="stable")
        for start in range(0, len(items), batch_size):
            chosen = order[start : start + batch_size]
            out[chosen] = self._encode_batch([items[i] for i in chosen])
        return out

    def _encode_batch(self, texts: list[str]) -> np.ndarray:
        encodings = self.tokenizer.encode_batch(texts)
        width = max(len(e.ids) for e in encodings)
        ids = np.full((len(texts), width), self.pad_id, dtype=np.int64)
        mask = np.zeros((len(texts), width), dtype=np.int64)
        for row, encoding in enumerate(encodings):
            ids[row, : len(encoding.ids)] = encoding.ids
            mask[row, : len(encoding.ids)] = 1
        (hidden,) = self.session.run(None, {"input_ids": ids, "attention_mask": mask})
        weights = mask[:, :, None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-9)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        return (pooled / np.maximum(norms, 1e-12)).astype(np.float32)

    def __repr__(self) -> str:
        return f"OnnxSentenceModel(name={self.name!r}, file={self.onnx_file.name!r})"


def load_onnx_model(
    folder: Path,
    name: str,
    prompt: str,
    backend: str = "onnx",
    spinning: bool = True,
) -> OnnxSentenceModel:
    """Export (once) and load ``backend`` (a key of ``ONNX_FILES``: fp32, the int8 forms or
    4-bit blocks, see :func:`export_onnx`) of a local BERT sentence-transformers folder."""
    folder = Path(folder)
    config = json.loads((folder / "config.json").read_text())
    max_length = int(config.get("max_position_embeddings", 512))
    for file, key in (
        ("sentence_bert_config.json", "max_seq_length"),
        ("tokenizer_config.json", "model_max_length"),
    ):
        try:
            value = json.loads((folder / file).read_text()).get(key)
        except (OSError, ValueError):
            continue
        if isinstance(value, int) and value > 0:
            max_length = min(max_length, value)
            break
    pooling_file = folder / "1_Pooling" / "config.json"
    if pooling_file.is_file():
        pooling = json.loads(pooling_file.read_text())
        mean = pooling.get("pooling_mode") == "mean" or pooling.get("pooling_mode_mean_tokens")
        if not mean:
            raise ValueError(f"{folder}: the ONNX backend supports mean pooling only")
    onnx_file = export_onnx(folder, backend)
    return OnnxSentenceModel(
        onnx_file,
        folder / "tokenizer.json",
        name=name,
        dimension=int(config["hidden_size"]),
        prompt=prompt,
        max_length=max_length,
        pad_id=int(config.get("pad_token_id") or 0),
        backend=backend,
        spinning=spinning,
    )
