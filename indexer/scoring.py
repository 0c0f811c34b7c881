"""Fusion of dense, lexical and field signals into one score in [0, 1].

Every pair is scored in the need → offer direction, whichever side asked, so
a pair has one score. The parts:

- ``dense``: the bias-corrected cosine as a z-score against the need's cosines
  to offers of the offer's language (see :mod:`indexer.bias`), mapped through
  a logistic curve into [0, 1];
- ``lexical``: BM25 of the need's tokens in the offer, normalised to [0, 1];
  for a cross-language pair, where shared words are rare by construction, the
  lexical signal is replaced by the dense one so that a pair is not penalised
  for crossing languages;
- ``field``: sector agreement and TRL compatibility;
- ``concept`` (a part for the fitted fusion only, not in the hand-set score): the share of
  the need's glossary concepts the offer mentions too, in either language
  (:mod:`indexer.concepts`);
- ``sentence`` (off by default, ``sentence_weight`` 0): the best-aligned sentence pair of
  two long postings, its corrected cosine as the need's z-score through the dense curve
  (:func:`sentence_signal`); measured on the dev set and left at 0 (README, levers).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from indexer.postings import Posting
from indexer.sectors import sector_affinity

ZScore = Callable[[int, str, float], float]  # (need id, offer language, cosine) → z
PairLexical = Callable[[int, int], float]  # (need id, offer id) → normalised BM25
#: (need, offer, score parts with ``fusion`` = the built-in score) → the pair's score in [0, 1]
Rescore = Callable[[Posting, Posting, dict[str, float]], float]


@dataclass(frozen=True)
class FusionConfig:
    """Weights and curves of the fused score (measured on the development set)."""

    dense_weight: float = 0.5
    lexical_weight: float = 0.35
    field_weight: float = 0.15
    dense_center: float = 3.0
    dense_width: float = 0.8
    lexical_power: float = 1.0
    cross_lingual_lexical: str = "dense"  # "dense": impute with the dense signal; "raw": keep BM25
    recommend_threshold: float = 0.40
    reciprocal_margin: float = 0.05  # < 0 turns the reciprocity condition off
    sentence_weight: float = 0.0  # best-aligned sentence pair part; 0: not used (today)


def dense_signal(z: float, config: FusionConfig) -> float:
    """Map a similarity z-score into [0, 1] with a logistic curve."""
    return 1.0 / (1.0 + math.exp(-(z - config.dense_center) / config.dense_width))


def trl_gap(need: Posting, offer: Posting) -> int | None:
    """How many levels the offer's TRL falls short of what the need accepts (<= 0: it
    reaches it); ``None`` when either TRL is unknown. The one TRL rule: the score and
    the reasons both read it."""
    if need.trl is None or offer.trl is None:
        return None
    return need.trl - offer.trl


def trl_signal(need: Posting, offer: Posting) -> float | None:
    """1.0 when the offer's TRL reaches what the need accepts, less per missing level."""
    gap = trl_gap(need, offer)
    if gap is None:
        return None
    return 1.0 if gap <= 0 else max(0.0, 1.0 - gap / 3.0)


def field_signal(need: Posting, offer: Posting) -> tuple[float | None, float | None, float | None]:
    """``(field, sector, trl)``: the mean of the known field signals, and each of them."""
    sector = sector_affinity(need.sector, offer.sector)
    trl = trl_signal(need, offer)
    known = [v for v in (sector, trl) if v is not None]
    return (sum(known) / len(known) if known else None), sector, trl


def best_aligned_cosine(need_sentences: np.ndarray, offer_sentences: np.ndarray) -> float | None:
    """The highest cosine between a need sentence and an offer sentence (corrected, unit
    rows); ``None`` unless both postings are long (at least two sentences each)."""
    if len(need_sentences) < 2 or len(offer_sentences) < 2:
        return None
    return float((need_sentences @ offer_sentences.T).max())


def sentence_signal(z: float | None, config: FusionConfig) -> float | None:
    """The sentence part in [0, 1]: the best-aligned pair's z-score through the dense curve."""
    return None if z is None else dense_signal(z, config)


