"""Ranked pairs: the engine's best need–offer pairs over the pool (or a session's
participants), each with both postings, its review and its interest marks.

Used by ``GET /pairs``, ``GET /sessions/{id}/pairs`` and the moderators' ``/review`` page.
Rejected pairs are never proposed unless asked for (``status=rejected``). Filters on the
review state and on mutual interest look at the best :data:`FILTER_POOL` ranked pairs,
after the ``per_need`` / ``per_offer`` caps.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from typing import Any

from service.auth.roles import Principal
from service.db.models import PostingRow
from service.matching import Match, Matcher
from service.postings import PostingService, to_out
from service.reviews import ReviewService, interest_state, review_state
from service.schemas.reviews import InterestState, PairStatus, ReviewState

#: How many ranked pairs are looked at when a review/interest filter thins them out.
FILTER_POOL = 1000


@dataclass(frozen=True)
class PairQuery:
    """What ``GET /pairs`` asks for (``need_ids`` / ``offer_ids``: only those postings)."""

    limit: int = 100
    min_score: float = 0.0
    per_need: int = 3
    per_offer: int = 3
    status: PairStatus | None = None
    mutual_interest: bool | None = None
    need_ids: Collection[int] | None = None
    offer_ids: Collection[int] | None = None
    include_rejected: bool = False

    @property
    def filtered(self) -> bool:
        """Does a review or interest filter thin out the ranking?"""
        return self.status is not None or self.mutual_interest is not None


@dataclass(frozen=True)
class RankedPair:
    """One ranked pair with its postings, review (``None``: never reviewed) and interest."""

    match: Match
    need: PostingRow
    offer: PostingRow
    review: ReviewState | None
    interest: InterestState

    @property
    def status(self) -> PairStatus:
        """The pair's review state: its decision, or ``unreviewed``."""
        if self.review is None:
            return PairStatus.unreviewed
        return PairStatus(self.review.decision.value)

    def to_item(self, principal: Principal) -> dict[str, Any]:
        """The JSON item of ``GET /pairs`` as ``principal`` may see it."""
        item = self.match.to_dict()
        item["need"] = to_out(self.need, principal)
        item["offer"] = to_out(self.offer, principal)
        item["review"] = self.review
        item["interest"] = self.interest
        return item


def keep(
    pair: RankedPair,
    status: PairStatus | None = None,
    mutual_interest: bool | None = None,
    min_score: float = 0.0,
) -> bool:
    """Does ``pair`` pass the filters (``None``: any)?"""
    if pair.match.score < min_score:
        return False
    if status is not None and pair.status is not status:
        return False
    return mutual_interest is None or pair.interest.mutual == mutual_interest


def select_pairs(
    ranked: Iterable[RankedPair],
    limit: int,
    status: PairStatus | None = None,
    mutual_interest: bool | None = None,
    min_score: float = 0.0,
) -> list[RankedPair]:
    """The first ``limit`` ranked pairs that pass the filters, in rank order."""
    out: list[RankedPair] = []
    for pair in ranked:
        if keep(pair, status, mutual_interest, min_score):
            out.append(pair)
            if len(out) >= limit:
                break
    return out


@dataclass(frozen=True)
class Queue:
    """The moderators' queue: the pairs to show and how many ranked pairs are unreviewed."""

    pairs: list[RankedPair]
    unreviewed: int


