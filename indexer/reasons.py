"""Reasons for a pair: what connects the two texts and where their fields agree.

Explanations read the pool through :class:`ExplanationSource`, a narrow view that the
engine provides; they never import the engine. The TRL and sector rules are those of
the score (:func:`indexer.scoring.trl_gap`, :func:`indexer.sectors.sector_relation`).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from typing import Protocol

import numpy as np

from indexer.postings import Kind, Posting, Reasons
from indexer.scoring import trl_gap
from indexer.sectors import sector_label, sector_relation
from indexer.text import sentences
from vocabulary.places import PLACES

LINK_THRESHOLD = 0.90
SHORT_TERM_LINK_THRESHOLD = 0.93  # one-syllable or very short terms embed noisily
MAX_TERMS = 8


class ExplanationSource(Protocol):
    """What explanations need to know about the indexed pool."""

    def tokens_of(self, posting_id: int) -> list[str]:
        """Lexical tokens of an indexed posting."""
        ...

    def surface(self, posting_id: int, token: str) -> str:
        """The word a token came from in the posting's text."""
        ...

    def terms_of(self, posting_id: int) -> list[str]:
        """Key terms of an indexed posting, most characteristic first."""
        ...

    def term_vector(self, term: str) -> np.ndarray | None:
        """Embedding of a key term, when known."""
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
) -> Reasons:
    """Build the :class:`Reasons` of a scored pair (aligned sentences only when asked)."""
    reasons = Reasons(language_pair=f"{need.language}-{offer.language}")
    reasons.shared_terms = shared_terms(engine, need, offer)
    reasons.need_terms = engine.terms_of(need.id)
    reasons.offer_terms = engine.terms_of(offer.id)
    reasons.linked_terms = linked_terms(engine, need, offer)
    _field_reasons(need, offer, reasons)
    if with_sentences:
        reasons.aligned_sentences = aligned_sentences(engine, need, offer)
    return reasons


def shared_terms(engine: ExplanationSource, need: Posting, offer: Posting) -> list[str]:
    """Tokens both texts contain, rarest (most telling) first."""
    common = set(engine.tokens_of(need.id)) & set(engine.tokens_of(offer.id))
    common = {t for t in common if not t.isdigit()}
    ranked = sorted(common, key=lambda t: (-engine.idf("offer", t), t))
    shown = [engine.surface(need.id, t) for t in ranked]
    return [w for w in shown if not _is_fragment(w) and not _in_place(w)][:MAX_TERMS]


def _fold(term: str) -> str:
    """Case- and diacritics-folded form: "Hòa" and "hoa" are the same word here."""
    decomposed = unicodedata.normalize("NFD", term.casefold().replace("đ", "d"))
    return " ".join("".join(c for c in decomposed if not unicodedata.combining(c)).split())


def _is_fragment(word: str) -> bool:
    """One Vietnamese syllable ("số", "hóa"): a piece of a term, not a term."""
    return " " not in word and any(ord(c) > 0x7F for c in word)


def _in_place(word: str) -> bool:
    folded = _fold(word)
    return any(folded in _fold(p).split() or folded == _fold(p) for p in PLACES)


def linked_terms(
    engine: ExplanationSource, need: Posting, offer: Posting
) -> list[dict[str, object]]:
    """Key terms of the need and the offer that mean the same, across languages too.

    Each key term was embedded when its posting was indexed; a pair of terms is
    linked when their cosine reaches ``LINK_THRESHOLD``; each term is used once.
    """
    need_terms = [(t, engine.term_vector(t)) for t in engine.terms_of(need.id)]
    offer_terms = [(t, engine.term_vector(t)) for t in engine.terms_of(offer.id)]
    candidates: list[tuple[float, str, str]] = []
    for nt, nv in need_terms:
        for ot, ov in offer_terms:
            if nv is None or ov is None or _fold(nt) == _fold(ot):
                continue  # "x ≈ x" (also case or diacritics variants) is no link
            cos = float(np.dot(nv, ov))
            short = _is_short(nt) or _is_short(ot)
            if cos >= (SHORT_TERM_LINK_THRESHOLD if short else LINK_THRESHOLD):
                candidates.append((cos, nt, ot))
    used_need: set[str] = set()
    used_offer: set[str] = set()
    links: list[dict[str, object]] = []
    for cos, nt, ot in sorted(candidates, reverse=True):
        if nt in used_need or ot in used_offer:
            continue
        used_need.add(nt)
        used_offer.add(ot)
        links.append({"need": nt, "offer": ot, "similarity": round(cos, 3)})
    return links[:MAX_TERMS]


def _is_short(term: str) -> bool:
    return " " not in term and len(term) < 5


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
