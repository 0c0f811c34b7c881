"""The decided pairs a ranking learns from.

In: the reviews table, interest marks and meeting outcomes. Out: one :class:`Decided` per
pair that is accepted or rejected *about the fit*, with a graded gain for nDCG: 0 rejected,
1 accepted, 2 accepted and confirmed afterwards (both sides marked interest, or the
meeting ended with a follow-up). Left out: undecided ("maybe") pairs; rejections whose
reason says nothing about the fit (``duplicate_posting``, ``already_in_contact``); and
pairs whose need or offer changed or was deleted since the decision (the decision was
about another text).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.db.models import MeetingOutcomeRow, PairReviewRow
from service.reviews.state import changed, joined

#: Rejection reasons that are not about how well the need and the offer fit.
NOT_ABOUT_FIT = frozenset({"duplicate_posting", "already_in_contact"})


@dataclass(frozen=True)
class Decided:
    """One usable decision: ``label`` 1 accepted / 0 rejected, ``gain`` 0, 1 or 2."""

    need_id: int
    offer_id: int
    label: int
    gain: int


def decided_pairs(session: Session) -> list[Decided]:
    """The usable decisions, ordered by need id then offer id (see module docstring)."""
    follow_ups = {
        (n, o)
        for n, o in session.execute(
            select(MeetingOutcomeRow.need_id, MeetingOutcomeRow.offer_id).where(
                MeetingOutcomeRow.outcome == "follow_up"
            )
        )
    }
    query = joined().where(PairReviewRow.decision.in_(["accepted", "rejected"]))
    out: list[Decided] = []
    for review, need, offer, interest in session.execute(query):
        if changed(review, need, offer):
            continue
        if review.decision == "rejected":
            if review.reason not in NOT_ABOUT_FIT:
                out.append(Decided(review.need_id, review.offer_id, 0, 0))
            continue
        key = (review.need_id, review.offer_id)
        mutual = interest is not None and interest.need_interested and interest.offer_interested
        gain = 2 if mutual or key in follow_ups else 1
        out.append(Decided(review.need_id, review.offer_id, 1, gain))
    out.sort(key=lambda d: (d.need_id, d.offer_id))
    return out
