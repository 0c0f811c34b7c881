"""What one card of the ``/review`` queue shows: both postings highlighted, warning badges
and the score as a bar of its weighted parts (labels and explanations in ``review_strings``)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from markupsafe import Markup

from service.web.highlight import highlight, side_terms

#: The parts of the score, in the bar's order (their weights are the engine's).
PARTS = ("dense", "lexical", "field")


@dataclass(frozen=True)
class Weights:
    """The fusion weights of the score's parts (``Matcher.engine_config.fusion``)."""

    dense: float
    lexical: float
    field: float

    @classmethod
    def of(cls, fusion: Any) -> Weights:
        """The weights of an engine's ``FusionConfig``."""
        return cls(fusion.dense_weight, fusion.lexical_weight, fusion.field_weight)


def score_parts(item: dict[str, Any], weights: Weights) -> list[dict[str, Any]]:
    """The bar's segments: per part its value in [0, 1], its share of the score in percent
    of the bar (the shares add up to the score), and whether it is unused (the lexical
    part of a cross-language pair is replaced by the meaning similarity). A part the
    pair has no data for (no sector, no TRL: no ``field``) is left out."""
    components = item["components"]
    cross = item["need"].language != item["offer"].language
    values = {
        "dense": components.get("dense"),
        "lexical": components.get("lexical_used", components.get("lexical")),
        "field": components.get("field"),
    }
    known = {name: v for name, v in values.items() if v is not None}
    total = sum(getattr(weights, name) for name in known) or 1.0
    out = []
    for name in PARTS:
        value = known.get(name)
        if value is None:
            continue
        out.append(
            {
                "name": name,
                "value": value,
                "share": round(100.0 * getattr(weights, name) * value / total, 1),
                "unused": name == "lexical" and cross,
            }
        )
    return out


def warnings(item: dict[str, Any]) -> list[dict[str, Any]]:
    """Warning badges: ``trl_below`` (the offer's TRL is under what the need accepts),
    ``sector`` (the engine found the sectors unrelated), ``changed`` (a posting changed
    since the review); each with the values its message needs."""
    need, offer, review = item["need"], item["offer"], item.get("review")
    out: list[dict[str, Any]] = []
    if need.trl is not None and offer.trl is not None and offer.trl < need.trl:
        out.append({"key": "trl_below", "need": need.trl, "offer": offer.trl})
    disagreements = item["reasons"].get("disagreements") or []
    if any(str(d).startswith("sector differs") for d in disagreements):
        out.append({"key": "sector", "need": need.sector, "offer": offer.sector})
    if review is not None and review.changed_since_review:
        out.append({"key": "changed"})
    return out


@lru_cache(maxsize=8192)
def _highlighted(text: str, terms: tuple[str, ...]) -> Markup:
    """:func:`highlight`, remembered: a queue page shows the same postings view after view."""
    return highlight(text, terms)


def card(item: dict[str, Any], weights: Weights) -> dict[str, Any]:
    """The template's view of one ``GET /pairs`` item."""
    reasons = item["reasons"]
    need, offer = item["need"], item["offer"]
    need_terms = tuple(side_terms(reasons, "need"))
    offer_terms = tuple(side_terms(reasons, "offer"))
    review = item.get("review")
    return {
        **item,
        "need_title": _highlighted(need.title or "", need_terms),
        "need_text": _highlighted(need.description or "", need_terms),
        "offer_title": _highlighted(offer.title or "", offer_terms),
        "offer_text": _highlighted(offer.description or "", offer_terms),
        "parts": score_parts(item, weights),
        "warnings": warnings(item),
        "status": review.decision.value if review is not None else "unreviewed",
        "revision": review.revision if review is not None else "",
    }
