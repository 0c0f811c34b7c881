"""The ranking learned from decisions (moderators and admins): ``POST /ranking/learn``,
``GET /ranking``, ``POST /ranking/reset``."""

from __future__ import annotations

from fastapi import APIRouter

from service.api.deps import RankingDep, StaffDep
from service.schemas.common import ERROR_RESPONSES
from service.schemas.ranking import LearnOut, RankingOut

router = APIRouter(tags=["ranking"], responses=ERROR_RESPONSES)


@router.post(
    "/ranking/learn",
    response_model=LearnOut,
    summary="Learn the ranking from the decisions so far (moderators)",
    responses={
        409: {
            "description": "Too few usable decisions (under 30, or under 10 needs, or only "
            "one kind): the error item has `msg`, `msg_vi` and the counts."
        }
    },
)
def learn(principal: StaffDep, ranking: RankingDep) -> LearnOut:
    """Fit a re-ranker over the engine's score parts on every accepted and rejected pair
    (rejections for duplicates or existing contacts, undecided pairs and pairs changed since
    their decision are left out; an accepted pair both sides marked, or whose meeting
    ended in a follow-up, counts double in nDCG), cross-validated by need. Answers the
    held-out figures of the learned ranking next to the current one; it becomes the active
    ranking of every worker only when better by the rule in `rule`, else `reason` says why
    not. Every attempt is stored (`GET /ranking`)."""
    return ranking.learn(principal)


@router.get("/ranking", response_model=RankingOut, summary="The active ranking (moderators)")
def show(principal: StaffDep, ranking: RankingDep) -> RankingOut:
    """Which ranking is active (`builtin` fusion or `learned`), since when, from how many
    decisions and needs, and the newest attempts with who made them."""
    return ranking.status()


@router.post(
    "/ranking/reset", response_model=RankingOut, summary="Back to the built-in ranking (moderators)"
)
def reset(principal: StaffDep, ranking: RankingDep) -> RankingOut:
    """Make the built-in fusion the active ranking again, for every worker (stored as a
    `reset` attempt)."""
    return ranking.reset(principal)
