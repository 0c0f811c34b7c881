"""Shapes of ``/ranking``: the active ranking, its history, and a learn attempt's figures."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field


class RankingVersion(BaseModel):
    """One learn attempt or reset, as stored (the audit trail)."""

    version: int = Field(description="The row's id; the active ranking's version.")
    action: Literal["learn", "reset"]
    activated: bool = Field(description="Whether this row became the active ranking.")
    decisions: int
    needs: int
    figures: dict[str, Any] | None = Field(
        None, description="Held-out figures of the learn attempt (see `POST /ranking/learn`)."
    )
    reason: str | None = None
    created_by_org: str
    created_by_role: str
    created_at: datetime


class RankingOut(BaseModel):
    """Which ranking every worker uses now, since when, learned from how many decisions."""

    active: Literal["builtin", "learned"]
    version: int | None = Field(description="`null`: built-in, never learned nor reset.")
    since: datetime | None
    decisions: int | None = Field(description="Decisions the active learned ranking used.")
    needs: int | None
    weights: dict[str, float] | None = Field(
        None, description="The learned ranking's weights per score part (raw features)."
    )
    history: list[RankingVersion] = Field(description="The newest 20 attempts, newest first.")


class Figures(BaseModel):
    """A ranking's held-out figures over the decided needs."""

    ndcg_at_10: float
    auc: float


class CurrentFigures(Figures):
    """The current ranking's figures, and which one it is."""

    ranking: Literal["builtin", "learned"]
    version: int | None


class LearnedFigures(Figures):
    """The learned ranking's figures (cross-validated by need)."""

    auc_lower_95: float


class Gain(BaseModel):
    """Per-need nDCG@10 gain of learned over current, with its 90 % bootstrap interval."""

    ndcg_at_10: float
    lower_90: float
    upper_90: float
    needs: int = Field(description="Needs with an accepted pair (those nDCG is over).")
    top_overlap: float = Field(
        description="Median share of the current top k of the decided needs kept by the "
        "learned ranking's top k (k: the need's decisions, at most 10)."
    )
    candidates: int = Field(
        0,
        description="Candidates re-ranked for the nDCG figures: each decided need's top 100 "
        "under the current ranking, decided or not (undecided ones count as not relevant).",
    )


class LearnOut(BaseModel):
    """The answer of a learn attempt: figures, and switched or why not."""

    switched: bool
    reason: str
    reason_vi: str
    rule: str
    version: int = Field(description="The id of the stored attempt.")
    decisions: int
    needs: int
    accepted: int
    rejected: int
    current: CurrentFigures
    learned: LearnedFigures
    gain: Gain
    ranking: RankingOut
