"""What the engine derives from a posting's text besides its vector: the normalised
posting itself, its lexical tokens, the words they came from, and its key terms."""

from __future__ import annotations

import dataclasses
import sys
from dataclasses import dataclass

from indexer.postings import Posting
from indexer.text import (
    UNDERTHESEA_LOCK,
    detect_language,
    key_terms,
    normalize,
    sentences,
    tokenize_with_surface,
    underthesea,
)
from vocabulary.diacritics import has_diacritics, restore_diacritics, syllables

UNACCENTED_BELOW = 0.2  # a Vietnamese text with fewer marked syllables was typed plain
MAX_EVIDENCE_SENTENCES = 12


@dataclass(frozen=True)
class Features:
    """Lexical features of one posting: ``tokens`` (for BM25), ``surfaces`` (display words
    that differ from their token, see :func:`display_exceptions`) and key ``terms``."""

    tokens: list[str]
    surfaces: dict[str, str]
    terms: list[str]


def prepare(posting: Posting) -> Posting:
    """``posting`` with its text normalised and its language detected when unknown."""
    title, description = normalize(posting.title), normalize(posting.description)
    keywords = tuple(k for k in (normalize(k) for k in posting.keywords) if k)
    language = posting.language or detect_language(f"{title}. {description}")
    return dataclasses.replace(
        posting, title=title, description=description, keywords=keywords, language=language
    )


def typed_without_diacritics(text: str) -> bool:
    """True when fewer than ``UNACCENTED_BELOW`` of the words of a Vietnamese ``text`` carry
    a mark (accented Vietnamese has most of them marked)."""
    words = syllables(text)
    if not words:
        return False
    return sum(1 for w in words if has_diacritics(w)) / len(words) < UNACCENTED_BELOW


def model_view(posting: Posting, restore: bool = True) -> Posting:
    """The posting as the model and the lexical side read it: a Vietnamese posting typed
    without diacritics gets them restored (:mod:`vocabulary.diacritics`); any other
    posting, or ``restore=False``, is returned as it is. The stored posting keeps its text."""
    if not restore or posting.language != "vi" or not typed_without_diacritics(posting.text()):
        return posting
    return dataclasses.replace(
        posting,
        title=restore_diacritics(posting.title),
        description=restore_diacritics(posting.description),
        keywords=tuple(restore_diacritics(k) for k in posting.keywords),
    )


def embedding_text(posting: Posting, segment: bool = False) -> str:
    """The text the model embeds; Vietnamese is word-segmented first when ``segment``."""
    text = posting.text()
    if segment and posting.language == "vi":
        word_tokenize = underthesea().word_tokenize

        with UNDERTHESEA_LOCK:
            text = word_tokenize(text, format="text")
    return text


def evidence_sentences(posting: Posting) -> list[str]:
    """The sentences of a prepared posting's description (at most 12) that sentence-level
    evidence compares (:func:`indexer.scoring.best_aligned_cosine`); the reasons' aligned
    sentences use the same split."""
    return sentences(posting.description, posting.language or "other")[:MAX_EVIDENCE_SENTENCES]


def featurise(posting: Posting, n_terms: int) -> Features:
    """Tokens, display exceptions and the ``n_terms`` key terms of a prepared posting.

    Strings are interned: the same token in many postings is one object in memory."""
    pairs = tokenize_with_surface(posting.text(), posting.language or "other")
    return Features(
        tokens=[sys.intern(token) for token, _ in pairs],
        surfaces=display_exceptions(pairs),
        terms=[sys.intern(t) for t in key_terms(posting, n_terms)],
    )


def display_exceptions(pairs: list[tuple[str, str]]) -> dict[str, str]:
    """``{token: word}`` for the tokens whose first word is not just the token with spaces
    for underscores (stems, mostly): :func:`surface_of` derives the others."""
    out: dict[str, str] = {}
    seen: set[str] = set()
    for token, surface in pairs:
        if token not in seen:
            seen.add(token)
            if surface != token.replace("_", " "):
                out[token] = surface
    return out


def surface_of(exceptions: dict[str, str], token: str) -> str:
    """The word ``token`` came from, given a posting's display exceptions."""
    return exceptions.get(token, token.replace("_", " "))
