"""Reasons for a pair: what connects the two texts and where their fields agree.

Shared and linked terms are phrases of :mod:`indexer.phrases` (extracted and embedded once
per posting): shared terms are content phrases both texts use (no words that every
posting uses, :data:`vocabulary.generic_terms.GENERIC_TERMS`); linked terms pair
different phrases that the VI ↔ EN glossary (:mod:`vocabulary.glossary`) says name one
concept, longest first, then, for terms it lacks, phrases whose embeddings agree
(:class:`LinkRule`).

Explanations read the pool through :class:`ExplanationSource`, a narrow view that the
engine provides; they never import the engine. The TRL and sector rules are those of
the score (:func:`indexer.scoring.trl_gap`, :func:`indexer.sectors.sector_relation`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Protocol

import numpy as np

from indexer.phrases import Phrase, PostingPhrases, fold, is_acronym
from indexer.postings import Kind, Posting, Reasons
from indexer.scoring import trl_gap
from indexer.sectors import sector_label, sector_relation
from indexer.text import sentences, tokenize
from vocabulary.generic_terms import GENERIC_TERMS
from vocabulary.glossary import Glossary, glossary, glossary_key
from vocabulary.places import PLACES

MAX_TERMS = 8
MAX_SHARED = 6


@dataclass(frozen=True)
class LinkRule:
    """When two phrases of a pair are shown as linked (values chosen on the tune part only).

    Phrase vectors of each posting are centred first (:func:`_centred`). ``margin`` is the
    cosine minus the mean cosine of both phrases to their ``k`` nearest phrases on the
    other side (a hub phrase close to everything scores low); a link needs ``margin`` and
    ``cosine`` at least, each phrase the other's best counterpart when ``mutual``; a
    same-language link needs ``same_margin`` and no word in common. Single words link
    only when ``single_words`` (a lone Vietnamese syllable then needs ``lone_margin``):
    on the tune part they cost more precision than they gave recall; ``single_margin``
    would let them link across languages from that margin ("amoni ≈ ammonia"), but every
    margin tried on the tune part (0.25, 0.3, 0.4) lowered precision and raised no recall
    (``benchmarks/tune_reasons.py``), so it is off. ``shared_idf``: a
    single non-acronym word is a shared term only above this relative IDF (above 1: never).
    ``vectors``: whether the embedding rule adds links after the glossary's.
    """

    margin: float = 0.15
    cosine: float = 0.5
    same_margin: float = 0.2
    k: int = 4
    mutual: bool = True
    single_words: bool = False
    lone_margin: float = 0.2
    single_margin: float = float("inf")
    shared_idf: float = 1.01
    vectors: bool = False


RULE = LinkRule()


class ExplanationSource(Protocol):
    """What explanations need to know about the indexed pool."""

    def terms_of(self, posting_id: int) -> list[str]:
        """Key terms of an indexed posting, most characteristic first."""
        ...

    def phrases(self, posting: Posting, compute: bool = True) -> PostingPhrases | None:
        """Candidate phrases of a posting with their embeddings (cached per posting);
        without ``compute``, only what is cached already (else ``None``)."""
        ...

    def tokens_of(self, posting_id: int) -> list[str]:
        """Lexical tokens of an indexed posting."""
        ...

    def surface(self, posting_id: int, token: str) -> str:
        """The word a token came from in the posting's text."""
        ...

    def idf(self, kind: Kind, token: str) -> float:
        """Inverse document frequency of a token among postings of ``kind``."""
        ...

    def correct(self, vectors: np.ndarray, language: str) -> np.ndarray:
        """The pool's bias correction applied to vectors of texts in ``language``."""
        ...

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Unit-length embeddings of ``texts`` by the pool's model."""
        ...


def explain_pair(
    engine: ExplanationSource,
    need: Posting,
    offer: Posting,
    components: dict[str, float],
    with_sentences: bool = False,
    rule: LinkRule = RULE,
) -> Reasons:
    """Build the :class:`Reasons` of a scored pair (aligned sentences only when asked).

    The full explanation of one pair (``with_sentences``) extracts and embeds the phrases
    of both postings (:mod:`indexer.phrases`, cached). Lists of matches explain many pairs
    at once: they use the phrases only where both postings are cached already, and
    otherwise fall back to the shared lexical tokens (fragments and place names
    dropped) with no linked terms, so that a list never waits on phrase extraction."""
    reasons = Reasons(language_pair=f"{need.language}-{offer.language}")
    need_phrases = engine.phrases(need, compute=with_sentences)
    offer_phrases = engine.phrases(offer, compute=with_sentences)
    reasons.need_terms = [t for t in engine.terms_of(need.id) if not _is_fragment(t)]
    reasons.offer_terms = [t for t in engine.terms_of(offer.id) if not _is_fragment(t)]
    if need_phrases is not None and offer_phrases is not None:
        shared = shared_phrases(engine, need, need_phrases, offer_phrases, rule)
        reasons.shared_terms = [p.text for p in shared]
        reasons.linked_terms = linked_phrases(
            need_phrases, offer_phrases, need.language == offer.language, shared, rule
        )
    else:
        reasons.shared_terms = shared_tokens(engine, need, offer)
    _field_reasons(need, offer, reasons)
    if with_sentences:
        reasons.aligned_sentences = aligned_sentences(engine, need, offer)
    return reasons


