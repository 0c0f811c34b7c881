"""Reasons for a pair: what connects the two texts and where their fields agree."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from indexer.postings import Posting, Reasons
from indexer.sectors import sector_label
from indexer.text import sentences

if TYPE_CHECKING:
    from indexer.engine import MatchEngine

LINK_THRESHOLD = 0.90
SHORT_TERM_LINK_THRESHOLD = 0.93  # one-syllable or very short terms embed noisily
MAX_TERMS = 8


def explain_pair(
    engine: MatchEngine,
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


def shared_terms(engine: MatchEngine, need: Posting, offer: Posting) -> list[str]:
    """Tokens both texts contain, rarest (most telling) first."""
    common = set(engine.tokens_of(need.id)) & set(engine.tokens_of(offer.id))
    common = {t for t in common if not t.isdigit()}
    ranked = sorted(common, key=lambda t: (-engine.idf("offer", t), t))
    return [engine.surface(need.id, t) for t in ranked[:MAX_TERMS]]


def linked_terms(engine: MatchEngine, need: Posting, offer: Posting) -> list[dict[str, object]]:
    """Key terms of the need and the offer that mean the same, across languages too.

    Each key term was embedded when its posting was indexed; a pair of terms is
    linked when their cosine reaches ``LINK_THRESHOLD``; each term is used once.
    """
    need_terms = [(t, engine.term_vector(t)) for t in engine.terms_of(need.id)]
    offer_terms = [(t, engine.term_vector(t)) for t in engine.terms_of(offer.id)]
    candidates: list[tuple[float, str, str]] = []
    for nt, nv in need_terms:
        for ot, ov in offer_terms:
            if nv is None or ov is None:
                continue
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
    engine: MatchEngine, need: Posting, offer: Posting, top: int = 2
) -> list[dict[str, object]]:
    """The best-aligned sentence pairs of the two texts (bias-corrected cosine)."""
    need_sents = sentences(need.description, need.language or "other")[:12]
    offer_sents = sentences(offer.description, offer.language or "other")[:12]
    if not need_sents or not offer_sents:
        return []
    vectors = engine.model.encode(need_sents + offer_sents)
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
    if need.sector and offer.sector:
        if need.sector == offer.sector:
            reasons.agreements.append(f"same sector: {sector_label(need.sector)}")
        else:
            label = f"need {sector_label(need.sector)}, offer {sector_label(offer.sector)}"
            from indexer.sectors import sector_affinity

            if sector_affinity(need.sector, offer.sector) == 0.5:
                reasons.agreements.append(f"related sectors: {label}")
            else:
                reasons.disagreements.append(f"sector differs: {label}")
    if need.trl is not None and offer.trl is not None:
        if offer.trl >= need.trl:
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
