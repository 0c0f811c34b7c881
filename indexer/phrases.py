"""Candidate content phrases of a posting, for the reasons of a pair.

A phrase is a run of one to ``MAX_WORDS`` words inside a *chunk*: a stretch of text that
holds no punctuation, stop word, number or name. Vietnamese is tagged with underthesea
(``ner``: words, POS and named entities, offline), then cut into syllables so that a
multi-syllable term stays whole even where the segmenter splits it wrongly ("oxy hòa tan",
"cảm biến"); English is cut over the stop word list (no POS). Names never give phrases:
underthesea's proper nouns (``Np``) and capitalised ORG/PER/LOC entities, capitalised
words inside an English sentence, and every place of :data:`vocabulary.places.PLACES`
("Khánh Hòa" gives no "hòa"). Acronyms (``TOS``, ``pH``, ``HACCP``) are content words.

:class:`PhraseCache` extracts once per posting (keyed by id and text hash) and embeds
each distinct phrase once, so explaining a pair only compares cached vectors.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from indexer.postings import Posting
from indexer.text import UNDERTHESEA_LOCK, normalize, stop_words, underthesea
from vocabulary.glossary import glossary
from vocabulary.places import PLACES

MAX_WORDS = 4
MAX_GLOSSARY_WORDS = 7  # a glossary term may be longer ("nước thải chế biến thủy sản")
_TOKEN = re.compile(r"[^\W_]+(?:[-.'’/][^\W_]+)*|[^\w\s]", re.UNICODE)
_CONTENT_TAGS = frozenset({"N", "Nc", "Ny", "Nb", "V", "A", "FW", "Vb", "Nu"})
_NAME_ENTITIES = ("ORG", "PER", "LOC", "MISC")
# Words that the stop list keeps but that never make a reason on their own or in a phrase.
_EN_GENERIC = frozenset(
    [
        "need",
        "needs",
        "needed",
        "want",
        "wants",
        "looking",
        "like",
        "many",
        "much",
        "big",
        "enough",
        "long",
        "every",
        "new",
        "able",
        "use",
        "used",
        "using",
        "make",
        "makes",
        "made",
        "get",
        "gets",
        "also",
        "days",
        "day",
        "time",
        "times",
        "way",
        "ways",
        "lot",
        "lots",
        "one",
        "two",
        "three",
        "without",
        "within",
        "around",
        "across",
        "per",
        "via",
        "etc",
        "well",
    ]
)


@dataclass(frozen=True)
class Phrase:
    """One candidate phrase: ``text`` as shown, ``key`` folded for comparison, its
    ``words`` (folded), whether it is a lone Vietnamese syllable, its ``position``."""

    text: str
    key: str
    words: tuple[str, ...]
    lone_syllable: bool
    position: int


@lru_cache(maxsize=65536)  # pure; reasons fold the same words (and place names) per pair
def fold(term: str) -> str:
    """Case- and diacritics-folded form: "Hòa" and "hoa" are the same word here."""
    decomposed = unicodedata.normalize("NFD", term.casefold().replace("đ", "d"))
    return " ".join("".join(c for c in decomposed if not unicodedata.combining(c)).split())


def is_acronym(word: str) -> bool:
    """``TOS``, ``pH``, ``4G``, ``D-2``: two or more letters/digits with a capital inside."""
    letters = [c for c in word if c.isalnum()]
    return len(letters) >= 2 and sum(c.isupper() for c in word) >= 1 and not word.istitle()


@lru_cache(maxsize=1)
def _places() -> dict[str, list[tuple[str, ...]]]:
    """Folded place names by their first word, longest first."""
    out: dict[str, list[tuple[str, ...]]] = {}
    for place in PLACES:
        words = tuple(w for w in fold(place).replace("-", " ").split() if w)
        if words:
            out.setdefault(words[0], []).append(words)
    for variants in out.values():
        variants.sort(key=len, reverse=True)
    return out


def _mask_places(folded: list[str], masked: list[bool]) -> None:
    """Mark the words of every place name found in ``folded`` (a word sequence)."""
    places = _places()
    for i, word in enumerate(folded):
        for place in places.get(word, ()):
            if tuple(folded[i : i + len(place)]) == place:
                for j in range(i, i + len(place)):
                    masked[j] = True
                break


@dataclass
class _Word:
    text: str
    content: bool  # may be part of a phrase
    lone_ok: bool  # may be a phrase on its own
    starts: bool = True  # begins a word of the segmenter (Vietnamese syllables)
    ends: bool = True  # ends a word of the segmenter
    soft: bool = False  # kept out only as a stop/generic word: may sit inside a glossary term


def _vi_words(text: str) -> list[_Word]:
    """Syllables of a Vietnamese text with what may be a phrase (underthesea ner)."""
    ner = underthesea().ner

    stops = stop_words("vi") | stop_words("en")
    out: list[_Word] = []
    with UNDERTHESEA_LOCK:
        tagged = ner(text)
    entity_masked = [False] * len(tagged)
    i = 0
    while i < len(tagged):  # capitalised ORG/PER/LOC entities are names
        tag = tagged[i][3]
        if tag.startswith("B-") and tag[2:] in _NAME_ENTITIES:
            j = i + 1
            while j < len(tagged) and tagged[j][3] == f"I-{tag[2:]}":
                j += 1
            if tagged[i][0][:1].isupper() and not is_acronym(tagged[i][0]):
                for k in range(i, j):
                    entity_masked[k] = True
            i = j
        else:
            i += 1
    for (word, pos, _, _), named in zip(tagged, entity_masked, strict=True):
        syllables = word.split()
        key = word.lower().replace(" ", "_")
        acronym = is_acronym(word)
        name = named or (pos == "Np" and not acronym)
        is_word = any(c.isalpha() for c in word)
        number = any(c.isdigit() for c in word) and not acronym
        content = is_word and not name and not number and (key not in stops or acronym)
        lone = content and (acronym or pos in _CONTENT_TAGS)
        last = len(syllables) - 1
        soft = is_word and not name and not number
        for k, syllable in enumerate(syllables):
            out.append(_Word(syllable, content, lone and last == 0, k == 0, k == last, soft))
    return out


def _en_words(text: str) -> list[_Word]:
    """Words of an English text; stop words, numbers and mid-sentence names cut chunks."""
    stops = stop_words("en")
    out: list[_Word] = []
    sentence_start = True
    for token in _TOKEN.findall(text):
        if not token[0].isalnum():
            out.append(_Word(token, False, False))
            sentence_start = token in ".!?:;"
            continue
        acronym = is_acronym(token)
        name = token[0].isupper() and not acronym and not sentence_start
        number = any(c.isdigit() for c in token) and not acronym
        generic = token.lower() in stops or token.lower() in _EN_GENERIC
        content = not name and not number and (not generic or acronym)
        lone = content and (acronym or len(token) > 2)
        out.append(_Word(token, content, lone, soft=not name and not number))
        sentence_start = False
    return out


def _segment_phrases(words: list[_Word], vietnamese: bool, start: int, free: bool) -> list[Phrase]:
    """Phrases of one segment; outside ``free`` segments (keywords, title) a Vietnamese
    phrase starts and ends where the segmenter's words do (fewer, saner candidates)."""
    folded = [fold(w.text) for w in words]
    masked = [not w.content for w in words]
    _mask_places(folded, masked)
    out: list[Phrase] = []
    for i in range(len(words)):
        for n in range(1, MAX_WORDS + 1):
            span = range(i, i + n)
            if i + n > len(words) or any(masked[j] for j in span):
                break
            if n == 1 and not words[i].lone_ok:
                continue
            if not free and not (words[i].starts and words[i + n - 1].ends):
                continue
            shown = [w.text if is_acronym(w.text) else w.text.lower() for w in words[i : i + n]]
            text = " ".join(shown)
            lone = vietnamese and n == 1 and not is_acronym(words[i].text)
            lone = lone and (any(ord(c) > 0x7F for c in text) or len(text) < 5)
            out.append(Phrase(text, fold(text), tuple(folded[i : i + n]), lone, start + i))
    return out + _glossary_phrases(words, folded, start)