def shared_phrases(
    engine: ExplanationSource,
    need: Posting,
    need_phrases: PostingPhrases,
    offer_phrases: PostingPhrases,
    rule: LinkRule = RULE,
) -> list[Phrase]:
    """Content phrases both texts use, longest first: no lone Vietnamese syllable, no
    part of a longer shared phrase, no single common word (IDF below ``shared_idf``)."""
    offer_keys = {p.key for p in offer_phrases.phrases}
    common = [p for p in need_phrases.phrases if p.key in offer_keys and not p.lone_syllable]
    common.sort(key=lambda p: (-len(p.words), p.position))
    kept: list[Phrase] = []
    for phrase in common:
        if any(_inside(phrase.words, k.words) for k in kept) or is_generic(phrase.words):
            continue
        single = len(phrase.words) == 1 and not is_acronym(phrase.text)
        if single and rule.shared_idf > 1:
            continue
        if single and _idf(engine, phrase, need.language or "other") < rule.shared_idf:
            continue
        kept.append(phrase)
    return kept[:MAX_SHARED]


def shared_tokens(engine: ExplanationSource, need: Posting, offer: Posting) -> list[str]:
    """Lexical tokens both texts contain, rarest first, without fragments or place-name
    parts (the fallback of :func:`explain_pair` when phrases are not cached)."""
    common = set(engine.tokens_of(need.id)) & set(engine.tokens_of(offer.id))
    ranked = sorted(
        (t for t in common if not t.isdigit()), key=lambda t: (-engine.idf("offer", t), t)
    )
    shown = [engine.surface(need.id, t) for t in ranked]
    return [w for w in shown if not _is_fragment(w) and not _in_place(w)][:MAX_SHARED]


@lru_cache(maxsize=1)
def _generic_terms() -> frozenset[tuple[str, ...]]:
    return frozenset(tuple(fold(t).split()) for t in GENERIC_TERMS)


def is_generic(words: tuple[str, ...]) -> bool:
    """Whether folded ``words`` are made only of :data:`GENERIC_TERMS` ("hệ thống quản
    lý", "thời gian dự kiến"): words every posting uses, not a shared topic."""
    generic = _generic_terms()
    covered = [True] + [False] * len(words)  # covered[i]: words[:i] split into generic terms
    for end in range(1, len(words) + 1):
        covered[end] = any(
            covered[start] and words[start:end] in generic for start in range(max(0, end - 4), end)
        )
    return covered[-1]


def _inside(short: tuple[str, ...], long: tuple[str, ...]) -> bool:
    n = len(short)
    return any(long[i : i + n] == short for i in range(len(long) - n + 1))


def _idf(engine: ExplanationSource, phrase: Phrase, language: str) -> float:
    """IDF of the phrase's rarest token over the IDF of a token no offer has (0–1), so
    that one rule fits a pool of five postings and one of two thousand."""
    tokens = tokenize(phrase.text, language)
    top = engine.idf("offer", "\x00unseen")
    return max((engine.idf("offer", t) for t in tokens), default=0.0) / top if top > 0 else 1.0


def _fold(term: str) -> str:
    """Case- and diacritics-folded form (see :func:`indexer.phrases.fold`)."""
    return fold(term)


def _is_fragment(word: str) -> bool:
    """One Vietnamese syllable ("số", "hóa"): a piece of a term, not a term."""
    return " " not in word and any(ord(c) > 0x7F for c in word)


def _in_place(word: str) -> bool:
    """Whether ``word`` (folded) is a place name or one word of one (see :func:`_place_forms`)."""
    return _fold(word) in _place_forms()


@lru_cache(maxsize=1)
def _place_forms() -> frozenset[str]:
    """Every place of :data:`PLACES` folded, and each word of each, computed once: folding
    every place for every word of every pair was most of a match request's CPU."""
    forms: set[str] = set()
    for place in PLACES:
        folded = _fold(place)
        forms.add(folded)
        forms.update(folded.split())
    return frozenset(forms)


