"""Ranked pairs: the engine's best need–offer pairs over the pool (or a session's
participants), each with both postings, its review and its interest marks; and a
posting's suggestions.

Used by ``GET /pairs``, ``GET /sessions/{id}/pairs``, ``GET /needs|offers/{id}/matches``,
posting pages and the moderators' ``/review`` page. Rejected pairs are never proposed
unless asked for (``status=rejected`` or ``include_rejected``). Filters on the review state
and on mutual interest look at the best :data:`FILTER_POOL` ranked pairs, after the
``per_need`` / ``per_offer`` caps; the ``/review`` queue is one snapshot of
:data:`QUEUE_POOL` pairs (:meth:`RankedPairs.queue`).
"""

from __future__ import annotations

import dataclasses
import threading
import weakref
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import func, select

from service.auth.roles import Principal
from service.db.models import PostingRow
from service.matching import Match, Matcher
from service.postings import PostingService, to_out
from service.reviews import ReviewService, interest_state, review_state
from service.schemas.reviews import InterestState, PairStatus, ReviewState

#: The interest of a pair nobody marked (shared: it is never changed).
_NO_INTEREST = InterestState()

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
    #: ``match.to_dict()`` when already made (the queue's snapshot keeps them).
    match_dict: dict[str, Any] | None = None

    @property
    def status(self) -> PairStatus:
        """The pair's review state: its decision, or ``unreviewed``."""
        if self.review is None:
            return PairStatus.unreviewed
        return PairStatus(self.review.decision.value)

    def to_item(self, principal: Principal) -> dict[str, Any]:
        """The JSON item of ``GET /pairs`` as ``principal`` may see it."""
        item = dict(self.match_dict) if self.match_dict is not None else self.match.to_dict()
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


#: The moderators' queue: at most this many ranked pairs (a fair has 500–2,000).
QUEUE_POOL = 2500


@dataclass(frozen=True)
class QueueFilters:
    """What the ``/review`` page filters on (``status`` ``None``: all but rejected)."""

    status: PairStatus | None = PairStatus.unreviewed
    min_score: float = 0.0
    mutual_interest: bool | None = None
    sector: str | None = None
    lang_pair: str | None = None

    def keep(self, pair: RankedPair) -> bool:
        """Does ``pair`` pass every filter?"""
        if self.status is None and pair.status is PairStatus.rejected:
            return False
        if not keep(pair, self.status, self.mutual_interest, self.min_score):
            return False
        if self.sector and self.sector not in (pair.need.sector, pair.offer.sector):
            return False
        return not self.lang_pair or pair.match.reasons.language_pair == self.lang_pair


@dataclass(frozen=True)
class Queue:
    """One page of the moderators' queue, cut from one snapshot of the ranking.

    ``pairs``: the page; ``total``: pairs passing the filters; ``offset``: where the page
    starts among them; ``counts``: how many pairs of the whole snapshot (``pool``) have each
    state — ``unreviewed``, ``accepted``, ``rejected``, ``maybe``."""

    pairs: list[RankedPair]
    total: int
    offset: int
    counts: dict[str, int]
    pool: int

    @property
    def unreviewed(self) -> int:
        """Pairs of the snapshot nobody decided on yet."""
        return self.counts[PairStatus.unreviewed.value]

    @property
    def decided(self) -> int:
        """Pairs of the snapshot with a decision (the progress bar's value)."""
        return self.pool - self.unreviewed


@dataclass(frozen=True)
class _Snapshot:
    """A cached queue ranking: the matches and their postings, valid for ``key``."""

    key: tuple[Any, ...]
    matches: list[Match]
    rows: dict[int, PostingRow]
    dicts: dict[str, dict[str, Any]]  # pair id → ``match.to_dict()``, made when first shown


#: The queue's ranking per matcher, reused until a posting changes (see ``_fingerprint``).
_SNAPSHOTS: weakref.WeakKeyDictionary[Matcher, _Snapshot] = weakref.WeakKeyDictionary()
_SNAPSHOT_LOCK = threading.Lock()


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
        return self._joined(found, rows)

    def _joined(self, found: list[Match], rows: dict[int, PostingRow]) -> list[RankedPair]:
        """``found`` with postings (pairs whose posting is missing are dropped) and the
        current review and interest states."""
        decided, marks = self.reviews.states((m.need_id, m.offer_id) for m in found)
        out = []
        for match in found:
            need, offer = rows.get(match.need_id), rows.get(match.offer_id)
            if need is None or offer is None:
                continue
            key = (match.need_id, match.offer_id)
            review = review_state(decided.get(key), need, offer)
            mark = marks.get(key)
            interest = _NO_INTEREST if mark is None else interest_state(mark)
            out.append(RankedPair(match, need, offer, review, interest))
        return out

    def _fingerprint(self) -> tuple[Any, ...]:
        """What the queue's ranking depends on besides the decisions: the postings (their
        number, newest id and last change), the index (its size, active postings and
        embeddings, which move when a write's sync lands) and the day (postings expire)."""
        with self.postings.database.session() as session:
            row = session.execute(
                select(func.count(), func.max(PostingRow.id), func.max(PostingRow.updated_at))
            ).one()
        index = self.matcher.status()["index"]
        stats = (index["size"], index["active"], index["embedded_since_start"])
        return (tuple(row), stats, date.today())

    def _queue_ranking(self, per_need: int, per_offer: int) -> _Snapshot:
        """The matcher's :data:`QUEUE_POOL` best pairs, rejected ones included, and their
        postings: ranked once, then reused while no posting changes. Decisions do not
        change it — that is what keeps the queue one snapshot whose counts only go down."""
        key = (self._fingerprint(), per_need, per_offer)
        with _SNAPSHOT_LOCK:
            cached = _SNAPSHOTS.get(self.matcher)
        if cached is not None and cached.key == key:
            return cached
        found = self.matcher.pairs(limit=QUEUE_POOL, per_need=per_need, per_offer=per_offer)
        rows = self.postings.get_many(sorted({i for m in found for i in (m.need_id, m.offer_id)}))
        snapshot = _Snapshot(key, found, rows, {})
        with _SNAPSHOT_LOCK:
            _SNAPSHOTS[self.matcher] = snapshot
        return snapshot

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
        filters: QueueFilters,
        offset: int = 0,
        limit: int = 50,
        per_need: int = 3,
        per_offer: int = 3,
    ) -> Queue:
        """The ``/review`` page: **one** ranking of the :data:`QUEUE_POOL` best pairs,
        rejected ones included, is the snapshot (kept until a posting changes, so most
        views rank nothing). Its membership does not depend on the decisions (a rejection
        does not let another pair in), so the counts only go down as decisions are taken;
        the review states are read afresh, the filters and the page cut from it."""
        snapshot = self._queue_ranking(per_need, per_offer)
        pool = self._joined(snapshot.matches, snapshot.rows)
        counts = {state.value: 0 for state in PairStatus}
        for pair in pool:
            counts[pair.status.value] += 1
        shown = [pair for pair in pool if filters.keep(pair)]
        offset = max(0, min(offset, (len(shown) - 1) // limit * limit if shown else 0))
        page = []
        for pair in shown[offset : offset + limit]:
            made = snapshot.dicts.get(pair.match.pair_id)
            if made is None:
                made = snapshot.dicts.setdefault(pair.match.pair_id, pair.match.to_dict())
            page.append(dataclasses.replace(pair, match_dict=made))
        return Queue(page, len(shown), offset, counts, len(pool))


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