def _glossary_phrases(words: list[_Word], folded: list[str], start: int) -> list[Phrase]:
    """Runs of two to ``MAX_GLOSSARY_WORDS`` words that the glossary names as one term,
    kept whole even where the chunk rules would cut them: across a stop word ("chủ hàng",
    "theo ca", "in real time"), across the segmenter's word boundaries ("máy xay xát" in
    "nhà máy xay xát") or longer than ``MAX_WORDS`` ("áp lực nước lỗ rỗng"). Names,
    places, numbers and punctuation still cut them."""
    terms = glossary()
    place = [False] * len(words)
    _mask_places(folded, place)
    out: list[Phrase] = []
    for i in range(len(words)):
        for n in range(2, MAX_GLOSSARY_WORDS + 1):
            span = range(i, i + n)
            if i + n > len(words) or any(
                place[j] or not (words[j].content or words[j].soft) for j in span
            ):
                break
            shown = [w.text if is_acronym(w.text) else w.text.lower() for w in words[i : i + n]]
            text = " ".join(shown)
            if terms.concepts_of(text):
                out.append(Phrase(text, fold(text), tuple(folded[i : i + n]), False, start + i))
    return out


def extract_phrases(posting: Posting) -> list[Phrase]:
    """Distinct candidate phrases of a prepared posting (keywords, title, description),
    first occurrence first."""
    vietnamese = posting.language == "vi"
    segments = [(k, True) for k in posting.keywords]
    segments += [(posting.title, True), (posting.description, False)]
    seen: dict[str, Phrase] = {}
    offset = 0
    for segment, free in segments:
        text = normalize(segment)
        if not text:
            continue
        words = _vi_words(text) if vietnamese else _en_words(text)
        for phrase in _segment_phrases(words, vietnamese, offset, free):
            seen.setdefault(phrase.key, phrase)
        offset += len(words) + 1
    return list(seen.values())