def linked_phrases(
    need: PostingPhrases,
    offer: PostingPhrases,
    same_language: bool,
    shared: Sequence[Phrase] = (),
    rule: LinkRule = RULE,
) -> list[dict[str, object]]:
    """Phrases of the need and the offer that mean the same in different words.

    Candidates are ranked by margin (see :class:`LinkRule`) and taken greedily; a phrase
    whose words were used by a taken link (or by a shared term) is not used again, and
    "x ≈ x" (same words up to case and diacritics) is never a link."""
    if not need.phrases or not offer.phrases:
        return []
    used_need = {w for p in shared for w in p.words}
    used_offer = set(used_need)
    links = glossary_links(need, offer, same_language, used_need, used_offer)
    if rule.vectors and len(links) < MAX_TERMS:
        links += vector_links(need, offer, same_language, used_need, used_offer, rule)
    return links[:MAX_TERMS]


def glossary_links(
    need: PostingPhrases,
    offer: PostingPhrases,
    same_language: bool,
    used_need: set[str],
    used_offer: set[str],
    terms: Glossary | None = None,
) -> list[dict[str, object]]:
    """Phrase pairs that the glossary (:mod:`vocabulary.glossary`) says name one concept,
    longest first; a link inside one already taken (both sides, or one side when the
    other is a single word: "energy ≈ năng lượng" after "energy monitoring ≈ giám sát
    năng lượng") is not shown, but words may be reused ("chế biến chè ≈ tea processing"
    then "sao chè ≈ pan-firing"); generic words (:func:`is_generic`) never link. A link of
    one language (:func:`_same_language_blocked`) pairs an abbreviation with its words
    ("XLNT ≈ xử lý nước thải", taken first) or two synonyms that each add a word of their
    own ("chèo thuyền ≈ chèo kayak"), never a term inside the other ("kho ≈ kho bãi") nor
    a shared term (words of ``used_need``/``used_offer`` on entry). Adds the words it uses to
    ``used_need``/``used_offer`` (for the vector fallback)."""
    terms = terms or glossary()
    offer_concepts = [(j, terms.concepts_of(b.text)) for j, b in enumerate(offer.phrases)]
    offer_concepts = [(j, c) for j, c in offer_concepts if c]
    shared_need, shared_offer = set(used_need), set(used_offer)  # words of shared terms
    candidates = []
    for i, a in enumerate(need.phrases):
        concepts = terms.concepts_of(a.text)
        if not concepts:
            continue
        for j, found in offer_concepts:
            b = offer.phrases[j]
            if not concepts & found or glossary_key(a.text) == glossary_key(b.text):
                continue
            if is_generic(a.words) or is_generic(b.words):
                continue
            abbreviation = same_language and (is_acronym(a.text) or is_acronym(b.text))
            if same_language and (
                _same_language_blocked(a, b)
                or (not abbreviation and set(a.words) <= shared_need)
                or (not abbreviation and set(b.words) <= shared_offer)
            ):
                continue
            length = -(len(a.words) + len(b.words))
            candidates.append((not abbreviation, length, a.position + b.position, i, j))
    links: list[dict[str, object]] = []
    taken: list[tuple[Phrase, Phrase]] = []
    linked_concepts: set[int] = set()
    for *_, i, j in sorted(candidates):
        a, b = need.phrases[i], offer.phrases[j]
        short = min(len(a.words), len(b.words)) == 1
        if any(
            (_inside(a.words, x.words) or _inside(b.words, y.words))
            and (short or (_inside(a.words, x.words) and _inside(b.words, y.words)))
            for x, y in taken
        ):
            continue
        concepts = terms.concepts_of(a.text) & terms.concepts_of(b.text)
        if concepts <= linked_concepts:
            continue
        linked_concepts.update(concepts)
        taken.append((a, b))
        used_need.update(a.words)
        used_offer.update(b.words)
        similarity = float(need.vectors[i] @ offer.vectors[j])
        links.append(
            {"need": a.text, "offer": b.text, "similarity": round(similarity, 3), "by": "glossary"}
        )
    return links


def _same_language_blocked(a: Phrase, b: Phrase) -> bool:
    """Whether a glossary link of one language is not shown: an abbreviation with its
    words ("XLNT ≈ xử lý nước thải") and synonyms that each add a word of their own
    ("chèo thuyền ≈ chèo kayak", "inventory ≈ stock") are shown; a term inside the other
    ("kho ≈ kho bãi", "bệnh ≈ dịch bệnh") says nothing new."""
    if is_acronym(a.text) or is_acronym(b.text):
        return bool(set(a.words) & set(b.words))
    words_a, words_b = _stems(a.text), _stems(b.text)
    return words_a <= words_b or words_b <= words_a


def _stems(text: str) -> set[str]:
    """Words of a term with English plurals read as singulars ("pharmacies" → "pharmacy")."""
    words = glossary_key(text).split()
    return {w[:-2] + "y" if w.endswith("ie") and len(w) > 4 else w for w in words}


