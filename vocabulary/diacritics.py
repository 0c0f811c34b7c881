"""Vietnamese typed without diacritics: strip them, recognise such text, restore them.

People type "xu ly nuoc thai" for "xử lý nước thải"; e5-small reads such text poorly, so the
indexer restores the diacritics before embedding. :class:`DiacriticRestorer` is a syllable
trigram model (interpolated with bigrams and unigrams) decoded with Viterbi: every unaccented
syllable may be any accented form seen in the training text, every other word stays as typed.

The default model (:func:`default_restorer`) is trained offline, at first use (about 2 s),
on text that ships with the installed packages and the repository: underthesea's VLSP 2013
POS test corpus (running newspaper text) and its Viet74K word list (each word counted
``WORD_WEIGHT``, without sentence boundaries), and, counted ``DOMAIN_WEIGHT`` times, the
in-domain text: the Vietnamese side of ``data/parallel/pairs.jsonl``, the demo postings,
``vocabulary/data/vi_tech_sentences.txt`` (sentences written for the project in the style of
technology postings), and the accented offers and *tuning-part* needs of ``data/devset``
(the held-out needs are never read, so the held-out restoration accuracy is honest). Files
that are absent are skipped.
"""

from __future__ import annotations

import csv
import importlib.util
import json
import math
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Iterator
from functools import lru_cache
from pathlib import Path

_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)
_TOKEN = re.compile(r"[^\W\d_]+|[^\w]*[.!?;:()\[\]\"•…\n]+[^\w]*|\S", re.UNICODE)
_BOUNDARY = "<s>"
_REPO = Path(__file__).resolve().parents[1]
_DEVSET = _REPO / "data" / "devset"
_DOMAIN_FILES = (  # accented in-domain postings that are not dev-set needs
    _REPO / "data" / "parallel" / "pairs.jsonl",
    _REPO / "service" / "demo" / "needs.jsonl",
    _REPO / "service" / "demo" / "offers.jsonl",
)
_WRITTEN = Path(__file__).resolve().parent / "data" / "vi_tech_sentences.txt"
_TONES = "\u0300\u0301\u0303\u0309\u0323"  # grave, acute, tilde, hook above, dot below
MAX_CANDIDATES = 8  # accented forms kept per unaccented syllable (most frequent first)
WEIGHTS = (0.6, 0.3, 0.1)  # trigram, bigram, unigram interpolation weights
# In-domain postings count this many times over the general text: syllable accuracy on the
# tune needs with a restorer trained without them, 0.877 (1×), 0.890 (2×), 0.894 (4×),
# 0.896 (8×) (weights (0.4, 0.4, 0.2) … (0.8, 0.15, 0.05) all within 0.003 of these).
DOMAIN_WEIGHT = 4
# A dictionary word counts this much against one occurrence in running text: syllable
# accuracy on the tune needs left out of training 0.9085 (0.3), 0.9131 (0.1), 0.9120 (0.03);
# counted as often as running text (1.0) the word list's rare words ("dở dầm", "màu cờ") beat
# common running-text pairs ("độ đạm", "màu có").
WORD_WEIGHT = 0.1
MAX_RUN = 60  # words decoded together at most (a sentence is usually far shorter)


def strip_diacritics(text: str) -> str:
    """``text`` without Vietnamese tone and vowel marks (đ → d), NFC otherwise."""
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    plain = "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")
    return unicodedata.normalize("NFC", plain)


def has_diacritics(text: str) -> bool:
    """True when ``text`` holds a letter with a mark (or đ): it was not typed plain."""
    return strip_diacritics(text) != unicodedata.normalize("NFC", text)


def syllables(text: str) -> list[str]:
    """The lower-case letter runs of ``text`` (Vietnamese syllables, English words)."""
    return [w.lower() for w in _WORD.findall(unicodedata.normalize("NFC", text))]