@dataclass(frozen=True)
class PostingPhrases:
    """A posting's phrases and their embeddings (rows of ``vectors``, unit length)."""

    phrases: list[Phrase]
    vectors: np.ndarray


class PhraseCache:
    """Phrases per posting (keyed by id and content hash) and one vector per phrase text."""

    def __init__(self, encode: Callable[[Sequence[str]], np.ndarray], dimension: int) -> None:
        self._encode = encode
        self._dimension = dimension
        self._postings: dict[int, tuple[str, PostingPhrases]] = {}
        self._vectors: dict[str, np.ndarray] = {}

    def __len__(self) -> int:
        return len(self._postings)

    def peek(self, posting: Posting) -> PostingPhrases | None:
        """The cached entry of this posting's current text, or ``None``."""
        cached = self._postings.get(posting.id)
        if cached is not None and cached[0] == posting.content_hash():
            return cached[1]
        return None

    def get(self, posting: Posting) -> PostingPhrases:
        """The posting's phrases with vectors, extracted and embedded on first use."""
        digest = posting.content_hash()
        cached = self._postings.get(posting.id)
        if cached is not None and cached[0] == digest:
            return cached[1]
        phrases = extract_phrases(posting)
        missing = list(dict.fromkeys(p.text for p in phrases if p.text not in self._vectors))
        if missing:
            self._vectors.update(zip(missing, self._encode(missing), strict=True))
        vectors = (
            np.stack([self._vectors[p.text] for p in phrases]).astype(np.float32)
            if phrases
            else np.zeros((0, self._dimension), np.float32)
        )
        entry = PostingPhrases(phrases, vectors)
        self._postings[posting.id] = (digest, entry)
        return entry

    def forget(self, posting_id: int) -> None:
        """Drop a posting's entry (its phrase vectors stay: other postings may share them)."""
        self._postings.pop(posting_id, None)
