"""Planning a session's schedule: match scores in, the scheduler's problem out (pure).

Candidates are the accepted pairs between participants plus, on request, the *suggested*
pairs: not accepted yet, not rejected, both sides marked interest, score ≥ ``min_score``.
Each is worth (what the scheduler maximises after fairness)::

    value = score + MUTUAL_BONUS · [both sides marked interest] + ACCEPTED_BONUS · [accepted]

with ``score`` the engine's match score (0–1), so an accepted pair always beats a
suggested one. Stored meetings that still fit the session are passed on as ``previous``
so that a re-schedule keeps them in place.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from service.scheduling import CandidatePair, Meeting, ScheduleProblem
from vocabulary import pair_id

#: Added to a pair's value when both sides marked interest in it.
MUTUAL_BONUS = 0.5
#: Added to a pair's value when moderators accepted it.
ACCEPTED_BONUS = 1.0

VALUE_RULE = (
    f"value = match score (0–1) + {MUTUAL_BONUS} if both sides marked interest "
    f"+ {ACCEPTED_BONUS} if moderators accepted the pair"
)

PairKey = tuple[int, int]


def fairness_rule(fairness_k: int, max_meetings: int) -> str:
    """The fairness rule of a session, in words."""
    k = min(fairness_k, max_meetings)
    if k <= 0:
        return "fairness off (fairness_k = 0): the total value of the meetings is maximised"
    levels = "at least 1 meeting" if k == 1 else f"at least 1, then 2, … up to {k} meetings"
    return (
        f"k = min(fairness_k, max_meetings_per_participant) = {k}: first as many participants "
        f"as possible get {levels} (each level maximised without lowering the one before), "
        "so nobody's extra meeting is bought with another participant's first; only then is "
        "the total value maximised"
    )


@dataclass(frozen=True)
class SessionPairs:
    """The pairs between a session's participants that may meet: ``accepted`` (by need id,
    then offer id), ``mutual`` (both sides interested) and ``suggested`` (mutual, neither
    accepted nor rejected; empty unless asked for)."""

    accepted: tuple[PairKey, ...]
    mutual: frozenset[PairKey]
    suggested: tuple[PairKey, ...] = ()

    @property
    def to_score(self) -> list[PairKey]:
        """The pairs whose match score the plan needs."""
        return [*self.accepted, *self.suggested]


def session_pairs(
    accepted: Iterable[PairKey],
    mutual: Iterable[PairKey],
    rejected: Iterable[PairKey] = (),
    include_suggested: bool = False,
) -> SessionPairs:
    """:class:`SessionPairs` from the review state (``accepted`` in need, offer order)."""
    accepted = tuple(accepted)
    mutual = frozenset(mutual)
    suggested = tuple(sorted(mutual - set(accepted) - set(rejected))) if include_suggested else ()
    return SessionPairs(accepted, mutual, suggested)


@dataclass(frozen=True)
class Candidates:
    """The scheduler's candidate pairs and, by pair id, where each came from
    (``accepted`` / ``suggested``)."""

    pairs: tuple[CandidatePair, ...]
    source: Mapping[str, str]

    @property
    def values(self) -> dict[str, float]:
        """Each candidate's value, by pair id."""
        return {c.pair_id: c.value for c in self.pairs}


def candidates(
    pairs: SessionPairs, scores: Mapping[PairKey, float], min_score: float
) -> Candidates:
    """Every accepted pair (an unscored one counts 0) and every suggested pair scored at
    least ``min_score``, valued by :data:`VALUE_RULE` (4 decimals)."""
    out: list[CandidatePair] = []
    source: dict[str, str] = {}
    for key in pairs.accepted:
        value = scores.get(key, 0.0) + ACCEPTED_BONUS + (MUTUAL_BONUS if key in pairs.mutual else 0)
        pid = pair_id(*key)
        out.append(CandidatePair(pid, key[0], key[1], round(value, 4)))
        source[pid] = "accepted"
    for need_id, offer_id in pairs.suggested:
        score = scores.get((need_id, offer_id))
        if score is None or score < min_score:
            continue
        pid = pair_id(need_id, offer_id)
        out.append(CandidatePair(pid, need_id, offer_id, round(score + MUTUAL_BONUS, 4)))
        source[pid] = "suggested"
    return Candidates(tuple(out), source)


def kept_meetings(
    stored: Sequence[Meeting], slots: int, tables: int
) -> tuple[tuple[Meeting, ...], list[str]]:
    """The stored meetings that still fit ``slots`` × ``tables`` (the scheduler's
    ``previous``) and the pair ids of those that no longer do (they are re-placed)."""
    kept = tuple(m for m in stored if m.slot < slots and m.table < tables)
    moved = [m.pair_id for m in stored if not (m.slot < slots and m.table < tables)]
    return kept, moved


def unavailable_slots(
    blocked: Mapping[int, Iterable[int]], slots: int
) -> dict[int, frozenset[int]]:
    """Each participant's unavailable slots inside the session (others are ignored)."""
    return {pid: frozenset(s for s in found if 0 <= s < slots) for pid, found in blocked.items()}


def schedule_problem(
    found: Candidates,
    *,
    slots: int,
    tables: int,
    max_meetings_per_participant: int,
    fairness_k: int,
    unavailable: Mapping[int, frozenset[int]],
    previous: tuple[Meeting, ...],
) -> ScheduleProblem:
    """The problem :func:`service.scheduling.schedule` solves."""
    return ScheduleProblem(
        pairs=found.pairs,
        slots=slots,
        tables=tables,
        max_meetings_per_participant=max_meetings_per_participant,
        unavailable=dict(unavailable),
        fairness_k=fairness_k,
        previous=previous,
    )