def fuse(
    need: Posting,
    offer: Posting,
    z: float,
    lexical: float,
    config: FusionConfig,
    sentence: float | None = None,
) -> tuple[float, dict[str, float]]:
    """The fused score of a pair and its components (all in [0, 1] but ``dense_z``);
    ``sentence`` (from :func:`sentence_signal`) counts only when ``sentence_weight`` > 0."""
    dense = dense_signal(z, config)
    lex = lexical**config.lexical_power if lexical > 0 else 0.0
    cross = need.language != offer.language
    lex_used = max(lex, dense) if cross and config.cross_lingual_lexical == "dense" else lex
    field, sector, trl = field_signal(need, offer)
    parts = [(config.dense_weight, dense), (config.lexical_weight, lex_used)]
    if field is not None:
        parts.append((config.field_weight, field))
    if sentence is not None and config.sentence_weight > 0:
        parts.append((config.sentence_weight, sentence))
    total_weight = sum(w for w, _ in parts)
    score = sum(w * v for w, v in parts) / total_weight if total_weight else 0.0
    components = {"dense": dense, "dense_z": z, "lexical": lex, "lexical_used": lex_used}
    if sector is not None:
        components["sector"] = sector
    if trl is not None:
        components["trl"] = trl
    if field is not None:
        components["field"] = field
    if sentence is not None:
        components["sentence"] = sentence
    return min(max(score, 0.0), 1.0), components


class PairScorer:
    """Scores a pair from its corrected cosine: the need's z-score, BM25, fusion; a
    ``rescore`` hook (the fitted fusion, :mod:`indexer.fusion`, or a learned ranking,
    :mod:`indexer.learned`) may replace the fused score, the built-in one then kept as the
    ``fusion`` component."""

    def __init__(
        self,
        z: ZScore,
        lexical: PairLexical,
        config: FusionConfig,
        rescore: Rescore | None = None,
        offer_z: ZScore | None = None,
    ) -> None:
        self.z, self.lexical, self.config = z, lexical, config
        self.rescore = rescore
        #: (offer id, need language, cosine) → the cosine as a z-score against the offer's
        #: cosines to needs (the ``offer_z`` part the fitted fusion reads); ``None``: not given
        self.offer_z = offer_z
        #: (need id, offer id) → the glossary-bridged ``concept`` part
        #: (:meth:`indexer.concepts.ConceptIndex.pair_score`); ``None``: not computed
        self.concepts: PairLexical | None = None
        #: offer id → its best built-in score with any need (set by the ranker); gives the
        #: ``reciprocal`` part a learned ranking reads: this pair's score minus that best
        self.reciprocal: Callable[[int], float] | None = None

    def score(
        self, need: Posting, offer: Posting, cosine: float, lexical: float | None = None
    ) -> tuple[float, dict[str, float]]:
        """``(score, components)``; ``lexical`` is computed when not given."""
        score, components = self.builtin(need, offer, cosine, lexical)
        if self.rescore is not None:
            components["fusion"] = score
            if self.reciprocal is not None and self.wants_reciprocal:
                components["reciprocal"] = score - self.reciprocal(offer.id)
            score = self.rescore(need, offer, components)
        return score, components

    @property
    def wants_reciprocal(self) -> bool:
        """Whether the rescore hook reads the ``reciprocal`` part (costly: the offer's best
        need); a hook whose object says ``reads_reciprocal = False`` does not."""
        owner = getattr(self.rescore, "__self__", None)
        return self.rescore is not None and bool(getattr(owner, "reads_reciprocal", True))

    def builtin(
        self, need: Posting, offer: Posting, cosine: float, lexical: float | None = None
    ) -> tuple[float, dict[str, float]]:
        """The built-in fusion's ``(score, components)``, whatever the rescore hook."""
        z = self.z(need.id, offer.language or "other", cosine)
        if lexical is None:
            lexical = self.lexical(need.id, offer.id)
        score, components = fuse(need, offer, z, lexical, self.config)
        if self.offer_z is not None:
            components["offer_z"] = self.offer_z(offer.id, need.language or "other", cosine)
        if self.concepts is not None:
            components["concept"] = self.concepts(need.id, offer.id)
        return score, components
