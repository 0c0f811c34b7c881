"""Pair reviews and interest marks: moderators decide on need–offer pairs, owners say
whether they want to meet.

The current decision on a pair lives in ``pair_reviews`` (keyed by need id and offer id,
so it survives re-indexing and edits) together with the content hashes of both postings
at review time; every decision is also appended to ``pair_review_log``. Interest marks
live in ``pair_interest``. Nothing here touches the match index: ranked pairs pass
:func:`rejected_pairs` to :meth:`service.matching.Matcher.pairs` as ``exclude``.

| module | job |
|---|---|
| ``state`` | the API view of a review / interest mark, the joins that read them |
| ``decisions`` | record a staff decision (and its audit entry) |
| ``interest`` | mark one side's interest |
| ``listing`` | ``GET /reviews``: filters, paging, CSV, counts per decision |
| ``audit`` | ``GET /reviews/audit`` |
| ``lookups`` | accepted / rejected pairs and pair states for other features |
| ``service`` | :class:`ReviewService`, the use cases over one database |
"""

from __future__ import annotations

from service.reviews.decisions import ReviewConflict
from service.reviews.listing import CSV_COLUMNS, ReviewQuery
from service.reviews.lookups import AcceptedPair, accepted_pairs, rejected_pairs
from service.reviews.service import ReviewService
from service.reviews.state import interest_state, review_state

__all__ = [
    "CSV_COLUMNS",
    "AcceptedPair",
    "ReviewConflict",
    "ReviewQuery",
    "ReviewService",
    "accepted_pairs",
    "interest_state",
    "rejected_pairs",
    "review_state",
]
