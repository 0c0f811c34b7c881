"""Text handling: normalisation, offline language detection, lexical tokens.

The dense side embeds normalised text as it is; the lexical side (BM25, key
terms, explanations) works on underthesea-segmented, lower-cased tokens with
stop words removed.
"""

from __future__ import annotations

import html
import importlib
import re
import sys
import threading
import unicodedata
from functools import lru_cache
from importlib import resources
from types import ModuleType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from indexer.postings import Posting

_ZERO_WIDTH = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)
_WS = re.compile(r"\s+")
# Letters only Vietnamese uses among Latin-script languages (after NFC).
_VI_UNIQUE = set(
    "ăắằẳẵặđơớờởỡợưứừửữựạảẹẻẽềếểễệỉịọỏồốổỗộụủỳỵỷỹấầẩẫậ"
    "ĂẮẰẲẴẶĐƠỚỜỞỠỢƯỨỪỬỮỰẠẢẸẺẼỀẾỂỄỆỈỊỌỎỒỐỔỖỘỤỦỲỴỶỸẤẦẨẪẬ"
)
_VI_PLAIN_WORDS = frozenset(
    {
        "cua",
        "va",
        "cho",
        "cac",
        "nhung",
        "trong",
        "duoc",
        "khong",
        "nguoi",
        "cong",
        "nghe",
        "he",
        "thong",
        "san",
        "xuat",
        "can",
        "mot",
        "voi",
        "la",
        "de",
        "tai",
        "ve",
        "nay",
        "co",
    }
)
_EN_COMMON = frozenset(
    {
        "the",
        "and",
        "of",
        "to",
        "in",
        "for",
        "with",
        "is",
        "are",
        "on",
        "by",
        "that",
        "this",
        "we",
        "our",
        "from",
        "as",
        "be",
        "an",
        "or",
        "at",
        "it",
        "its",
        "which",
        "can",
        "need",
        "needs",
        "has",
        "have",
        "will",
        # everyday English (short conversational sentences name none of the above):
        "i",
        "i'm",
        "you",
        "your",
        "he",
        "she",
        "they",
        "him",
        "his",
        "her",
        "them",
        "their",
        "us",
        "was",
        "were",
        "does",
        "did",
        "don't",
        "what",
        "where",
        "who",
        "how",
        "why",
        "there",
        "here",
        "very",
        "would",
        "could",
        "should",
        "been",
        "had",
        "if",
        "all",
        "about",
        "like",
        "just",
        "please",
        "didn't",
        "doesn't",
        "some",
        "every",
        "let's",
        "most",
        "now",
    }
)
#: English words that are also well-formed unaccented Vietnamese syllables but that
#: Vietnamese typed without marks hardly ever contains: they argue against
#: :func:`_plain_vietnamese` ("You can do it" is not "bạn cần đó ít").
_EN_SYLLABLE_SHAPED = frozenset({"you", "i", "they", "then", "yeah", "hey", "oh"})
_WORD = re.compile(r"[^\W_]+(?:[-.][^\W_]+)*", re.UNICODE)
# A Vietnamese syllable written without diacritics: onset, vowels, coda.
_VI_PLAIN_SYLLABLE = re.compile(
    r"(?:ngh|ng|gh|gi|kh|nh|ph|th|tr|ch|qu|[bcdghklmnprstvx])?[aeiouy]{1,3}(?:ch|nh|ng|[cmnpt])?"
)


def normalize(text: str) -> str:
    """Clean raw posting text: HTML entities, NFC, no control/zero-width chars, one space.

    Entities are unescaped twice so that double-escaped input (``&amp;quot;``)
    comes out as plain text too; decomposed (NFD) Vietnamese becomes NFC.
    """
    if not text:
        return ""
    text = html.unescape(html.unescape(text))
    text = unicodedata.normalize("NFC", text)
    text = text.translate(_ZERO_WIDTH)
    text = "".join(
        " " if unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp") else ch for ch in text
    )
    return _WS.sub(" ", text).strip()