@lru_cache(maxsize=65536)
def classic_tone(syllable: str) -> str:
    """``syllable`` (lower case) with the tone mark of an open ``oa``/``oe``/``uy`` on the
    first vowel, as most Vietnamese text writes it ("hoá" → "hóa", "thuỷ" → "thủy")."""
    plain = strip_diacritics(syllable)
    if plain[-2:] not in ("oa", "oe", "uy") or plain.startswith("qu") or len(syllable) < 2:
        return syllable
    chars = list(unicodedata.normalize("NFD", syllable))
    tone = [c for c in chars if c in _TONES]
    if not tone:
        return syllable
    base = [c for c in chars if c not in _TONES]
    # the vowel before the last one, in the decomposed letters (its own marks follow it)
    letters = [i for i, c in enumerate(base) if unicodedata.category(c) != "Mn"]
    target = letters[-2] + 1
    while target < len(base) and unicodedata.category(base[target]) == "Mn":
        target += 1
    base.insert(target, tone[0])
    return unicodedata.normalize("NFC", "".join(base))


class DiacriticRestorer:
    """Syllable trigram model over accented text; :meth:`restore` puts the marks back.

    ``forms[plain]`` lists the accented forms seen for an unaccented syllable, most frequent
    first; the n-gram counts score a sequence of forms."""

    def __init__(self, weights: tuple[float, float, float] = WEIGHTS) -> None:
        self.weights = weights
        self.uni: defaultdict[str, float] = defaultdict(float)
        self.bi: defaultdict[tuple[str, str], float] = defaultdict(float)
        self.tri: defaultdict[tuple[str, str, str], float] = defaultdict(float)
        self.bi_ctx: defaultdict[str, float] = defaultdict(float)
        self.tri_ctx: defaultdict[tuple[str, str], float] = defaultdict(float)
        self.forms: dict[str, list[str]] = {}
        self.total = 0.0

    @classmethod
    def train(
        cls,
        sentences: Iterable[list[str]],
        weights: tuple[float, float, float] = WEIGHTS,
        words: Iterable[list[str]] = (),
        word_weight: float = 1.0,
    ) -> DiacriticRestorer:
        """A model from running-text ``sentences`` and dictionary ``words``, both given as
        lists of lower-case accented syllables (tone marks placed as :func:`classic_tone`
        places them). A dictionary word counts ``word_weight`` and adds no sentence
        boundaries: a word list says which syllables go together, not how text starts or
        ends, nor how often a word is used."""
        model = cls(weights)
        for raw in sentences:
            model._add([_BOUNDARY, _BOUNDARY, *(classic_tone(w) for w in raw), _BOUNDARY], 1.0)
        for raw in words:
            model._add([classic_tone(w) for w in raw], word_weight)
        model.total = sum(model.uni.values())
        form_counts: dict[str, list[tuple[float, str]]] = defaultdict(list)
        for syllable, count in model.uni.items():
            if syllable != _BOUNDARY:
                form_counts[strip_diacritics(syllable)].append((count, syllable))
        model.forms = {
            plain: [f for _, f in sorted(counts, key=lambda cf: (-cf[0], cf[1]))[:MAX_CANDIDATES]]
            for plain, counts in form_counts.items()
        }
        return model

    def _add(self, seq: list[str], count: float) -> None:
        """Counts the n-grams of ``seq`` (boundaries included when it has them)."""
        start = 2 if seq[:2] == [_BOUNDARY, _BOUNDARY] else 0
        for i in range(start, len(seq)):
            c = seq[i]
            self.uni[c] += count
            if i >= 1:
                self.bi_ctx[seq[i - 1]] += count
                self.bi[(seq[i - 1], c)] += count
            if i >= 2:
                self.tri_ctx[(seq[i - 2], seq[i - 1])] += count
                self.tri[(seq[i - 2], seq[i - 1], c)] += count

    def known(self, plain: str) -> bool:
        """True when ``plain`` (lower case, unaccented) is a syllable the model has seen."""
        return plain in self.forms

    def _logp(self, a: str, b: str, c: str) -> float:
        """log P(c | a b): trigram, bigram and unigram estimates interpolated."""
        w3, w2, w1 = self.weights
        p = w1 * (self.uni.get(c, 0) + 0.5) / (self.total + 0.5 * (len(self.uni) + 1))
        ctx2 = self.bi_ctx.get(b, 0)
        if ctx2:
            p += w2 * self.bi.get((b, c), 0) / ctx2
        ctx3 = self.tri_ctx.get((a, b), 0)
        if ctx3:
            p += w3 * self.tri.get((a, b, c), 0) / ctx3
        return math.log(p)

    def restore_syllables(self, words: list[str]) -> list[str]:
        """The most likely accented lower-case forms of ``words`` (one sentence, lower case);
        a word that has marks already or is not a known syllable stays as it is."""
        options = [
            self.forms.get(w, [w]) if not has_diacritics(w) else [classic_tone(w)] for w in words
        ]
        # Viterbi over (previous form, form) states
        states: dict[tuple[str, str], tuple[float, list[str]]] = {(_BOUNDARY, _BOUNDARY): (0.0, [])}
        for cands in options:
            nxt: dict[tuple[str, str], tuple[float, list[str]]] = {}
            for (a, b), (score, path) in states.items():
                for c in cands:
                    s = score + self._logp(a, b, c)
                    if (b, c) not in nxt or s > nxt[(b, c)][0]:
                        nxt[(b, c)] = (s, path + [c])
            states = nxt
        best = max(
            states.items(), key=lambda kv: kv[1][0] + self._logp(kv[0][0], kv[0][1], _BOUNDARY)
        )
        return best[1][1]

    def restore(self, text: str) -> str:
        """``text`` with the diacritics of its unaccented Vietnamese syllables restored; case,
        spacing, punctuation, digits and words the model does not know are kept."""
        out: list[str] = []
        sentence: list[tuple[int, str]] = []  # (index in out, word)

        def flush() -> None:
            if not sentence:
                return
            forms = self.restore_syllables([w.lower() for _, w in sentence])
            for (index, word), form in zip(sentence, forms, strict=True):
                out[index] = _with_case(form, word)
            sentence.clear()

        pos = 0
        for found in _TOKEN.finditer(text):
            out.append(text[pos : found.start()])
            token = found.group(0)
            out.append(token)
            if _WORD.fullmatch(token):
                sentence.append((len(out) - 1, token))
                if len(sentence) >= MAX_RUN:
                    flush()  # bounds the decoding cost of text without punctuation
            elif not token.isspace() and any(ch in ".!?;:\n" for ch in token):
                flush()
            pos = found.end()
        out.append(text[pos:])
        flush()
        return "".join(out)


