"""What a report section reads from the report run (a protocol, so that section modules
need not import :mod:`indexer.evaluation.report`, which imports them)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

from indexer.evaluation.devset import DevSet

if TYPE_CHECKING:
    from models import EmbeddingModel


class SectionContext(Protocol):
    """The fields of :class:`indexer.evaluation.report.EvalContext` a section uses."""

    model: EmbeddingModel
    devset: DevSet
    parts: dict[str, DevSet]
    options: dict[str, Any]