def vector_links(
    need: PostingPhrases,
    offer: PostingPhrases,
    same_language: bool,
    used_need: set[str],
    used_offer: set[str],
    rule: LinkRule = RULE,
) -> list[dict[str, object]]:
    """Phrase pairs whose centred embeddings agree (:class:`LinkRule`), the fallback for
    terms the glossary lacks; skips words in ``used_need``/``used_offer`` and adds its own."""
    raw = need.vectors @ offer.vectors.T
    sims = _centred(need.vectors) @ _centred(offer.vectors).T
    k = max(1, min(rule.k, sims.shape[0], sims.shape[1]))
    row = np.sort(sims, axis=1)[:, -k:].mean(axis=1)
    col = np.sort(sims, axis=0)[-k:, :].mean(axis=0)
    margin = sims - (row[:, None] + col[None, :]) / 2
    best_row, best_col = margin.argmax(axis=1), margin.argmax(axis=0)
    links: list[dict[str, object]] = []
    for flat in np.argsort(-margin, axis=None):
        i, j = divmod(int(flat), margin.shape[1])
        m = float(margin[i, j])
        if m < rule.margin:
            break
        a, b = need.phrases[i], offer.phrases[j]
        if sims[i, j] < rule.cosine or a.key == b.key:
            continue
        if rule.mutual and (best_row[i] != j or best_col[j] != i):
            continue
        if (a.lone_syllable or b.lone_syllable) and m < rule.lone_margin:
            continue
        single = len(a.words) == 1 or len(b.words) == 1
        if single and not rule.single_words and (same_language or m < rule.single_margin):
            continue
        if same_language and (m < rule.same_margin or set(a.words) & set(b.words)):
            continue
        if used_need & set(a.words) or used_offer & set(b.words):
            continue
        used_need.update(a.words)
        used_offer.update(b.words)
        similarity = round(float(raw[i, j]), 3)
        links.append({"need": a.text, "offer": b.text, "similarity": similarity, "by": "vectors"})
        if len(links) >= MAX_TERMS:
            break
    return links


def _centred(vectors: np.ndarray) -> np.ndarray:
    """Rows minus their mean, unit length again: what all phrases of a posting share
    (its language and topic) says nothing about which phrase means which."""
    if len(vectors) < 2:
        return vectors
    centred = vectors - vectors.mean(axis=0)
    return centred / np.maximum(np.linalg.norm(centred, axis=1, keepdims=True), 1e-6)


def aligned_sentences(
    engine: ExplanationSource, need: Posting, offer: Posting, top: int = 2
) -> list[dict[str, object]]:
    """The best-aligned sentence pairs of the two texts (bias-corrected cosine)."""
    need_sents = sentences(need.description, need.language or "other")[:12]
    offer_sents = sentences(offer.description, offer.language or "other")[:12]
    if not need_sents or not offer_sents:
        return []
    vectors = engine.encode(need_sents + offer_sents)
    nv = engine.correct(vectors[: len(need_sents)], need.language or "other")
    ov = engine.correct(vectors[len(need_sents) :], offer.language or "other")
    sims = nv @ ov.T
    out: list[dict[str, object]] = []
    used_n: set[int] = set()
    used_o: set[int] = set()
    for flat in np.argsort(-sims, axis=None):
        i, j = divmod(int(flat), sims.shape[1])
        if i in used_n or j in used_o:
            continue
        used_n.add(i)
        used_o.add(j)
        out.append(
            {
                "need": need_sents[i],
                "offer": offer_sents[j],
                "similarity": round(float(sims[i, j]), 3),
            }
        )
        if len(out) >= top:
            break
    return out


def _field_reasons(need: Posting, offer: Posting, reasons: Reasons) -> None:
    relation = sector_relation(need.sector, offer.sector)
    if relation == "same":
        reasons.agreements.append(f"same sector: {sector_label(need.sector or '')}")
    elif relation is not None:
        label = f"need {sector_label(need.sector or '')}, offer {sector_label(offer.sector or '')}"
        if relation == "related":
            reasons.agreements.append(f"related sectors: {label}")
        else:
            reasons.disagreements.append(f"sector differs: {label}")
    gap = trl_gap(need, offer)
    if gap is not None:
        if gap <= 0:
            reasons.agreements.append(
                f"offer TRL {offer.trl} meets the TRL {need.trl} the need accepts"
            )
        else:
            reasons.disagreements.append(
                f"offer TRL {offer.trl} below the TRL {need.trl} the need accepts"
            )
    if need.language != offer.language:
        reasons.agreements.append(
            f"cross-language pair ({need.language}→{offer.language}): scored without language bias"
        )
