"""A read-only summary of an engine's state, for health checks, tests and benchmarks."""

from __future__ import annotations

from dataclasses import dataclass

from indexer.ann import ANNIndex, IVFIndex
from indexer.bias import BiasModel
from indexer.postings import KINDS, Kind
from indexer.retrieval import Retriever
from indexer.store import PostingStore


@dataclass(frozen=True)
class EngineInfo:
    """Sizes and derived-state versions of one engine.

    ``postings``: per kind, postings stored; ``dense`` / ``lexical``: per kind, rows in the
    vector and BM25 indexes (all three agree once the engine is consistent);
    ``lexical_stale``: the BM25 build in use misses writes (rebuilt at the next read or in
    the background); ``lexical_version``: BM25 builds installed so far; ``approximate``:
    the vector index answers approximately (IVF); ``bias_fitted_on``: vectors the language
    statistics were fitted on; ``reference_sizes``: rows of each ``kind:language``
    reference sample; ``term_vectors``: key terms with a vector."""

    postings: dict[Kind, int]
    dense: dict[Kind, int]
    lexical: dict[Kind, int]
    lexical_stale: dict[Kind, bool]
    lexical_version: dict[Kind, int]
    approximate: dict[Kind, bool]
    bias_fitted_on: int
    reference_sizes: dict[str, int]
    term_vectors: int
    embedded_count: int

    @property
    def size(self) -> int:
        """Every stored posting."""
        return sum(self.postings.values())


def describe(
    store: PostingStore, bias: BiasModel, retriever: Retriever, embedded_count: int
) -> EngineInfo:
    """The :class:`EngineInfo` of an engine made of these parts."""
    counts: dict[Kind, int] = dict.fromkeys(KINDS, 0)
    for posting in store:
        counts[posting.kind] += 1
    return EngineInfo(
        postings=counts,
        dense={k: len(retriever.ann[k]) for k in KINDS},
        lexical={k: len(retriever.lex[k]) for k in KINDS},
        lexical_stale={k: retriever.lex[k].stale for k in KINDS},
        lexical_version={k: retriever.lex[k].version for k in KINDS},
        approximate={k: _approximate(retriever.ann[k]) for k in KINDS},
        bias_fitted_on=bias.stats.fitted_on,
        reference_sizes={k: len(v) for k, v in bias.reference_ids.items()},
        term_vectors=len(store.term_vectors),
        embedded_count=embedded_count,
    )


def _approximate(index: ANNIndex) -> bool:
    return bool(getattr(index, "approximate", isinstance(index, IVFIndex)))