def _with_case(form: str, typed: str) -> str:
    """``form`` (lower case) written with the case pattern of ``typed``."""
    if strip_diacritics(form) != strip_diacritics(typed.lower()):
        return typed
    if any(ch.isupper() for ch in typed[1:]):
        return typed  # acronyms and brand case (KCN, XLNT, IoT) are left as typed
    if typed[:1].isupper():
        return form[:1].upper() + form[1:]
    return form


def _underthesea_dir() -> Path | None:
    spec = importlib.util.find_spec("underthesea")  # located, not imported (seconds)
    if spec is None or spec.origin is None:  # pragma: no cover - a dependency
        return None
    return Path(spec.origin).resolve().parent


def lexicon_words() -> Iterator[list[str]]:
    """Accented words of underthesea's Viet74K word list (one word a line), as syllables."""
    base = _underthesea_dir()
    words = base / "corpus" / "data" / "Viet74K.txt" if base else None
    if words is not None and words.is_file():
        for line in words.read_text(encoding="utf-8").splitlines():
            seq = syllables(line)
            if seq:
                yield seq


def corpus_sentences() -> Iterator[list[str]]:
    """Accented sentences of underthesea's VLSP 2013 POS test corpus (running newspaper
    text, one token a line, blank between sentences)."""
    base = _underthesea_dir()
    if base is None:
        return
    corpus = base / "pipeline" / "pos_tag" / "models" / "pos_crf_vlsp2013_20230303"
    corpus = corpus / "test_output.txt"
    if corpus.is_file():
        current: list[str] = []
        for line in corpus.read_text(encoding="utf-8").splitlines():
            token = line.split("\t", 1)[0]
            if not line.strip() or token in {".", "!", "?", ";", ":"}:
                if current:
                    yield current
                current = []
                continue
            current.extend(syllables(token))
        if current:
            yield current


