"""Ranked matches and moderator pairs."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from service.schemas.postings import PostingOut
from service.schemas.reviews import InterestState, ReviewState


class MatchBase(BaseModel):
    """Score and explanation of one need–offer pair."""

    pair_id: str = Field(description="Stable id of the pair: '<need_id>-<offer_id>'.")
    score: float = Field(ge=0, le=1, description="Overall score, 0–1; higher is better.")
    recommended: bool = Field(description="True when the pair clears the recommendation bar.")
    components: dict[str, float] = Field(description="The signals the score is made of.")
    reasons: dict[str, Any] = Field(
        description="Why: shared terms, aligned sentences, agreements and disagreements "
        "(sector, TRL, transfer modes), language pair."
    )


class PostingMatch(MatchBase):
    """A counterpart of one posting, with the moderators' decision on the pair."""

    review: ReviewState | None = Field(
        default=None,
        description="The moderators' decision; `null` when not reviewed. `rejected` only "
        "with `include_rejected=true`.",
    )


class OfferMatch(PostingMatch):
    """An offer suggested for a need."""

    offer: PostingOut


class NeedMatch(PostingMatch):
    """A need suggested for an offer."""

    need: PostingOut


class OfferMatches(BaseModel):
    """Offers for a need, best first."""

    items: list[OfferMatch]


class NeedMatches(BaseModel):
    """Needs for an offer, best first."""

    items: list[NeedMatch]


class PairOut(MatchBase):
    """A need–offer pair over the whole pool, for moderators."""

    need_id: int
    offer_id: int
    need: PostingOut
    offer: PostingOut
    review: ReviewState | None = Field(
        default=None, description="The moderators' decision; `null` when not reviewed."
    )
    interest: InterestState = Field(default_factory=InterestState)


class Pairs(BaseModel):
    """Pairs best first, at most ``per_need`` per need and ``per_offer`` per offer."""

    items: list[PairOut]
