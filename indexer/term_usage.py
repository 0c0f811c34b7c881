"""Which key terms the postings of the other kind use, and the words they use instead.

A posting's key term is *used* by counterparts when its folded form (case and diacritics
ignored) occurs in the text of at least one counterpart, or when one counterpart key term
means the same (term-vector cosine at the link threshold of :mod:`indexer.reasons`, so
across languages too). For an unused term, :func:`term_usage` lists first the glossary's
other terms for the same concept (``vocabulary/glossary.tsv``: synonyms and translations)
that some counterpart writes — words known to mean the same —, then the counterpart key
terms nearest to it by cosine: the words the other side writes instead. Pure functions
over a :class:`indexer.store.PostingStore`; the engine's state is never changed.
"""

from __future__ import annotations

import threading
import unicodedata
from collections import OrderedDict
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np

from indexer.store import PostingStore
from vocabulary.glossary import Glossary

#: Cosine from which a counterpart's key term counts as the same term said otherwise (the
#: single-word link threshold the reasons used before they moved to phrases).
LINK_THRESHOLD = 0.90
#: How many counterpart words an unused term lists at most.
ALTERNATIVES = 8
#: Cosine under which a counterpart term is too far away to be offered as an alternative.
ALTERNATIVE_FLOOR = 0.85


@dataclass(frozen=True)
class TermUse:
    """One key term of a posting: ``users`` counterparts contain it (or a linked term);
    ``instead`` the words to write instead, filled only when nobody uses it: its first
    ``from_glossary`` are the glossary's (same concept), the rest nearest key terms."""

    term: str
    users: int
    instead: list[str] = field(default_factory=list)
    from_glossary: int = 0


#: Folded posting texts kept (least recently used dropped): the coach reads every active
#: counterpart's folded text on each write, and folding 45,000 texts takes seconds of CPU
#: (about 2.4 s: a POST at 100,000 postings took 3 s). Bounded; each entry is the folded
#: text under the 64-bit hash of the original (about 560 bytes for 450 characters): keyed by
#: the text itself, the cache kept every posting's joined text alive too (about 1.5 KB each).
FOLDED_TEXTS = 1 << 17


def fold(text: str) -> str:
    """Case- and diacritics-folded text with single spaces ("Đảo chuyển" → "dao chuyen")."""
    decomposed = unicodedata.normalize("NFD", text.casefold().replace("đ", "d"))
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " " + " ".join("".join(c if c.isalnum() else " " for c in plain).split()) + " "


class FoldedTexts:
    """A bounded least-recently-used map from a text's hash to its :func:`fold`, safe
    across threads. Two texts of one 64-bit hash would share a fold (about 1 in 10⁹ at
    the bound): a hint's count off by one, never a match."""

    def __init__(self, size: int = FOLDED_TEXTS) -> None:
        self.size = size
        self._folded: OrderedDict[int, str] = OrderedDict()
        self._lock = threading.Lock()

    def __call__(self, text: str) -> str:
        key = hash(text)
        with self._lock:
            hit = self._folded.get(key)
            if hit is not None:
                self._folded.move_to_end(key)
                return hit
        folded = fold(text)
        with self._lock:
            self._folded[key] = folded
            if len(self._folded) > self.size:
                self._folded.popitem(last=False)
        return folded

    def __len__(self) -> int:
        return len(self._folded)

    def clear(self) -> None:
        """Forget every fold."""
        with self._lock:
            self._folded.clear()


#: :func:`fold` of a posting's text, remembered (see :data:`FOLDED_TEXTS`).
folded_text = FoldedTexts()


@dataclass
class Vocabulary:
    """The counterparts' side: each one's folded text, and every distinct key term with
    its language, its unit vector (rows of ``matrix``) and whether it may be offered as
    an alternative (``near``)."""

    texts: list[str]
    terms: list[str]
    languages: list[str]
    near: np.ndarray
    matrix: np.ndarray