class RankedPairs:
    """Ranked pairs from the matcher, joined with postings and review states."""

    def __init__(self, postings: PostingService, matcher: Matcher, reviews: ReviewService) -> None:
        self.postings = postings
        self.matcher = matcher
        self.reviews = reviews

    def rank(
        self,
        limit: int,
        min_score: float = 0.0,
        per_need: int = 3,
        per_offer: int = 3,
        include_rejected: bool = False,
        need_ids: Collection[int] | None = None,
        offer_ids: Collection[int] | None = None,
    ) -> list[RankedPair]:
        """One ranking: the matcher's best pairs (rejected ones left out unless
        ``include_rejected``), best first, with postings and states; pairs whose posting
        left the database meanwhile are dropped."""
        exclude = set() if include_rejected else self.reviews.rejected()
        found = self.matcher.pairs(
            limit=limit,
            min_score=min_score,
            per_need=per_need,
            per_offer=per_offer,
            exclude=exclude,
            need_ids=need_ids,
            offer_ids=offer_ids,
        )
        rows = self.postings.get_many(sorted({i for m in found for i in (m.need_id, m.offer_id)}))
        decided, marks = self.reviews.states((m.need_id, m.offer_id) for m in found)
        out = []
        for match in found:
            need, offer = rows.get(match.need_id), rows.get(match.offer_id)
            if need is None or offer is None:
                continue
            key = (match.need_id, match.offer_id)
            review = review_state(decided.get(key), need, offer)
            out.append(RankedPair(match, need, offer, review, interest_state(marks.get(key))))
        return out

    def search(self, query: PairQuery) -> list[RankedPair]:
        """The pairs of ``GET /pairs``: one ranking (the :data:`FILTER_POOL` best when a
        filter thins it out), then the filters, at most ``query.limit``."""
        ranked = self.rank(
            limit=max(query.limit, FILTER_POOL) if query.filtered else query.limit,
            min_score=query.min_score,
            per_need=query.per_need,
            per_offer=query.per_offer,
            include_rejected=query.include_rejected or query.status is PairStatus.rejected,
            need_ids=query.need_ids,
            offer_ids=query.offer_ids,
        )
        return select_pairs(ranked, query.limit, query.status, query.mutual_interest)

    def queue(
        self,
        status: PairStatus | None,
        min_score: float = 0.0,
        mutual_interest: bool | None = None,
        per_need: int = 3,
        per_offer: int = 3,
    ) -> Queue:
        """The ``/review`` page's pairs and its unreviewed count from **one** ranking of the
        :data:`FILTER_POOL` best pairs (``min_score`` only cuts the sorted ranking, so it is
        applied afterwards). Only the rejected view ranks a second time: its list must
        include the rejected pairs, which the count's ranking leaves out."""
        pool = self.rank(FILTER_POOL, per_need=per_need, per_offer=per_offer)
        unreviewed = sum(1 for pair in pool if pair.review is None)
        if status is PairStatus.rejected:
            query = PairQuery(FILTER_POOL, min_score, per_need, per_offer, status, mutual_interest)
            return Queue(self.search(query), unreviewed)
        return Queue(
            select_pairs(pool, FILTER_POOL, status, mutual_interest, min_score), unreviewed
        )


#: Posting pages show a suggestion only when it is recommended or scores at least this.
SUGGESTION_MIN_SCORE = 0.3


@dataclass(frozen=True)
class Suggestion:
    """One counterpart of a posting: the match, the other posting and the pair's review."""

    match: Match
    counterpart: PostingRow
    review: ReviewState | None
    interest: InterestState

    @property
    def shown_on_posting_page(self) -> bool:
        """Is it shown on a posting page (recommended, or :data:`SUGGESTION_MIN_SCORE`)?"""
        return self.match.recommended or self.match.score >= SUGGESTION_MIN_SCORE


def suggestions(
    postings: PostingService,
    matcher: Matcher,
    reviews: ReviewService,
    posting: PostingRow,
    limit: int = 10,
    min_score: float = 0.0,
    sectors: Iterable[str] | None = None,
    languages: Iterable[str] | None = None,
    include_rejected: bool = False,
) -> list[Suggestion]:
    """The best ``limit`` counterparts of ``posting``, best first, each with its review.

    The one rule for rejected pairs: they are left out unless ``include_rejected`` (staff
    asking explicitly), and then they carry their ``rejected`` review. Raises
    :class:`service.matching.NotIndexed` when the posting is not indexed."""
    kind = posting.kind
    rejected = set() if include_rejected else reviews.rejected_of(kind, posting.id)
    found = matcher.matches(
        posting.id,
        limit=limit + len(rejected),
        min_score=min_score,
        sectors=sectors,
        languages=languages,
    )
    found = [m for m in found if (m.need_id, m.offer_id) not in rejected][:limit]
    rows = postings.get_many([m.counterpart(kind) for m in found])  # type: ignore[arg-type]
    decided, marks = reviews.states((m.need_id, m.offer_id) for m in found)
    out = []
    for match in found:
        other = rows.get(match.counterpart(kind))  # type: ignore[arg-type]
        if other is None:  # deleted since the search
            continue
        need, offer = (posting, other) if kind == "need" else (other, posting)
        key = (match.need_id, match.offer_id)
        review = review_state(decided.get(key), need, offer)
        out.append(Suggestion(match, other, review, interest_state(marks.get(key))))
    return out