def detect_language(text: str) -> str:
    """Return ``"vi"``, ``"en"`` or ``"other"`` for ``text``, offline and in microseconds.

    Vietnamese is recognised by the letters only it uses (ă, đ, ơ, ư, dot-below
    and hook-above vowels), or, when written without diacritics, by its common
    words or by nearly every word being a well-formed Vietnamese syllable; English
    by its common function words. Anything else, and text
    mostly in another script, is ``"other"``.
    """
    text = normalize(text)
    letters = [ch for ch in text if ch.isalpha()]
    if not letters:
        return "other"
    latin = sum(1 for ch in letters if ord(ch) < 0x250 or 0x1E00 <= ord(ch) <= 0x1EFF)
    if latin / len(letters) < 0.5:
        return "other"
    vi_letters = sum(1 for ch in letters if ch in _VI_UNIQUE)
    if vi_letters / len(letters) >= 0.02:
        return "vi"
    words = [w.lower() for w in _WORD.findall(text)]
    if not words:
        return "other"
    en_hits = sum(1 for w in words if w in _EN_COMMON)
    vi_hits = sum(1 for w in words if w in _VI_PLAIN_WORDS)
    if vi_hits > en_hits and vi_hits >= 2 and vi_hits / len(words) >= 0.15:
        return "vi"
    if _plain_vietnamese(text) or _marked_vietnamese(text):
        return "vi"
    if en_hits / len(words) >= 0.05 or len(words) <= 4:
        return "en"
    return "other"


def _plain_vietnamese(text: str) -> bool:
    """True for Vietnamese typed without diacritics ("xu ly nuoc thai cho KCN"): nearly
    every lower-case word is a well-formed Vietnamese syllable and English function words
    that are not ("of", "and", "for") are rare; acronyms, in capitals, are not counted."""
    words = [w.lower() for w in re.findall(r"[^\W\d_]+", text) if not w.isupper()]
    if len(words) < 3:
        return False
    plain = sum(1 for w in words if _VI_PLAIN_SYLLABLE.fullmatch(w))
    english = sum(
        1
        for w in words
        if w in _EN_SYLLABLE_SHAPED or (w in _EN_COMMON and not _VI_PLAIN_SYLLABLE.fullmatch(w))
    )
    return plain / len(words) >= 0.85 and english / len(words) < 0.04


def _marked_vietnamese(text: str) -> bool:
    """True for Vietnamese whose marks are all ones other languages share too ("Tình yêu mù
    quáng.", "Cái này khó."): some letter carries a mark, and nearly every lower-case word,
    its marks taken off, is a well-formed Vietnamese syllable."""
    folded = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    if folded == text:
        return False
    bare = "".join(ch for ch in folded if not unicodedata.combining(ch))
    words = [w.lower() for w in re.findall(r"[^\W\d_]+", bare) if not w.isupper()]
    if not words:
        return False
    plain = sum(1 for w in words if _VI_PLAIN_SYLLABLE.fullmatch(w))
    return plain / len(words) >= 0.85


@lru_cache(maxsize=2)
def stop_words(lang: str) -> frozenset[str]:
    """Stop words of ``lang`` ("vi" or "en"), lower-case, multi-syllable words joined by "_"."""
    name = "stopwords_vi.txt" if lang == "vi" else "stopwords_en.txt"
    raw = resources.files("indexer.resources").joinpath(name).read_text(encoding="utf-8")
    return frozenset(
        line.strip().lower().replace(" ", "_")
        for line in raw.splitlines()
        if line.strip() and not line.startswith("#")
    )


def _stemmer():  # type: ignore[no-untyped-def]
    import Stemmer

    return Stemmer.Stemmer("english")


_EN_STEM = _stemmer()


def tokenize(text: str, lang: str) -> list[str]:
    """Lexical tokens of ``text``: segmented, lower-cased, stop words removed.

    Vietnamese is segmented into words with underthesea (``nuôi_trồng``) after
    its tone-mark normalisation; English words are Snowball-stemmed. Latin
    technical terms inside Vietnamese text (``IoT``, ``PLC``) are kept and
    stemmed as English, so a shared acronym links texts across languages.
    """
    return [token for token, _ in tokenize_with_surface(text, lang)]


def tokenize_with_surface(text: str, lang: str) -> list[tuple[str, str]]:
    """Like :func:`tokenize`, each token paired with the word it came from (for display)."""
    text = normalize(text)
    if not text:
        return []
    if lang == "vi":
        return _tokenize_vi(text)
    stops = stop_words("en")
    words = [w.lower() for w in _WORD.findall(text)]
    words = [w for w in words if w not in stops]
    stems = _EN_STEM.stemWords(words)
    return [(stem, word) for stem, word in zip(stems, words, strict=True) if _keep(stem)]


