"""Glossary-bridged lexical evidence: the VI ↔ EN concepts two postings both mention.

BM25 cannot see that "xử lý nước thải" and "wastewater treatment" say the same; the
glossary (:mod:`vocabulary.glossary`) can. Each posting's text is read for the glossary's
terms (every phrase of up to :data:`MAX_WORDS` words, folded as the glossary folds them, a
phrase with diacritics matching only the accented form, a bare word an accented term only
in Vietnamese typed without marks, an all-capital glossary term such as "DO" only a word
typed in capitals), which gives the posting's concept ids. A pair's
``concept`` part is the share of the need's concept weight that the offer mentions too,
each concept weighted by its inverse document frequency over the pool (so "hệ thống" counts
little, "độ mặn" much), scaled down when the need's whole concept weight is below
:data:`FULL_WEIGHT` (a short text with one common concept): the same number whatever the
languages of the two sides.

In: postings (and the :class:`~vocabulary.glossary.Glossary`, any one); out: per pair a
number in [0, 1] (:meth:`ConceptIndex.pair_score`) and the shared concept ids.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Iterable, Mapping
from functools import lru_cache

import numpy as np

from indexer.features import UNACCENTED_BELOW
from indexer.postings import Posting
from vocabulary.glossary import Glossary, glossary, glossary_key

MAX_WORDS = 6
#: the need's concept weight (sum of its concepts' IDF) from which its share counts in full;
#: below it the share is scaled down in proportion. A short text naming one common word of the
#: glossary ("mưa", "lái xe") proved nothing, yet got the whole share when a same-language
#: text repeated that word while its translation phrased it otherwise ("raining", "drive"):
#: bitext mixed pool through the engine, Tatoeba 0.854 → 0.921, IWSLT 0.843 → 0.959; the dev
#: set's rankings do not move (5 of its 101 needs weigh less; README, issue 15 levers).
FULL_WEIGHT = 20.0
#: how texts are read for terms; bumped at every change of what a text mentions, so that the
#: mentions an index saved (:meth:`ConceptIndex.to_arrays`) are read again. 2: a bare word
#: matches an accented term only in Vietnamese typed without marks (:func:`posting_mentions`).
MATCHER = 2
_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")

Mentions = dict[int, int]  # concept id → how many times the text mentions it


@lru_cache(maxsize=65536)
def _word_keys(word: str) -> tuple[str, str, bool, bool]:
    """``(folded, accented, has diacritics, typed in capitals)`` of one word."""
    accented = glossary_key(word, True)
    folded = glossary_key(word)
    return folded, accented, folded != accented, word.isupper()


class ConceptLexicon:
    """The glossary's terms as lookup keys (folded, accented, capitals) with the longest
    phrase starting at each first word, for a fast scan of a text."""

    def __init__(self, source: Glossary) -> None:
        self.folded: dict[str, set[int]] = {}
        self.accented: dict[str, set[int]] = {}
        self.capitals: dict[str, set[int]] = {}  # all-capital terms: only typed in capitals
        self.longest: dict[str, int] = {}  # first folded word → most words of a term
        self.prefixes: set[str] = set()  # every folded term's first 1, 2, … words
        for index, concept in enumerate(source.concepts):
            for term in concept.terms:
                folded = glossary_key(term)
                if not folded:
                    continue
                if term.isupper():
                    self.capitals.setdefault(folded, set()).add(index)
                elif folded != glossary_key(term, True):
                    self.accented.setdefault(glossary_key(term, True), set()).add(index)
                    self.folded.setdefault(folded, set()).add(index)
                else:
                    self.folded.setdefault(folded, set()).add(index)
                    self.accented.setdefault(folded, set()).add(index)
                words = folded.split()
                for n in range(1, len(words) + 1):
                    self.prefixes.add(" ".join(words[:n]))
                first = words[0]
                self.longest[first] = max(self.longest.get(first, 0), min(len(words), MAX_WORDS))

    def mentions(self, text: str, fold_marks: bool | None = True) -> Mentions:
        """Concept id → count of the glossary terms ``text`` contains (overlapping phrases
        all count: "nhận dạng biển số" names the recognition and the plate). With
        ``fold_marks`` False a word typed without marks is taken as written: it matches a
        term without marks only ("cong" is not "cổng", "can" not "cân"), as in a text whose
        words carry their marks or in English (see :func:`posting_mentions`). ``None``: as
        the text was typed, bare when fewer than ``UNACCENTED_BELOW`` of its words carry a
        mark (the rule of :func:`~indexer.features.typed_without_diacritics`)."""
        words = _WORD.findall(text)
        keys = [_word_keys(w) for w in words]
        if fold_marks is None:  # numbers are no words here
            counted = [k[2] for w, k in zip(words, keys, strict=True) if not w.isdecimal()]
            fold_marks = not counted or sum(counted) / len(counted) < UNACCENTED_BELOW
        out: Mentions = {}
        prefixes = self.prefixes
        for start in range(len(keys)):
            folded = accented = ""
            marked, capitals = False, True
            for f, a, m, c in keys[start : start + self.longest.get(keys[start][0], 0)]:
                folded = f"{folded} {f}" if folded else f
                if folded not in prefixes:
                    break
                accented = f"{accented} {a}" if accented else a
                marked, capitals = marked or m, capitals and c
                if marked or not fold_marks:
                    found = self.accented.get(accented, ())
                else:
                    found = self.folded.get(folded, ())
                if capitals:
                    found = set(found) | self.capitals.get(folded, set())
                for concept in found:
                    out[concept] = out.get(concept, 0) + 1
        return out


@lru_cache(maxsize=4)
def _lexicon(source: Glossary) -> ConceptLexicon:
    return ConceptLexicon(source)


def posting_mentions(posting: Posting, source: Glossary | None = None) -> Mentions:
    """The concepts a posting's title, description and keywords mention (see module). Only
    Vietnamese typed without marks (fewer than ``UNACCENTED_BELOW`` of its words marked)
    matches the glossary's accented terms by their bare form: elsewhere a bare word is one
    the poster wrote bare — English "can" or "say", Vietnamese "cong", "tao" or the name
    "Tom" amid marked words — and naming "cân", "sấy", "cổng", "tảo" or "tôm" by it made
    a bitext sentence share a concept with an unrelated one (README, issue 15 levers)."""
    fold = False if posting.language == "en" else None  # None: as the text was typed
    return _lexicon(source or glossary()).mentions(posting.text(), fold_marks=fold)


class ConceptIndex:
    """Each indexed posting's concepts and every concept's document frequency over the pool,
    kept in step with the engine's writes (:meth:`put`, :meth:`remove`)."""

    def __init__(self, source: Glossary | None = None, full_weight: float = FULL_WEIGHT) -> None:
        """``full_weight``: see :data:`FULL_WEIGHT` (0: the plain share)."""
        self.glossary = source or glossary()
        self.full_weight = full_weight
        self._of: dict[int, tuple[str, Mentions]] = {}  # id → (content hash, mentions)
        self.df: dict[int, int] = {}
        #: need id → (its concepts with their IDF, their sum); forgotten at every write
        self._weights: dict[int, tuple[list[tuple[int, float]], float]] = {}

    def __len__(self) -> int:
        return len(self._of)

    def reset(self, postings: Iterable[Posting]) -> None:
        """Forget everything and read ``postings``."""
        self._of.clear()
        self.df.clear()
        self._weights.clear()
        for posting in postings:
            self.put(posting)

    def fingerprint(self) -> str:
        """A digest of the glossary's concepts and of :data:`MATCHER`: saved mentions are
        valid only for both (an index saved by another matcher is read again at start)."""
        lines = ("\t".join((*c.vi, "|", *c.en)) for c in self.glossary.concepts)
        text = "\n".join(lines) + (f"\nmatcher {MATCHER}" if MATCHER > 1 else "")
        return hashlib.sha1(text.encode("utf-8")).hexdigest()

    def to_arrays(self) -> dict[str, np.ndarray]:
        """Every posting's mentions as flat arrays (saved with the index, so that a restart
        does not read every text again: about 0.2 ms per posting)."""
        ids = sorted(self._of)
        ends: list[int] = []
        concepts: list[int] = []
        counts: list[int] = []
        for posting_id in ids:
            found = self._of[posting_id][1]
            concepts.extend(found)
            counts.extend(found.values())
            ends.append(len(concepts))
        return {
            "concepts_ids": np.asarray(ids, np.int64),
            "concepts_ends": np.asarray(ends, np.int64),
            "concepts_concept": np.asarray(concepts, np.int32),
            "concepts_count": np.asarray(counts, np.int32),
            "concepts_glossary": np.frombuffer(self.fingerprint().encode("ascii"), np.uint8),
        }

    def restore(
        self,
        arrays: Mapping[str, np.ndarray],
        postings: Mapping[int, Posting],
        hashes: Mapping[int, str] | None = None,
    ) -> bool:
        """Read ``postings``, taking the mentions :meth:`to_arrays` saved for them (a posting
        saved without them is read from its text); False, and nothing taken, when the arrays
        are absent or of another glossary. ``hashes``: the postings' content hashes where
        known (the store's), so that a restart hashes no text again."""
        try:
            saved = arrays["concepts_glossary"].tobytes().decode("ascii")
            ids = np.asarray(arrays["concepts_ids"], dtype=np.int64)
            ends = np.asarray(arrays["concepts_ends"], dtype=np.int64)
            concepts = np.asarray(arrays["concepts_concept"], dtype=np.int64)
            counts = arrays["concepts_count"]
        except (KeyError, UnicodeDecodeError):
            return False
        last = int(ends[-1]) if len(ends) else 0
        if saved != self.fingerprint() or len(ends) != len(ids) or len(concepts) != len(counts):
            return False
        if last != len(concepts) or (len(ends) and bool((np.diff(ends) < 0).any())):
            return False
        self._of.clear()
        self.df.clear()
        self._weights.clear()
        hashes = hashes or {}
        present = np.fromiter((i in postings for i in ids.tolist()), dtype=bool, count=len(ids))
        starts = np.concatenate([[0], ends[:-1]]) if len(ends) else ends
        concept_list, count_list = concepts.tolist(), counts.tolist()
        for posting_id, a, b in zip(
            ids[present].tolist(), starts[present].tolist(), ends[present].tolist(), strict=True
        ):
            content = hashes.get(posting_id) or postings[posting_id].content_hash()
            self._of[posting_id] = (
                content,
                dict(zip(concept_list[a:b], count_list[a:b], strict=True)),
            )
        # document frequency in one pass (a posting's saved concepts are distinct: dict keys)
        kept = np.repeat(present, ends - starts) if len(ends) else np.zeros(0, bool)
        found, df = np.unique(concepts[kept], return_counts=True)
        self.df = dict(zip(found.tolist(), df.tolist(), strict=True))
        for posting_id, posting in postings.items():
            if posting_id not in self._of:
                self.put(posting)
        return True

    def sync(self, ids: Iterable[int], postings: Mapping[int, Posting]) -> None:
        """After a write of ``ids``: each one re-read from ``postings`` (removed when absent)."""
        for posting_id in ids:
            posting = postings.get(posting_id)
            if posting is None:
                self.remove(posting_id)
            else:
                self.put(posting)

    def put(self, posting: Posting) -> None:
        """Add or replace a posting (its text read again only when its content changed)."""
        content = posting.content_hash()
        old = self._of.get(posting.id)
        if old is not None and old[0] == content:
            return
        self.remove(posting.id)
        self._weights.clear()
        found = posting_mentions(posting, self.glossary)
        self._of[posting.id] = (content, found)
        for concept in found:
            self.df[concept] = self.df.get(concept, 0) + 1

    def remove(self, posting_id: int) -> None:
        """Drop a posting (unknown ids are ignored)."""
        old = self._of.pop(posting_id, None)
        if old is None:
            return
        self._weights.clear()
        for concept in old[1]:
            left = self.df[concept] - 1
            if left:
                self.df[concept] = left
            else:
                del self.df[concept]

    def concepts(self, posting_id: int) -> Mentions:
        """The mentions of an indexed posting (empty for an unknown id)."""
        found = self._of.get(posting_id)
        return found[1] if found else {}

    def idf(self, concept: int) -> float:
        """BM25's inverse document frequency of a concept over the indexed postings."""
        n, df = len(self._of), self.df.get(concept, 0)
        return math.log(1.0 + (n - df + 0.5) / (df + 0.5))

    def shared(self, need_id: int, offer_id: int) -> list[int]:
        """Concept ids both postings mention, the rarest first."""
        offer = self.concepts(offer_id)
        both = [c for c in self.concepts(need_id) if c in offer]
        return sorted(both, key=lambda c: (self.df.get(c, 0), c))

    def pair_score(self, need_id: int, offer_id: int) -> float:
        """The IDF-weighted share of the need's concepts that the offer mentions, in [0, 1]
        (0 when the need mentions none), scaled by ``min(1, need's weight / full_weight)``."""
        offer = self.concepts(offer_id)
        if not offer:
            return 0.0
        weights = self._weights.get(need_id)
        if weights is None:
            items = [(c, self.idf(c)) for c in self.concepts(need_id)]
            weights = (items, sum(w for _, w in items))
            self._weights[need_id] = weights
        items, total = weights
        if total <= 0:
            return 0.0
        share = sum(w for c, w in items if c in offer) / total
        if self.full_weight > 0:  # a need with little concept weight proves little
            share *= min(1.0, total / self.full_weight)
        return share
