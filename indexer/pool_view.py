"""The pool as explanations see it: :class:`indexer.reasons.ExplanationSource` over the
engine's parts (tokens, display forms, key terms and their vectors, IDF, the bias
correction, the model's encoder) and the phrase cache of :mod:`indexer.phrases`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from indexer.bias import BiasModel
from indexer.phrases import PhraseCache, PostingPhrases
from indexer.postings import Kind, Posting
from indexer.retrieval import Retriever
from indexer.store import PostingStore

if TYPE_CHECKING:
    from models import EmbeddingModel


class PoolView:
    """Read-only access to what explaining a pair needs (see :mod:`indexer.reasons`)."""

    def __init__(
        self, store: PostingStore, retriever: Retriever, bias: BiasModel, model: EmbeddingModel
    ) -> None:
        self.store, self.retriever, self.bias, self.model = store, retriever, bias, model
        self.phrase_cache = PhraseCache(lambda texts: model.encode(texts, 64), model.dimension)

    def phrases(self, posting: Posting, compute: bool = True) -> PostingPhrases | None:
        """Candidate phrases of a posting and their vectors (extracted once per text);
        without ``compute``, only a cached entry (else ``None``)."""
        if compute:
            return self.phrase_cache.get(posting)
        return self.phrase_cache.peek(posting)

    def tokens_of(self, posting_id: int) -> list[str]:
        """Lexical tokens of an indexed posting."""
        return self.store.tokens.get(posting_id, [])

    def surface(self, posting_id: int, token: str) -> str:
        """The word a lexical token came from in a posting's text (for display)."""
        return self.store.surface(posting_id, token)

    def terms_of(self, posting_id: int) -> list[str]:
        """Key terms of an indexed posting, most characteristic first."""
        return self.store.terms.get(posting_id, [])

    def term_vector(self, term: str) -> np.ndarray | None:
        """Embedding of a key term (computed when its posting was indexed)."""
        return self.store.term_vectors.get(term)

    def idf(self, kind: Kind, token: str) -> float:
        """Inverse document frequency of a token among postings of ``kind``."""
        return self.retriever.lex[kind].idf(token)

    def correct(self, vectors: np.ndarray, language: str) -> np.ndarray:
        """Apply the pool's bias correction to vectors of texts in ``language``."""
        return self.bias.correct(vectors, [language] * len(vectors))

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Embeddings of ``texts`` by the pool's model (for sentence alignment)."""
        return self.model.encode(texts)