def text_sentences(text: str) -> Iterator[list[str]]:
    """Syllable sequences of an accented text, split at sentence punctuation."""
    for part in re.split(r"[.!?;:\n()\[\]\"•…]+", unicodedata.normalize("NFC", text)):
        seq = syllables(part)
        if seq:
            yield seq


def _posting_text(row: dict[str, object]) -> str:
    keywords = row.get("keywords") or []
    parts = [row.get("title") or "", row.get("description") or "", row.get("vi") or ""]
    return " . ".join(str(p) for p in [*parts, *(keywords if isinstance(keywords, list) else [])])


def domain_texts(files: tuple[Path, ...] = _DOMAIN_FILES) -> list[str]:
    """Accented Vietnamese in-domain texts that are not dev-set needs: the VI side of
    ``data/parallel/pairs.jsonl`` and the demo postings (files that are absent are skipped)."""
    texts: list[str] = []
    for path in files:
        if path.is_file():
            for line in path.read_text(encoding="utf-8").splitlines():
                if line.strip():
                    text = _posting_text(json.loads(line))
                    if has_diacritics(text):
                        texts.append(text)
    return texts


def devset_texts(directory: Path = _DEVSET) -> list[str]:
    """Accented Vietnamese texts of the dev set's offers and tuning-part needs (never the
    held-out needs), or nothing when the repository's ``data/devset`` is absent."""
    texts: list[str] = []
    split_file = directory / "split.tsv"
    tune: set[int] = set()
    if split_file.is_file():
        with open(split_file, encoding="utf-8", newline="") as fh:
            tune = {
                int(r["need_id"]) for r in csv.DictReader(fh, delimiter="\t") if r["part"] == "tune"
            }
    for name, keep in (("offers.jsonl", None), ("needs.jsonl", tune)):
        path = directory / name
        if not path.is_file():
            continue
        for line in path.read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            row = json.loads(line)
            if keep is not None and int(row["id"]) not in keep:
                continue
            text = _posting_text(row)
            if has_diacritics(text):
                texts.append(text)
    return texts


def written_sentences(path: Path = _WRITTEN) -> Iterator[list[str]]:
    """Syllable sequences of ``vocabulary/data/vi_tech_sentences.txt``: accented sentences
    written for the project in the style of technology postings (``#`` lines skipped)."""
    if path.is_file():
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip() and not line.startswith("#"):
                yield from text_sentences(line)


@lru_cache(maxsize=1)
def default_restorer() -> DiacriticRestorer:
    """The restorer the indexer uses (see the module docstring for its training text)."""
    domain = [s for text in devset_texts() + domain_texts() for s in text_sentences(text)]
    domain += written_sentences()
    return DiacriticRestorer.train(
        [*corpus_sentences(), *domain * DOMAIN_WEIGHT],
        words=lexicon_words(),
        word_weight=WORD_WEIGHT,
    )


def restore_diacritics(text: str) -> str:
    """``text`` with Vietnamese diacritics restored by :func:`default_restorer`."""
    return default_restorer().restore(text)
