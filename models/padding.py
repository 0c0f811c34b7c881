"""How much padding an embedding backend's batches carry, measured on the batches it runs.

Every backend's ``encode`` sorts the texts by length before it cuts batches (onnx:
``OnnxSentenceModel.encode``; torch: sentence-transformers), so a batch pads to a
similar length; ``PaddingRecorder`` counts the real and padded tokens of the attention
masks that reach the transformer, ``input_order_padding`` what batches in input order
would carry. Used by ``benchmarks/bench_embedding.py`` and the tests.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any


class PaddingRecorder:
    """Counts the real and padded tokens of every batch a backend runs (the attention mask
    handed to the transformer), while attached to a torch or ONNX model."""

    def __init__(self) -> None:
        self.real = 0
        self.padded = 0

    def add(self, mask: Any) -> None:
        """Count one batch's attention mask (numpy array or torch tensor)."""
        self.real += int(mask.sum())
        self.padded += int(mask.shape[0] * mask.shape[1])

    def share(self) -> float:
        """Pad tokens over all tokens of the batches seen."""
        return round(1 - self.real / self.padded, 4) if self.padded else 0.0

    def attach(self, model: Any) -> Any:
        """Start counting on ``model``; returns what :meth:`detach` needs."""
        if hasattr(model, "session"):  # OnnxSentenceModel
            session = model.session
            recorder = self

            class _Session:
                def run(self, names: Any, feeds: dict[str, Any]) -> Any:
                    recorder.add(feeds["attention_mask"])
                    return session.run(names, feeds)

            model.session = _Session()
            return session
        return model.model.register_forward_pre_hook(
            lambda module, args: self.add(args[0]["attention_mask"])
        )

    @staticmethod
    def detach(model: Any, handle: Any) -> None:
        """Stop counting (undo :meth:`attach`)."""
        if hasattr(model, "session"):
            model.session = handle
        else:
            handle.remove()


def input_order_padding(lengths: list[int], batch_size: int) -> float:
    """Pad share if batches of ``batch_size`` were formed in input order."""
    padded = real = 0
    for start in range(0, len(lengths), batch_size):
        chunk = lengths[start : start + batch_size]
        padded += max(chunk) * len(chunk)
        real += sum(chunk)
    return round(1 - real / padded, 4) if padded else 0.0


def token_lengths(
    folder: Path, texts: list[str], prompt: str = "query: ", max_length: int = 512
) -> list[int]:
    """Token counts of ``texts`` (prompt prepended, at most ``max_length``) by the folder's
    tokenizer."""
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
    tokenizer.enable_truncation(max_length)
    return [len(e.ids) for e in tokenizer.encode_batch([prompt + t for t in texts])]
