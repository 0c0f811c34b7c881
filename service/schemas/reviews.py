"""Pair reviews (moderator decisions), their audit log, and interest marks."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from service.schemas.postings import PostingOut
from service.textutil import clean

NOTE_MAX = 2000


class Decision(StrEnum):
    """A moderator's decision on a pair."""

    accepted = "accepted"
    rejected = "rejected"
    maybe = "maybe"


class ReviewReason(StrEnum):
    """Why a pair was decided so (mostly for rejections)."""

    not_relevant = "not_relevant"
    trl_mismatch = "trl_mismatch"
    sector_mismatch = "sector_mismatch"
    duplicate_posting = "duplicate_posting"
    already_in_contact = "already_in_contact"
    other = "other"


class Side(StrEnum):
    """Which side of a pair: the need's organization or the offer's."""

    need = "need"
    offer = "offer"


class PairStatus(StrEnum):
    """Review state filter of ``GET /pairs``."""

    accepted = "accepted"
    rejected = "rejected"
    maybe = "maybe"
    unreviewed = "unreviewed"


def _note(value: str) -> str | None:
    return clean(value, multiline=True) or None


Note = Annotated[
    str,
    StringConstraints(strip_whitespace=True, max_length=NOTE_MAX),
    AfterValidator(_note),
]


class ReviewIn(BaseModel):
    """A moderator's decision on a pair."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"decision": "accepted", "note": "Cùng lĩnh vực thủy sản, TRL phù hợp."},
                {"decision": "rejected", "reason": "trl_mismatch", "expected_revision": 2},
                {"decision": "accepted", "expected_revision": None},
            ]
        },
    )

    decision: Decision
    reason: ReviewReason | None = None
    note: Note | None = Field(default=None, description=f"Free text, at most {NOTE_MAX} chars.")
    expected_revision: int | None = Field(
        default=None,
        ge=1,
        le=2**31,
        description="The review's `revision` the moderator saw (`null`: no review yet). "
        "When given and the pair was decided since, the decision is refused with 409 and "
        "the current review. Leave the field out to overwrite whatever is there.",
    )

    @property
    def checks_revision(self) -> bool:
        """Did the caller send ``expected_revision`` (even as ``null``)?"""
        return "expected_revision" in self.model_fields_set


class InterestIn(BaseModel):
    """Interest of one side in a pair."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"interested": True}]}
    )

    side: Side | None = Field(
        default=None,
        description="`need` or `offer`; inferred from the caller's organization for owners, "
        "required for moderators and admins.",
    )
    interested: bool


class DecisionState(BaseModel):
    """Decision, reason and note (the before/after of an audit entry)."""

    decision: Decision
    reason: ReviewReason | None = None
    note: str | None = None


class ReviewState(DecisionState):
    """The current review of a pair."""

    reviewed_at: datetime
    reviewer_org: str
    reviewer_key_id: int | None = None
    revision: int = Field(default=1, description="1 for the first decision, +1 for each later one.")
    changed_since_review: bool = Field(
        description="True when the need's or the offer's content (title, description, "
        "keywords, language) changed — or the posting was deleted — since the review."
    )


class InterestState(BaseModel):
    """Each side's interest (`null`: not said yet) and whether both said yes."""

    need: bool | None = None
    offer: bool | None = None
    mutual: bool = False


class ReviewItem(BaseModel):
    """A reviewed pair: both postings (``null`` once deleted), review and interest."""

    pair_id: str
    need_id: int
    offer_id: int
    need: PostingOut | None
    offer: PostingOut | None
    review: ReviewState
    interest: InterestState


class Reviews(BaseModel):
    """A page of reviewed pairs, most recently reviewed first."""

    items: list[ReviewItem]
    total: int
    limit: int
    offset: int


class Reviewer(BaseModel):
    """Who took a decision."""

    key_id: int | None
    organization: str
    role: str


class AuditEntry(BaseModel):
    """One decision, as it was taken."""

    id: int
    pair_id: str
    need_id: int
    offer_id: int
    at: datetime
    reviewer: Reviewer
    before: DecisionState | None
    after: DecisionState


class AuditLog(BaseModel):
    """A page of the audit log, newest first."""

    items: list[AuditEntry]
    total: int
    limit: int
    offset: int


class InterestOut(BaseModel):
    """The interest marks of a pair after a change."""

    pair_id: str
    need_id: int
    offer_id: int
    interest: InterestState