def counterpart_vocabulary(
    store: PostingStore, ids: Iterable[int], near: Collection[int] | None = None
) -> Vocabulary:
    """The folded texts and key-term vectors of the indexed postings ``ids``; only the
    terms of those in ``near`` (all when ``None``) may be offered as alternatives, so
    that they come from the counterparts a posting is nearest to, about its subject."""
    texts: list[str] = []
    terms: dict[str, tuple[str, bool]] = {}
    for posting_id in ids:
        posting = store.get(posting_id)
        if posting is None:
            continue
        texts.append(folded_text(posting.text()))
        close = near is None or posting_id in near
        for term in store.terms.get(posting_id, []):
            if term in store.term_vectors:
                language, was_close = terms.get(term, (posting.language or "other", False))
                terms[term] = (language, was_close or close)
    names = list(terms)
    if names:
        matrix = np.stack([store.term_vectors[t] for t in names]).astype(np.float32)
    else:
        matrix = np.zeros((0, store.dimension), dtype=np.float32)
    return Vocabulary(
        texts=texts,
        terms=names,
        languages=[terms[t][0] for t in names],
        near=np.array([terms[t][1] for t in names], dtype=bool),
        matrix=matrix,
    )


def term_usage(
    terms: Sequence[str],
    vectors: np.ndarray,
    vocabulary: Vocabulary,
    language: str | None = None,
    alternatives: int = ALTERNATIVES,
    glossary: Glossary | None = None,
) -> list[TermUse]:
    """How many counterparts use each of ``terms`` (one row of ``vectors`` per term) and,
    for the unused ones, the words to write instead: the ``glossary``'s other terms of the
    term's concept that some counterpart's text contains (:func:`glossary_alternatives`),
    then the nearest counterpart key terms above :data:`ALTERNATIVE_FLOOR` whose folded
    form differs from the term's — each group written in ``language`` first (a poster
    reuses words of its own language more readily)."""
    out: list[TermUse] = []
    cosines = (
        vectors @ vocabulary.matrix.T
        if len(vocabulary.terms) and len(terms)
        else np.zeros((len(terms), 0), dtype=np.float32)
    )
    for row, term in enumerate(terms):
        needle = fold(term)
        users = sum(1 for text in vocabulary.texts if needle in text)
        similar = cosines[row]
        if users == 0 and similar.size and float(similar.max()) >= LINK_THRESHOLD:
            users = 1  # another word for the same thing (often the other language's)
        instead: list[str] = []
        if users == 0 and glossary is not None:
            instead = glossary_alternatives(term, glossary, vocabulary.texts, language)
            instead = instead[:alternatives]
        known = len(instead)
        if users == 0 and len(instead) < alternatives:
            near = [
                int(i)
                for i in np.argsort(-similar)
                if similar[i] >= ALTERNATIVE_FLOOR and vocabulary.near[i]
            ]
            near.sort(key=lambda i: vocabulary.languages[i] != language)  # stable: by cosine
            for index in near:
                word = vocabulary.terms[index]
                if fold(word) != needle and fold(word) not in {fold(w) for w in instead}:
                    instead.append(word)
                if len(instead) >= alternatives:
                    break
        out.append(TermUse(term=term, users=users, instead=instead, from_glossary=known))
    return out


def glossary_alternatives(
    term: str, glossary: Glossary, texts: Sequence[str], language: str | None = None
) -> list[str]:
    """The glossary's other terms of ``term``'s concepts (synonyms, translations) that at
    least one of the folded counterpart ``texts`` contains, in glossary order; the ones of
    ``language`` first (Vietnamese terms carry diacritics, English ones do not)."""
    found = [t for t in glossary.translations(term) if any(fold(t) in text for text in texts)]
    if language in ("vi", "en"):
        found.sort(key=lambda t: _is_vietnamese(t) != (language == "vi"))
    return found


def _is_vietnamese(term: str) -> bool:
    return any(ord(c) > 0x7F for c in term)
