"""The organisers' dashboard in numbers: postings per sector and language, the scores of
the suggested pairs, review progress, meetings per participant of a session, and the funnel
suggested → accepted → scheduled → held → follow-up.

:func:`build_dashboard` reads them through the same services as the API and the pages
(ranked pairs, reviews, sessions, outcomes) plus a few counting queries; the page
(:mod:`service.web.routes.dashboard`) draws them with :mod:`service.web.charts`.

One ranking serves the histogram and the review counts: the :data:`FILTER_POOL` best pairs,
rejected ones left out, exactly as the ``/review`` queue counts them.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from service.auth.roles import Principal
from service.db.engine import Database
from service.db.models import MeetingOutcomeRow, PairReviewRow, PostingRow, SessionMeetingRow
from service.ranked_pairs import FILTER_POOL, RankedPairs
from service.reviews import ReviewService
from service.reviews.lookups import PairKey, accepted_pairs
from service.schemas.sessions import SessionOut
from service.sessions import SessionService

#: Languages drawn as their own series; any other detected language is counted as "other".
LANGUAGES = ("vi", "en")
#: Outcomes that mean the meeting took place.
HELD = ("held", "follow_up")


@dataclass(frozen=True)
class SectorCount:
    """Postings (not archived) of one sector (``None``: no sector), by kind and language."""

    sector: str | None
    counts: dict[tuple[str, str], int]

    def language(self, lang: str) -> int:
        """Needs and offers in ``lang`` (``"other"``: every language not in LANGUAGES)."""
        return sum(
            n
            for (_, code), n in self.counts.items()
            if code == lang or (lang == "other" and code not in LANGUAGES)
        )

    def kind(self, kind: str, lang: str) -> int:
        """Postings of ``kind`` in ``lang``."""
        return self.counts.get((kind, lang), 0)

    @property
    def total(self) -> int:
        """All postings of the sector."""
        return sum(self.counts.values())


@dataclass(frozen=True)
class ReviewProgress:
    """Moderators' decisions: accepted, rejected, maybe, and the suggested pairs nobody
    reviewed yet (the ``/review`` queue's counts)."""

    accepted: int
    rejected: int
    maybe: int
    unreviewed: int

    @property
    def undecided(self) -> int:
        """Pairs without a final decision (maybe or unreviewed)."""
        return self.maybe + self.unreviewed

    @property
    def total(self) -> int:
        """Every pair counted."""
        return self.accepted + self.rejected + self.undecided

    @property
    def done_percent(self) -> int:
        """Share of the pairs with a final decision (accepted or rejected), in percent."""
        return round(100 * (self.accepted + self.rejected) / self.total) if self.total else 0


@dataclass(frozen=True)
class ParticipantMeetings:
    """One participant of a session and how many meetings it has."""

    posting_id: int
    kind: str
    title: str
    organization: str
    meetings: int


@dataclass(frozen=True)
class Fairness:
    """Meetings per participant of one session, and the session's cap."""

    session: SessionOut
    participants: list[ParticipantMeetings]

    def distribution(self) -> list[tuple[int, int]]:
        """``(meetings, participants with that many)`` for 0 … max(cap, most held)."""
        counts = Counter(p.meetings for p in self.participants)
        top = max([self.session.max_meetings_per_participant, *counts.keys()], default=0)
        return [(n, counts.get(n, 0)) for n in range(top + 1)]

    @property
    def without_meeting(self) -> int:
        """Participants with no meeting at all."""
        return sum(1 for p in self.participants if p.meetings == 0)


@dataclass(frozen=True)
class Funnel:
    """Pairs at each stage, for one session (``session_id``) or for everything (``None``).

    ``suggested``: the engine's ranked pairs (among the session's participants) together
    with any pair a moderator decided on; ``accepted``: accepted pairs; ``scheduled``:
    stored meetings; ``held``: meetings whose outcome is ``held`` or ``follow_up``;
    ``follow_up``: outcome ``follow_up``."""

    session_id: int | None
    suggested: int
    accepted: int
    scheduled: int
    held: int
    follow_up: int

    def stages(self) -> list[tuple[str, int]]:
        """``(stage name, count)`` in funnel order."""
        return [
            ("suggested", self.suggested),
            ("accepted", self.accepted),
            ("scheduled", self.scheduled),
            ("held", self.held),
            ("follow_up", self.follow_up),
        ]


@dataclass(frozen=True)
class Dashboard:
    """Everything the dashboard page draws."""

    sectors: list[SectorCount]
    scores: list[float]
    recommended: int
    threshold: float
    review: ReviewProgress
    sessions: list[SessionOut]
    fairness: Fairness | None
    funnel: Funnel
    postings: dict[str, int] = field(default_factory=dict)


def sector_counts(database: Database) -> list[SectorCount]:
    """Postings that are not archived, per sector (most first, then by code; no sector
    last), by kind and detected language."""
    with database.session() as session:
        rows = session.execute(
            select(PostingRow.sector, PostingRow.kind, PostingRow.language, func.count())
            .where(PostingRow.status != "archived")
            .group_by(PostingRow.sector, PostingRow.kind, PostingRow.language)
        )
        found: dict[str | None, dict[tuple[str, str], int]] = {}
        for sector, kind, language, count in rows:
            found.setdefault(sector, {})[(kind, language)] = int(count)
    out = [SectorCount(sector, counts) for sector, counts in found.items()]
    return sorted(out, key=lambda s: (s.sector is None, -s.total, s.sector or ""))


def session_funnel(
    database: Database,
    ranked: RankedPairs,
    session_id: int,
    need_ids: list[int],
    offer_ids: list[int],
) -> Funnel:
    """The funnel of one session: pairs between its registered needs and offers."""
    suggested: set[PairKey] = set()
    if need_ids and offer_ids:
        pool = ranked.rank(
            FILTER_POOL, include_rejected=True, need_ids=need_ids, offer_ids=offer_ids
        )
        suggested = {(p.match.need_id, p.match.offer_id) for p in pool}
    with database.session() as session:
        accepted = (
            {(a.need_id, a.offer_id) for a in accepted_pairs(session, need_ids, offer_ids)}
            if need_ids and offer_ids
            else set()
        )
        decided = set()
        if need_ids and offer_ids:
            decided = {
                (n, o)
                for n, o in session.execute(
                    select(PairReviewRow.need_id, PairReviewRow.offer_id).where(
                        PairReviewRow.need_id.in_(need_ids), PairReviewRow.offer_id.in_(offer_ids)
                    )
                )
            }
        scheduled = _count(session, SessionMeetingRow, SessionMeetingRow.session_id == session_id)
        held, follow_up = _outcomes(session, session_id)
    return Funnel(session_id, len(suggested | decided), len(accepted), scheduled, held, follow_up)


def overall_funnel(database: Database, pool_keys: set[PairKey]) -> Funnel:
    """The funnel over every posting and session (``pool_keys``: the ranked pairs)."""
    with database.session() as session:
        decided = {
            (n, o)
            for n, o in session.execute(select(PairReviewRow.need_id, PairReviewRow.offer_id))
        }
        accepted = _count(session, PairReviewRow, PairReviewRow.decision == "accepted")
        scheduled = _count(session, SessionMeetingRow)
        held, follow_up = _outcomes(session, None)
    return Funnel(None, len(pool_keys | decided), accepted, scheduled, held, follow_up)


def _count(session: Session, model: type, *where: Any) -> int:
    query = select(func.count()).select_from(model)
    for condition in where:
        query = query.where(condition)
    return int(session.scalar(query) or 0)


def _outcomes(session: Session, session_id: int | None) -> tuple[int, int]:
    """Meetings held (outcome held or follow_up) and those with a follow-up."""
    query = select(MeetingOutcomeRow.outcome, func.count()).group_by(MeetingOutcomeRow.outcome)
    if session_id is not None:
        query = query.where(MeetingOutcomeRow.session_id == session_id)
    counts = {outcome: int(n) for outcome, n in session.execute(query)}
    return sum(counts.get(o, 0) for o in HELD), counts.get("follow_up", 0)


def fairness(sessions: SessionService, principal: Principal, chosen: SessionOut) -> Fairness:
    """Meetings per registered participant of ``chosen`` (staff's view)."""
    people = sessions.participants(principal, chosen.id)
    meetings: Counter[int] = Counter()
    for item in sessions.agenda(principal, chosen.id, None).items:
        meetings[item.need_id] += 1
        meetings[item.offer_id] += 1
    return Fairness(
        chosen,
        [
            ParticipantMeetings(
                p.posting_id,
                p.kind,
                p.title,
                p.organization or p.owner_org,
                meetings.get(p.posting_id, 0),
            )
            for p in people
        ],
    )


def build_dashboard(
    database: Database,
    ranked: RankedPairs,
    reviews: ReviewService,
    sessions: SessionService,
    principal: Principal,
    session_id: int | None = None,
) -> Dashboard:
    """The dashboard's numbers for a staff ``principal``. ``session_id`` picks the session
    of the fairness chart and the funnel (default: the first of :meth:`SessionService.all`,
    the latest start; an unknown id falls back to it too); without sessions the funnel
    covers everything and there is no fairness chart."""
    pool = ranked.rank(FILTER_POOL)
    decided = reviews.decision_counts()
    review = ReviewProgress(
        accepted=decided.get("accepted", 0),
        rejected=decided.get("rejected", 0),
        maybe=decided.get("maybe", 0),
        unreviewed=sum(1 for pair in pool if pair.review is None),
    )
    all_sessions = sessions.all()
    chosen = next((s for s in all_sessions if s.id == session_id), None)
    if chosen is None and all_sessions:
        chosen = all_sessions[0]
    if chosen is not None:
        needs, offers = sessions.participant_ids(chosen.id)
        funnel_ = session_funnel(database, ranked, chosen.id, needs, offers)
        fair: Fairness | None = fairness(sessions, principal, chosen)
    else:
        funnel_ = overall_funnel(database, {(p.match.need_id, p.match.offer_id) for p in pool})
        fair = None
    sectors = sector_counts(database)
    return Dashboard(
        sectors=sectors,
        scores=[float(p.match.score) for p in pool],
        recommended=sum(1 for p in pool if p.match.recommended),
        threshold=ranked.matcher.recommend_threshold,
        review=review,
        sessions=all_sessions,
        fairness=fair,
        funnel=funnel_,
        postings={
            kind: sum(n for s in sectors for (k, _), n in s.counts.items() if k == kind)
            for kind in ("need", "offer")
        },
    )
