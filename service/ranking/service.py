"""``RankingService``: learn a ranking from the decisions, show the active one, reset it;
``RankingWatcher``: keep one worker's matcher on the active ranking stored in the database.

Learning (``POST /ranking/learn``): the usable decisions (:mod:`service.ranking.decisions`)
whose postings are indexed, their built-in score parts and the current ranking's score
from the matcher, then :func:`service.matching.evaluate_ranking` (cross-validated by need,
switch rule in :mod:`indexer.learned`). Every attempt is stored; the learned ranking is
switched on only when the rule says so. The database is the one source: a worker applies
the newest activated row at start and whenever its version changes (checked at most
every :data:`CHECK_SECONDS` per worker, on requests that use the matcher).
"""

from __future__ import annotations

import threading
import time

from service.auth.roles import Principal
from service.db.engine import Database
from service.db.models import RankingModelRow
from service.matching import (
    MIN_DECISIONS,
    MIN_NEEDS,
    LearnedRanking,
    Matcher,
    Sample,
    evaluate_ranking,
    feature_vector,
    overlap_depths,
    top_overlap,
)
from service.ranking import store
from service.ranking.decisions import decided_pairs
from service.ranking.messages import TooFewDecisions, reason_vi
from service.schemas.ranking import (
    CurrentFigures,
    Gain,
    LearnedFigures,
    LearnOut,
    RankingOut,
    RankingVersion,
)

CHECK_SECONDS = 2.0
RULE = (
    "the learned ranking corrects the built-in one (per-need softmax, penalty chosen by "
    "cross-validation with the one-standard-error rule); switch only when, on decisions "
    "held out by need (5-fold GroupKFold), "
    "re-ranking each decided need's top 100 candidates (undecided ones count as not relevant), "
    "the mean per-need "
    "nDCG@10 gain is >= 0.01, its one-sided lower 90 % bootstrap bound (needs resampled) is "
    "> 0, the AUC is not lower than the current ranking's and its lower 95 % bound is > 0.5, "
    "and its top k (k = a need's decisions, <= 10) keeps at least a third of the current top k "
    "of the decided needs (median)"
)


class RankingWatcher:
    """Applies the active ranking of the database to one matcher when its version changes."""

    def __init__(self, database: Database, matcher: Matcher, interval: float = CHECK_SECONDS):
        self.database, self.matcher, self.interval = database, matcher, interval
        self._checked = 0.0
        self._lock = threading.Lock()

    def refresh(self, force: bool = False) -> None:
        """Read the active version (at most every ``interval`` s unless ``force``) and load
        the ranking when it differs from the matcher's."""
        now = time.monotonic()
        if not force and now - self._checked < self.interval:
            return
        with self._lock:
            self._checked = now
            with self.database.session() as session:
                version = store.active_version(session)
                if version == self.matcher.ranking_version:
                    return
                row = store.active(session)
            self.apply(row)

    def apply(self, row: RankingModelRow | None) -> None:
        """Use ``row``'s ranking (``None`` or a reset: the built-in fusion)."""
        if row is None:
            self.matcher.set_ranking(None, None)
        else:
            self.matcher.set_ranking(row.id, row.model if row.action == "learn" else None)


