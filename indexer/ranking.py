"""Ranking: a posting's candidates scored and ordered, pairs over the pool, known pairs.

Every pair is scored need → offer from its corrected cosine (as the vector index
computes it), BM25 and the fusion (:class:`indexer.scoring.PairScorer`). Reasons are
built only for the matches returned, and only when asked for.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable

import numpy as np

from indexer.config import EngineConfig
from indexer.postings import Filters, Match, Posting, Reasons, other_kind
from indexer.reasons import ExplanationSource, explain_pair
from indexer.recommendation import Recommender
from indexer.retrieval import Dense, Retriever
from indexer.scoring import PairScorer
from indexer.selection import Candidate, select_pairs
from indexer.store import PostingStore

Scored = tuple[float, int, float, float | None]  # (score, counterpart id, cosine, lexical)


class Ranker:
    """Scores and orders candidates; builds :class:`Match` objects (reasons on request)."""

    def __init__(
        self,
        store: PostingStore,
        retriever: Retriever,
        scorer: PairScorer,
        source: ExplanationSource,
        config: EngineConfig,
    ) -> None:
        self.store, self.retriever, self.scorer = store, retriever, scorer
        self.source, self.config = source, config
        self.recommender = Recommender(self.best_needs, config.fusion)
        self.best_of: dict[int, int] = {}  # offer id → the need behind its cached best score
        self._best_builtin: dict[int, float] = {}  # offer id → best built-in score, per pool
        scorer.reciprocal = self.offer_best

    def clear(self) -> None:
        """Forget the scores cached for one pool state."""
        self.recommender.clear()
        self._best_builtin.clear()
        self.best_of.clear()

    def offer_best(self, offer_id: int) -> float:
        """The best built-in score ``offer_id`` reaches with any published need (cached)."""
        if offer_id not in self._best_builtin:
            self._best_builtin.update(self.best_needs([offer_id], builtin=True))
        return self._best_builtin[offer_id]

    def _prefetch_best(self, offer_ids: Iterable[int]) -> None:
        """Batch :meth:`offer_best` for the offers a learned ranking is about to score."""
        if not self.scorer.wants_reciprocal:
            return
        missing = [o for o in dict.fromkeys(offer_ids) if o not in self._best_builtin]
        if missing:
            self._best_builtin.update(self.best_needs(missing, builtin=True))

    def scored(
        self,
        posting: Posting,
        limit: int,
        min_score: float,
        filters: Filters | None,
        allowed: np.ndarray | None | str = "compute",
        dense: Dense | None = None,
        depth: int | None = None,
        builtin: bool = False,
    ) -> list[Scored]:
        """A posting's candidates scoring at least ``min_score``, best first (ties: lower id);
        ``depth`` overrides the dense search depth (default ``max(candidates, 3·limit)``);
        ``builtin``: by the built-in fusion even when a learned ranking is set."""
        if isinstance(allowed, str):
            allowed = self.retriever.allowed(other_kind(posting.kind), filters)
        k = depth if depth is not None else max(self.config.candidates, limit * 3)
        scored: list[Scored] = []
        cosines, lexical = self.retriever.candidates(posting, k, allowed, dense)
        postings = self.store.postings
        score_of = self.scorer.builtin if builtin else self.scorer.score
        if not builtin:
            self._prefetch_best(cosines if posting.kind == "need" else [posting.id])
        for cid, cosine in cosines.items():
            other = postings[cid]
            need, offer = (posting, other) if posting.kind == "need" else (other, posting)
            lex = lexical.get(cid)
            if lex is None:
                lex = self.retriever.pair_lexical(need.id, offer.id)
            score, _ = score_of(need, offer, cosine, lex)
            if score >= min_score:
                scored.append((score, cid, cosine, lex))
        scored.sort(key=lambda t: (-t[0], t[1]))
        return scored[:limit]

    def best_needs(self, offer_ids: list[int], builtin: bool = False) -> dict[int, float]:
        """The best score each offer reaches with any published need (one batched search;
        ``builtin``: by the built-in fusion)."""
        depth = self.config.reciprocal_candidates
        allowed = self.retriever.allowed("need", None)
        if allowed is not None and not len(allowed):
            return dict.fromkeys(offer_ids, 0.0)
        queries = self.retriever.vectors(offer_ids)
        scores, ids = self.retriever.search("need", queries, depth, allowed)
        out: dict[int, float] = {}
        for row, offer_id in enumerate(offer_ids):
            dense = (scores[row], ids[row])
            offer = self.store.postings[offer_id]
            top = self.scored(offer, 1, 0.0, None, allowed, dense, depth, builtin)
            out[offer_id] = top[0][0] if top else 0.0
            if top:
                self.best_of[offer_id] = top[0][1]
        return out

    def written(self, before: dict[int, Posting | None], limit: int = 2000) -> None:
        """Keep the cached best-need scores valid after a write of the ids in ``before``
        (without a refit): forget those of written offers and of offers whose best need
        was written; raise the others to their score with each new or changed published
        need (one product with the cached offers' vectors). More than ``limit`` cached
        offers, or a write of more than 100 postings, forgets them all instead."""
        self._best_builtin.clear()  # the learned ranking's reciprocal part: recomputed lazily
        recommender = self.recommender
        cached = recommender.cached()
        if len(cached) > limit or len(before) > 100:
            recommender.clear()
            self.best_of.clear()
            return
        written = set(before)
        stale = {o for o in cached if o in written or self.best_of.get(o) in written}
        recommender.forget(stale)
        for offer_id in stale:
            self.best_of.pop(offer_id, None)
        offers = [o for o in cached if o not in stale and self.store.is_kind(o, "offer")]
        needs = [
            self.store.postings[i]
            for i in written
            if self.store.is_kind(i, "need") and Filters().accepts(self.store.postings[i])
        ]
        if not offers or not needs:
            return
        cosines = self.retriever.vectors([n.id for n in needs]) @ self.retriever.vectors(offers).T
        postings = self.store.postings
        for row, need in enumerate(needs):
            scores: dict[int, float] = {}
            lexical = self.retriever.pair_lexicals(need.id, offers).tolist()
            for col, offer_id in enumerate(offers):
                cosine, lex = float(cosines[row, col]), lexical[col]
                scores[offer_id] = self.scorer.score(need, postings[offer_id], cosine, lex)[0]
            for offer_id, score in scores.items():
                if score > cached[offer_id]:
                    cached[offer_id] = score
                    self.best_of[offer_id] = need.id
            recommender.raise_to(scores)

    def make_match(
        self,
        need: Posting,
        offer: Posting,
        cosine: float,
        lexical: float | None = None,
        with_reasons: bool = True,
        with_sentences: bool = False,
    ) -> Match:
        """The :class:`Match` of a pair; without reasons, only the language pair is set."""
        score, components = self.scorer.score(need, offer, cosine, lexical)
        components["cosine"] = cosine
        if with_reasons:
            reasons = explain_pair(self.source, need, offer, components, with_sentences)
        else:
            reasons = Reasons(language_pair=f"{need.language}-{offer.language}")
        recommended = self.recommender.recommended(offer.id, score)
        return Match(need.id, offer.id, score, recommended, components, reasons)

    def match(
        self,
        posting: Posting,
        limit: int,
        min_score: float,
        filters: Filters | None,
        with_reasons: bool,
    ) -> list[Match]:
        """Counterparts of ``posting``, best first."""
        scored = self.scored(posting, limit, min_score, filters)
        is_need = posting.kind == "need"
        self.recommender.prefetch((s, c if is_need else posting.id) for s, c, *_ in scored)
        out = []
        for _, cid, cosine, lexical in scored:
            other = self.store.postings[cid]
            need, offer = (posting, other) if is_need else (other, posting)
            out.append(self.make_match(need, offer, cosine, lexical, with_reasons))
        return out

    def score_pairs(self, pairs: list[tuple[Posting, Posting]]) -> list[float]:
        """Scores of known need–offer pairs: cosine, BM25 and fusion only (per need, one
        inner-product pass over its offers and one BM25 pass)."""
        by_need: dict[int, tuple[Posting, list[int]]] = {}
        for need, offer in pairs:
            by_need.setdefault(need.id, (need, []))[1].append(offer.id)
        signals = {n: self.retriever.known_pairs(need, o) for n, (need, o) in by_need.items()}
        return [self.scorer.score(n, o, *signals[n.id][o.id])[0] for n, o in pairs]

    def pair_parts(self, pairs: list[tuple[Posting, Posting]]) -> list[dict[str, float]]:
        """The built-in score parts of known pairs (``fusion``: the built-in score), as
        :meth:`score_pairs` computes them, for learning a ranking (:mod:`indexer.learned`)."""
        by_need: dict[int, tuple[Posting, list[int]]] = {}
        for need, offer in pairs:
            by_need.setdefault(need.id, (need, []))[1].append(offer.id)
        signals = {n: self.retriever.known_pairs(need, o) for n, (need, o) in by_need.items()}
        missing = [o for o in dict.fromkeys(o.id for _, o in pairs) if o not in self._best_builtin]
        if missing:
            self._best_builtin.update(self.best_needs(missing, builtin=True))
        out = []
        for need, offer in pairs:
            fused, parts = self.scorer.builtin(need, offer, *signals[need.id][offer.id])
            reciprocal = fused - self._best_builtin[offer.id]
            out.append({**parts, "fusion": fused, "reciprocal": reciprocal})
        return out

    def pairs(
        self,
        needs: list[int],
        limit: int,
        min_score: float,
        per_need: int,
        per_offer: int,
        offer_ids: Collection[int] | None,
        exclude: Collection[tuple[int, int]],
        batched: bool,
        with_reasons: bool,
    ) -> list[Match]:
        """Pairs of ``needs`` with offers (optionally only ``offer_ids``), best first, capped
        per need and per offer; ``batched``: one FAISS search per 1,024 needs."""
        filters = Filters(ids=frozenset(offer_ids) if offer_ids is not None else None)
        excluded = set(exclude)
        depth = max(per_need * 3, per_need + per_offer, 10)
        if batched:
            pool = self._pair_pool(needs, depth, min_score, filters, excluded)
        else:
            pool = [
                Candidate(m.score, m.need_id, m.offer_id, m.components["cosine"])
                for n in needs
                for m in self.match(self.store.postings[n], depth, min_score, filters, False)
                if (m.need_id, m.offer_id) not in excluded
            ]
        chosen = select_pairs(pool, limit, per_need, per_offer)
        self.recommender.prefetch((row.score, row.offer_id) for row in chosen)
        postings = self.store.postings
        return [
            self.make_match(
                postings[c.need_id], postings[c.offer_id], c.cosine, c.lexical, with_reasons
            )
            for c in chosen
        ]

    def _pair_pool(
        self,
        needs: list[int],
        depth: int,
        min_score: float,
        filters: Filters,
        excluded: set[tuple[int, int]],
        batch: int = 1024,
    ) -> Iterable[Candidate]:
        """Every need's top ``depth`` offers; scores, order and ties are those of :meth:`match`."""
        allowed = self.retriever.allowed("offer", filters)
        k = max(self.config.candidates, depth * 3)
        pool: list[Candidate] = []
        if allowed is not None and not len(allowed):
            return pool
        for start in range(0, len(needs), batch):
            chunk = needs[start : start + batch]
            scores, ids = self.retriever.search("offer", self.retriever.vectors(chunk), k, allowed)
            for row, need_id in enumerate(chunk):
                posting = self.store.postings[need_id]
                dense = (scores[row], ids[row])
                for score, offer_id, cosine, lexical in self.scored(
                    posting, depth, min_score, filters, allowed, dense
                ):
                    if (need_id, offer_id) not in excluded:
                        pool.append(Candidate(score, need_id, offer_id, cosine, lexical))
        return pool