#: underthesea loads its models lazily and its taggers are not thread-safe (two threads on a
#: cold tagger: "'NoneType' object has no attribute 'process'"); every call holds this lock.
UNDERTHESEA_LOCK = threading.Lock()
#: underthesea's optional pipelines, which its package import loads eagerly although this
#: project uses none of them: ``translate`` alone imports torch and transformers (about 2 s
#: of CPU, on the first write after every restart of a server that runs ONNX).
UNUSED_UNDERTHESEA = (
    "underthesea.pipeline.translate",
    "underthesea.pipeline.classification",
    "underthesea.pipeline.sentiment",
    "underthesea.pipeline.dependency_parse",
    "underthesea.pipeline.lang_detect",
    "underthesea.agent",
    "underthesea.address",
)
_IMPORT_LOCK = threading.Lock()


def underthesea() -> ModuleType:
    """The ``underthesea`` package, imported without its optional pipelines (those stay
    importable by name afterwards; only the package's own eager imports of them are
    skipped: each answers ``ImportError`` while the package initialises, which it treats
    as "not installed")."""
    with _IMPORT_LOCK:
        module = sys.modules.get("underthesea")
        if module is not None:
            return module
        blocked = [name for name in UNUSED_UNDERTHESEA if name not in sys.modules]
        for name in blocked:
            sys.modules[name] = None  # type: ignore[assignment]
        try:
            return importlib.import_module("underthesea")
        finally:
            for name in blocked:
                if sys.modules.get(name, False) is None:
                    del sys.modules[name]


def _tokenize_vi(text: str) -> list[tuple[str, str]]:
    text_normalize, word_tokenize = underthesea().text_normalize, underthesea().word_tokenize

    stops_vi = stop_words("vi")
    stops_en = stop_words("en")
    out: list[tuple[str, str]] = []
    with UNDERTHESEA_LOCK:
        segmented = word_tokenize(text_normalize(text))
    for word in segmented:
        w = word.lower().replace(" ", "_")
        if not _WORD.fullmatch(w.replace("_", "")):
            continue
        if w in stops_vi and not (word.isupper() and len(word) > 1):
            continue
        surface = word.lower()
        if all(ord(ch) < 0x80 for ch in w) and "_" not in w:
            if w in stops_en and not word.isupper():
                continue
            w = _EN_STEM.stemWord(w)
        if _keep(w):
            out.append((w, surface))
    return out


def _keep(token: str) -> bool:
    return len(token) > 1 or token.isdigit()


def sentences(text: str, lang: str) -> list[str]:
    """Split ``text`` into sentences (underthesea for Vietnamese, punctuation otherwise)."""
    text = normalize(text)
    if not text:
        return []
    if lang == "vi":
        sent_tokenize = underthesea().sent_tokenize

        with UNDERTHESEA_LOCK:
            parts = sent_tokenize(text)
    else:
        parts = re.split(r"(?<=[.!?;])\s+(?=[A-Z0-9\"'(])", text)
    return [p.strip() for p in parts if len(p.strip()) > 2]


def key_terms(posting: Posting, limit: int = 8) -> list[str]:
    """The terms that characterise a posting: its keywords, then title words, then the
    most frequent description words; lower-case, multi-syllable words with spaces."""
    lang = posting.language or "other"
    seen: dict[str, None] = {}
    for keyword in posting.keywords:
        term = normalize(keyword).lower()
        if term:
            seen.setdefault(term, None)
    for token in _display_tokens(posting.title, lang):
        seen.setdefault(token, None)
    counts: dict[str, int] = {}
    for token in _display_tokens(posting.description, lang):
        counts[token] = counts.get(token, 0) + 1
    for token, _ in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])):
        seen.setdefault(token, None)
    return list(seen)[:limit]


def _display_tokens(text: str, lang: str) -> list[str]:
    """Content words of ``text`` for display (not stemmed): stop words and digits dropped."""
    text = normalize(text)
    if lang == "vi":
        word_tokenize = underthesea().word_tokenize

        with UNDERTHESEA_LOCK:
            words = [w.lower() for w in word_tokenize(text)]
        stops = stop_words("vi") | stop_words("en")
        return [
            w
            for w in words
            if _WORD.fullmatch(w.replace(" ", ""))
            and w.replace(" ", "_") not in stops
            and not w.isdigit()
            and len(w) > 1
        ]
    stops = stop_words("en")
    return [
        w
        for w in (w.lower() for w in _WORD.findall(text))
        if w not in stops and not w.isdigit() and len(w) > 2
    ]