class RankingService:
    """Learn, show and reset the ranking over one database and matcher."""

    def __init__(self, database: Database, matcher: Matcher, watcher: RankingWatcher) -> None:
        self.database, self.matcher, self.watcher = database, matcher, watcher

    def status(self) -> RankingOut:
        """The active ranking and the newest attempts."""
        with self.database.session() as session:
            row = store.active(session)
            rows = store.history(session)
        learned = row is not None and row.action == "learn"
        weights = None
        if learned and row is not None and row.model:
            applied = LearnedRanking.from_json(row.model)  # an older row: as it is applied
            weights = dict(zip(applied.features, applied.weights, strict=True))
        return RankingOut(
            active="learned" if learned else "builtin",
            version=row.id if row is not None else None,
            since=row.created_at if row is not None else None,
            decisions=row.decisions if learned and row is not None else None,
            needs=row.needs if learned and row is not None else None,
            weights=weights,
            history=[_version(r) for r in rows],
        )

    def learn(self, principal: Principal) -> LearnOut:
        """Fit on the decisions so far; switch on when the rule says so (409: too few)."""
        self.watcher.refresh(force=True)
        with self.database.session() as session:
            decided = decided_pairs(session)
        parts = self.matcher.pair_parts((d.need_id, d.offer_id) for d in decided)
        usable = [d for d in decided if (d.need_id, d.offer_id) in parts]
        accepted = sum(d.label for d in usable)
        needs = len({d.need_id for d in usable})
        if len(usable) < MIN_DECISIONS or needs < MIN_NEEDS or accepted in (0, len(usable)):
            raise TooFewDecisions(len(usable), needs, accepted, len(usable) - accepted)
        languages = self._languages({i for d in usable for i in (d.need_id, d.offer_id)})
        samples = [
            Sample(
                d.need_id,
                d.offer_id,
                tuple(
                    feature_vector(
                        parts[(d.need_id, d.offer_id)],
                        languages[d.need_id] != languages[d.offer_id],
                    )
                ),
                d.label,
                d.gain,
            )
            for d in usable
        ]
        current_version = self.matcher.ranking_version
        current_learned = self.status().active == "learned"
        current = self.matcher.scores((d.need_id, d.offer_id) for d in usable)
        depth = overlap_depths(d.need_id for d in usable)

        def overlap(learned: LearnedRanking) -> float:
            return top_overlap(*self.matcher.trial_tops(learned, depth))

        scores = [current[(d.need_id, d.offer_id)] for d in usable]
        pool = self.matcher.candidates(depth)
        evaluation, learned = evaluate_ranking(
            samples, scores, overlap, self.matcher.ranking_base, pool
        )
        model = learned.to_json()
        with self.database.session(write=True) as session:
            row = store.append(
                session,
                principal,
                "learn",
                evaluation.switch,
                evaluation.decisions,
                evaluation.needs,
                model,
                evaluation.to_json(),
                evaluation.reason,
            )
            session.commit()
        if evaluation.switch:
            self.watcher.apply(row)
        e = evaluation
        return LearnOut(
            switched=e.switch,
            reason=e.reason,
            reason_vi=reason_vi(e),
            rule=RULE,
            version=row.id,
            decisions=e.decisions,
            needs=e.needs,
            accepted=e.accepted,
            rejected=e.rejected,
            current=CurrentFigures(
                ranking="learned" if current_learned else "builtin",
                version=current_version,
                ndcg_at_10=e.current.ndcg_at_10,
                auc=e.current.auc,
            ),
            learned=LearnedFigures(
                ndcg_at_10=e.learned.ndcg_at_10, auc=e.learned.auc, auc_lower_95=e.learned_auc_lower
            ),
            gain=Gain(
                ndcg_at_10=e.gain,
                lower_90=e.gain_lower,
                upper_90=e.gain_upper,
                needs=e.ranked_needs,
                top_overlap=e.top_overlap,
                candidates=e.pool,
            ),
            ranking=self.status(),
        )

    def reset(self, principal: Principal) -> RankingOut:
        """Go back to the built-in fusion (stored as a ``reset`` row, for every worker)."""
        with self.database.session(write=True) as session:
            row = store.append(session, principal, "reset", True, reason="reset to built-in")
            session.commit()
        self.watcher.apply(row)
        return self.status()

    def _languages(self, ids: set[int]) -> dict[int, str | None]:
        out: dict[int, str | None] = {}
        for posting_id in ids:
            posting = self.matcher.indexed(posting_id)
            out[posting_id] = posting.language if posting is not None else None
        return out


def _version(row: RankingModelRow) -> RankingVersion:
    return RankingVersion(
        version=row.id,
        action=row.action,  # type: ignore[arg-type]
        activated=row.activated,
        decisions=row.decisions,
        needs=row.needs,
        figures=row.figures,
        reason=row.reason,
        created_by_org=row.created_by_org,
        created_by_role=row.created_by_role,
        created_at=row.created_at,
    )
