"""The matching engine: postings in, ranked counterparts with reasons out.

One :class:`MatchEngine` holds every posting of both kinds: raw vectors, the
language statistics that correct the same-language bias, one FAISS index and
one BM25 index per kind, and the key-term vectors used in explanations. It is
derived data: :meth:`MatchEngine.save` writes it atomically to one file, and a
lost or stale file is rebuilt from the postings. Not thread-safe: callers
serialise access (the service holds one lock).
"""

from __future__ import annotations

import dataclasses
import io
import json
import os
import sys
import tempfile
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from indexer.ann import ANNIndex, make_index
from indexer.bias import LanguageStats, l2_normalize
from indexer.lexical import LexicalIndex, PreparedQuery
from indexer.postings import KINDS, Filters, Kind, Match, Posting, other_kind
from indexer.reasons import explain_pair
from indexer.scoring import FusionConfig, fuse
from indexer.text import detect_language, key_terms, normalize, tokenize_with_surface

if TYPE_CHECKING:
    from models import EmbeddingModel

FORMAT_VERSION = 1
INDEX_FILE = "index.npz"


class IndexLoadError(RuntimeError):
    """The saved index is missing, corrupt, or was built with another model."""


@dataclass(frozen=True)
class EngineConfig:
    """How the engine embeds, corrects and ranks (defaults measured on the dev set)."""

    fusion: FusionConfig = field(default_factory=FusionConfig)
    bias_correction: str = "center+z"  # "none" | "center" | "center+z"
    segment_for_embedding: bool = False
    candidates: int = 100
    reference_sample: int = 512
    min_language_reference: int = 20
    refit_growth: float = 0.1
    refit_min_change: int = 20
    always_refit_below: int = 300
    reciprocal_candidates: int = 20  # search depth for an offer's best need (recommendation)
    key_terms: int = 8
    batch_size: int = 32
    seed: int = 13
    ann: str = "flat"  # "flat" (exact) | "auto" (exact below ann_threshold, IVF above)
    ann_threshold: int = 50_000
    lexical_background_above: int = 20_000  # BM25 rebuilt in the background from this size


@dataclass
class _ZStats:
    """A posting's cosine distribution against the other kind's postings, per language."""

    mean: dict[str, float]
    std: dict[str, float]


class MatchEngine:
    """Bilingual need ↔ offer matching over an in-memory pool (see module docstring)."""

    def __init__(self, model: EmbeddingModel, config: EngineConfig | None = None) -> None:
        self.model = model
        self.config = config or EngineConfig()
        self.dimension = model.dimension
        self._postings: dict[int, Posting] = {}
        self._hashes: dict[int, str] = {}
        self._raw: dict[int, np.ndarray] = {}
        self._tokens: dict[int, list[str]] = {}
        self._terms: dict[int, list[str]] = {}
        self._surfaces: dict[int, dict[str, str]] = {}
        self._term_vectors: dict[str, np.ndarray] = {}
        self._zstats: dict[int, _ZStats] = {}
        self._stats = LanguageStats(dimension=self.dimension)
        self._ann: dict[Kind, ANNIndex] = {k: self._new_index() for k in KINDS}
        self._lex: dict[Kind, LexicalIndex] = {
            k: LexicalIndex(background_above=self.config.lexical_background_above) for k in KINDS
        }
        self._reference: dict[tuple[Kind, str], np.ndarray] = {}
        self._reference_ids: dict[str, list[int]] = {}
        self._best_need_cache: dict[int, float] = {}
        self._allowed_cache: dict[tuple[Kind, Filters], np.ndarray | None] = {}
        self._prepared: dict[int, tuple[int, PreparedQuery]] = {}  # need id → (lex version, q)
        self.embedded_count = 0  # texts embedded since creation (for re-import checks)

    def _new_index(self) -> ANNIndex:
        return make_index(self.dimension, self.config.ann, self.config.ann_threshold)

    # ------------------------------------------------------------------ pool
    @property
    def model_name(self) -> str:
        """Name of the embedding model the vectors come from."""
        return self.model.name

    def __len__(self) -> int:
        return len(self._postings)

    def __contains__(self, posting_id: object) -> bool:
        return posting_id in self._postings

    def ids(self) -> set[int]:
        """Ids of every indexed posting."""
        return set(self._postings)

    def get(self, posting_id: int) -> Posting | None:
        """The indexed posting (with its detected language), or ``None``."""
        return self._postings.get(posting_id)

    def content_hashes(self) -> dict[int, str]:
        """``{id: content hash}`` of every indexed posting, for staleness checks."""
        return dict(self._hashes)

    def upsert(self, postings: Sequence[Posting]) -> None:
        """Add or replace postings by id; only postings whose text changed are re-embedded."""
        self._best_need_cache.clear()
        self._allowed_cache.clear()
        self._prepared.clear()
        prepared = [self._prepare(p) for p in postings]
        changed = [p for p in prepared if self._hashes.get(p.id) != p.content_hash()]
        for posting in prepared:
            old = self._postings.get(posting.id)
            if old is not None and old.kind != posting.kind:
                self._remove(posting.id)
            self._postings[posting.id] = posting
        if changed:
            self._embed(changed)
        if self._needs_refit():
            self._refit()
        else:
            self._index_vectors([p.id for p in prepared])

    def delete(self, ids: Iterable[int]) -> None:
        """Remove postings by id (unknown ids are ignored)."""
        self._best_need_cache.clear()
        self._allowed_cache.clear()
        self._prepared.clear()
        for posting_id in list(ids):
            self._remove(posting_id)

    def rebuild(self, postings: Sequence[Posting]) -> None:
        """Drop everything and index ``postings`` from scratch (re-embedding all)."""
        self.__init__(self.model, self.config)  # type: ignore[misc]
        self.upsert(postings)

    def _prepare(self, posting: Posting) -> Posting:
        title, description = normalize(posting.title), normalize(posting.description)
        keywords = tuple(k for k in (normalize(k) for k in posting.keywords) if k)
        language = posting.language or detect_language(f"{title}. {description}")
        return dataclasses.replace(
            posting, title=title, description=description, keywords=keywords, language=language
        )

    def _embedding_text(self, posting: Posting) -> str:
        text = posting.text()
        if self.config.segment_for_embedding and posting.language == "vi":
            from underthesea import word_tokenize

            text = word_tokenize(text, format="text")
        return text

    def _embed(self, postings: list[Posting]) -> None:
        vectors = self.model.encode(
            [self._embedding_text(p) for p in postings], batch_size=self.config.batch_size
        )
        self.embedded_count += len(postings)
        new_terms: list[str] = []
        for posting, vector in zip(postings, vectors, strict=True):
            lang = posting.language or "other"
            self._raw[posting.id] = vector.astype(np.float32)
            self._hashes[posting.id] = posting.content_hash()
            pairs = tokenize_with_surface(posting.text(), lang)
            # Interned: the same token in many postings is one string object in memory.
            self._tokens[posting.id] = [sys.intern(token) for token, _ in pairs]
            surfaces = _display_exceptions(pairs)
            if surfaces:
                self._surfaces[posting.id] = surfaces
            terms = [sys.intern(t) for t in key_terms(posting, self.config.key_terms)]
            self._terms[posting.id] = terms
            new_terms.extend(t for t in terms if t not in self._term_vectors)
        unique = list(dict.fromkeys(new_terms))
        if unique:
            term_vectors = self.model.encode(unique, batch_size=64)
            self._term_vectors.update(zip(unique, term_vectors, strict=True))

    def _remove(self, posting_id: int) -> None:
        posting = self._postings.pop(posting_id, None)
        if posting is None:
            return
        for store in (
            self._hashes,
            self._raw,
            self._tokens,
            self._terms,
            self._zstats,
            self._surfaces,
        ):
            store.pop(posting_id, None)  # type: ignore[attr-defined]
        self._ann[posting.kind].remove([posting_id])
        self._lex[posting.kind].remove(posting_id)

    # ------------------------------------------------------- bias correction
    def _needs_refit(self) -> bool:
        fitted, n = self._stats.fitted_on, len(self._raw)
        change = abs(n - fitted)
        if 0 < n < self.config.always_refit_below and change:
            return True
        return n > 0 and (
            fitted == 0
            or change >= max(self.config.refit_min_change, self.config.refit_growth * fitted)
        )

    def _corrected(self, ids: Sequence[int]) -> np.ndarray:
        if not ids:
            return np.zeros((0, self.dimension), np.float32)
        raw = np.stack([self._raw[i] for i in ids])
        if self.config.bias_correction == "none":
            return l2_normalize(raw)
        return self._stats.correct(raw, [self._postings[i].language or "other" for i in ids])

    def _refit(self) -> None:
        """Refit the language statistics and the reference samples, then re-derive vectors."""
        ids = list(self._raw)
        raw = np.stack([self._raw[i] for i in ids]) if ids else np.zeros((0, self.dimension))
        self._stats = LanguageStats.fit(raw, [self._postings[i].language or "other" for i in ids])
        rng = np.random.default_rng(self.config.seed)
        self._reference_ids = {}
        for kind in KINDS:
            kind_ids = sorted(i for i in ids if self._postings[i].kind == kind)
            groups: dict[str, list[int]] = {"*": kind_ids}
            for i in kind_ids:
                groups.setdefault(self._postings[i].language or "other", []).append(i)
            for lang, members in groups.items():
                if lang != "*" and len(members) < self.config.min_language_reference:
                    continue
                take = min(len(members), self.config.reference_sample)
                chosen: list[int] = (
                    rng.choice(np.array(members), size=take, replace=False).tolist() if take else []
                )
                self._reference_ids[f"{kind}:{lang}"] = sorted(int(i) for i in chosen)
        self._apply_stats()

    def _apply_stats(self) -> None:
        """Rebuild the FAISS indexes, reference samples and z statistics from raw vectors."""
        ids = list(self._raw)
        self._ann = {k: self._new_index() for k in KINDS}
        for kind in KINDS:
            kind_ids = [i for i in ids if self._postings[i].kind == kind]
            self._ann[kind].upsert(np.array(kind_ids, dtype=np.int64), self._corrected(kind_ids))
        self._reference = {}
        for key, members in self._reference_ids.items():
            kind_name, lang = key.split(":")
            ref_kind: Kind = "need" if kind_name == "need" else "offer"
            present = [i for i in members if i in self._raw]
            self._reference[(ref_kind, lang)] = self._corrected(present)
        self._zstats = {}
        self._index_vectors(ids, refit=True)

    def _reference_for(self, kind: Kind, lang: str) -> np.ndarray:
        ref = self._reference.get((kind, lang))
        if ref is None:
            ref = self._reference.get((kind, "*"), np.zeros((0, self.dimension), np.float32))
        return ref

    def _index_vectors(self, ids: Sequence[int], refit: bool = False) -> None:
        ids = [i for i in ids if i in self._raw]
        if not ids:
            return
        vectors = self._corrected(ids)
        for kind in KINDS:
            rows = [n for n, i in enumerate(ids) if self._postings[i].kind == kind]
            if not rows:
                continue
            kind_ids = np.array([ids[n] for n in rows], dtype=np.int64)
            if not refit:
                self._ann[kind].upsert(kind_ids, vectors[rows])
            for n in rows:
                self._lex[kind].upsert(ids[n], self._tokens[ids[n]])
        for posting_id, vector in zip(ids, vectors, strict=True):
            self._zstats[posting_id] = self._z_for(self._postings[posting_id], vector)

    def _z_for(self, posting: Posting, vector: np.ndarray) -> _ZStats:
        target = other_kind(posting.kind)
        mean: dict[str, float] = {}
        std: dict[str, float] = {}
        for lang in ("vi", "en", "other", "*"):
            ref = self._reference_for(target, lang)
            if len(ref) >= 5:
                cos = ref @ vector
                mean[lang], std[lang] = float(cos.mean()), max(float(cos.std()), 0.02)
        return _ZStats(mean, std)

    def _z(self, need_id: int, offer_lang: str, cosine: float) -> float:
        if self.config.bias_correction != "center+z":
            return (cosine - 0.0) / 0.1
        stats = self._zstats.get(need_id)
        if stats is None or not stats.mean:
            return (cosine - 0.0) / 0.1
        key = offer_lang if offer_lang in stats.mean else "*"
        if key not in stats.mean:
            return (cosine - 0.0) / 0.1
        return (cosine - stats.mean[key]) / stats.std[key]

    # --------------------------------------------------------------- ranking
    def _allowed(self, kind: Kind, filters: Filters | None) -> np.ndarray | None:
        """Ids of ``kind`` passing ``filters`` (``None``: all do); cached until the pool changes."""
        filters = filters if filters is not None else Filters()
        key = (kind, filters)
        if key not in self._allowed_cache:
            if len(self._allowed_cache) >= 64:  # many distinct filters: keep memory bounded
                self._allowed_cache.clear()
            members = [p for p in self._postings.values() if p.kind == kind]
            allowed = [p.id for p in members if filters.accepts(p)]
            self._allowed_cache[key] = (
                None if len(allowed) == len(members) else np.array(allowed, dtype=np.int64)
            )
        return self._allowed_cache[key]

    def _candidates(
        self,
        posting: Posting,
        k: int,
        allowed: np.ndarray | None,
        dense: tuple[np.ndarray, np.ndarray] | None = None,
    ) -> tuple[dict[int, float], dict[int, float]]:
        """``(cosines, lexical)`` of the dense top-``k`` plus the BM25 top hits.

        ``lexical`` holds the need→offer BM25 of each candidate when ``posting`` is a need
        (taken from the one pass over the pool the BM25 hits need); it is empty for an
        offer, whose pairs are scored with the need's tokens (:meth:`_score_pair`).
        ``dense`` = this posting's row of a batched search (same ``k`` and ``allowed``)
        skips the per-posting FAISS call."""
        target = other_kind(posting.kind)
        query = self._corrected([posting.id])[0]
        found: dict[int, float] = {}
        lexical: dict[int, float] = {}
        if allowed is not None and not len(allowed):
            return found, lexical
        if dense is None:
            scores, ids = self._ann[target].search(query, k, allowed)
            dense = scores[0], ids[0]
        for score, cid in zip(dense[0], dense[1], strict=True):
            if cid >= 0:
                found[int(cid)] = float(score)
        lex = self._lex[target]
        build = lex.snapshot()
        lex_ids, lex_scores = lex.score(self._tokens.get(posting.id, []), build)
        if len(lex_ids):
            all_scores = lex_scores
            if allowed is not None:
                mask = np.isin(lex_ids, allowed)
                lex_ids, lex_scores = lex_ids[mask], lex_scores[mask]
            top = _top_positive(lex_scores, max(k // 2, 10))
            missing = [
                int(lex_ids[t])
                for t in top
                if int(lex_ids[t]) not in found and self._is_kind(int(lex_ids[t]), target)
            ]
            if missing:
                cosines = self._corrected(missing) @ query
                found.update(zip(missing, map(float, cosines), strict=True))
            if posting.kind == "need":
                candidates = list(found)
                rows = lex.positions(candidates, build)
                values = np.where(rows >= 0, all_scores[np.maximum(rows, 0)], 0.0)
                lexical = dict(zip(candidates, map(float, values), strict=True))
        return found, lexical

    def _is_kind(self, posting_id: int, kind: Kind) -> bool:
        """True when ``posting_id`` is indexed now as a ``kind`` (a BM25 build being
        replaced in the background may still name a posting deleted since)."""
        posting = self._postings.get(posting_id)
        return posting is not None and posting.kind == kind

    def _pair_lexical(self, need_id: int, offer_id: int) -> float:
        """Normalised BM25 of the offer for the need's tokens (every pair is scored need →
        offer, whichever side asks)."""
        return self._lex["offer"].pair_score(self._need_query(need_id), offer_id)

    def _need_query(self, need_id: int) -> PreparedQuery:
        """The need's tokens prepared against the offers' BM25 index (cached per version)."""
        lex = self._lex["offer"]
        cached = self._prepared.get(need_id)
        if cached is None or cached[0] != lex.version:
            prepared = lex.prepare(self._tokens.get(need_id, []))
            cached = (lex.version, prepared)
            self._prepared[need_id] = cached
        return cached[1]

    def _score_pair(
        self, need: Posting, offer: Posting, cosine: float, lexical: float | None = None
    ) -> tuple[float, dict[str, float]]:
        z = self._z(need.id, offer.language or "other", cosine)
        if lexical is None:
            lexical = self._pair_lexical(need.id, offer.id)
        return fuse(need, offer, z, lexical, self.config.fusion)

    def _make_match(
        self,
        need: Posting,
        offer: Posting,
        cosine: float,
        with_sentences: bool = False,
        lexical: float | None = None,
    ) -> Match:
        score, components = self._score_pair(need, offer, cosine, lexical)
        components["cosine"] = cosine
        reasons = explain_pair(self, need, offer, components, with_sentences=with_sentences)
        return Match(
            need_id=need.id,
            offer_id=offer.id,
            score=score,
            recommended=self._recommended(offer, score),
            components=components,
            reasons=reasons,
        )

    def _scored(
        self,
        posting: Posting,
        limit: int,
        min_score: float,
        filters: Filters | None,
        allowed: np.ndarray | None | str = "compute",
        dense: tuple[np.ndarray, np.ndarray] | None = None,
        depth: int | None = None,
    ) -> list[tuple[float, int, float, float | None]]:
        """``(score, counterpart id, cosine, lexical)`` of a posting's candidates, best first;
        ``depth`` overrides the dense search depth (default ``max(candidates, 3·limit)``)."""
        if isinstance(allowed, str):
            allowed = self._allowed(other_kind(posting.kind), filters)
        k = depth if depth is not None else max(self.config.candidates, limit * 3)
        scored: list[tuple[float, int, float, float | None]] = []
        cosines, lexical = self._candidates(posting, k, allowed, dense)
        for cid, cosine in cosines.items():
            other = self._postings[cid]
            need, offer = (posting, other) if posting.kind == "need" else (other, posting)
            lex = lexical.get(cid)
            if lex is None:
                lex = self._pair_lexical(need.id, offer.id)
            score, _ = self._score_pair(need, offer, cosine, lex)
            if score >= min_score:
                scored.append((score, cid, cosine, lex))
        scored.sort(key=lambda t: (-t[0], t[1]))
        return scored[:limit]

    def _best_need_score(self, offer_id: int) -> float:
        """The best score the offer reaches with any published need (cached per pool state)."""
        self._prefetch_best_needs([offer_id])
        return self._best_need_cache[offer_id]

    def _prefetch_best_needs(self, offer_ids: Iterable[int]) -> None:
        """Fill the best-need cache for ``offer_ids`` with one batched FAISS search."""
        missing = [o for o in dict.fromkeys(offer_ids) if o not in self._best_need_cache]
        if not missing:
            return
        depth = self.config.reciprocal_candidates
        allowed = self._allowed("need", None)
        if allowed is not None and not len(allowed):
            self._best_need_cache.update(dict.fromkeys(missing, 0.0))
            return
        scores, ids = self._ann["need"].search(self._corrected(missing), depth, allowed)
        for row, offer_id in enumerate(missing):
            dense = (scores[row], ids[row])
            top = self._scored(self._postings[offer_id], 1, 0.0, None, allowed, dense, depth)
            self._best_need_cache[offer_id] = top[0][0] if top else 0.0

    def _prefetch_for(self, rows: Iterable[tuple[float, int]]) -> None:
        """Prefetch best-need scores of the ``(score, offer id)`` rows that may be recommended."""
        fusion = self.config.fusion
        if fusion.reciprocal_margin >= 0:
            self._prefetch_best_needs(o for s, o in rows if s >= fusion.recommend_threshold)

    def _recommended(self, offer: Posting, score: float) -> bool:
        """A pair is recommended when its score reaches the threshold and the need is among
        the offer's best needs too (within ``reciprocal_margin``): a near-miss offer that
        serves another need much better is not pushed onto this one."""
        fusion = self.config.fusion
        if score < fusion.recommend_threshold:
            return False
        if fusion.reciprocal_margin < 0:
            return True
        return score >= self._best_need_score(offer.id) - fusion.reciprocal_margin - 1e-9

    def match(
        self,
        posting_id: int,
        limit: int = 10,
        min_score: float = 0.0,
        filters: Filters | None = None,
    ) -> list[Match]:
        """Counterparts of ``posting_id`` (offers for a need, needs for an offer), best first.

        Raises ``KeyError`` when the posting is not indexed.
        """
        posting = self._postings[posting_id]
        scored = self._scored(posting, limit, min_score, filters)
        self._prefetch_for((s, c if posting.kind == "need" else posting_id) for s, c, *_ in scored)
        out = []
        for _, cid, cosine, lexical in scored:
            other = self._postings[cid]
            need, offer = (posting, other) if posting.kind == "need" else (other, posting)
            out.append(self._make_match(need, offer, cosine, lexical=lexical))
        return out

    def explain(self, need_id: int, offer_id: int) -> Match:
        """Score and full reasons (aligned sentences included) of one need–offer pair."""
        need, offer = self._postings[need_id], self._postings[offer_id]
        if need.kind != "need" or offer.kind != "offer":
            raise ValueError("explain() takes a need id and an offer id")
        cosine = float(self._corrected([need_id])[0] @ self._corrected([offer_id])[0])
        return self._make_match(need, offer, cosine, with_sentences=True)

    def pairs(
        self,
        limit: int = 100,
        min_score: float = 0.0,
        per_need: int = 3,
        per_offer: int = 3,
        need_ids: Collection[int] | None = None,
        offer_ids: Collection[int] | None = None,
        exclude: Collection[tuple[int, int]] = (),
        batched: bool = True,
    ) -> list[Match]:
        """Need–offer pairs over the whole pool, best first, capped per need and per offer.

        ``batched`` (default) searches the dense candidates of many needs at once and
        explains only the returned pairs; ``batched=False`` calls :meth:`match` per need.
        Both give the same pairs."""
        needs = [
            p.id
            for p in self._postings.values()
            if p.kind == "need"
            and p.status == "published"
            and (need_ids is None or p.id in need_ids)
        ]
        filters = Filters(ids=frozenset(offer_ids) if offer_ids is not None else None)
        excluded = set(exclude)
        depth = max(per_need * 3, per_need + per_offer, 10)
        if not batched:
            pool: list[tuple[float, int, int, float, float | None]] = []
            for need_id in needs:
                for m in self.match(need_id, limit=depth, min_score=min_score, filters=filters):
                    if (m.need_id, m.offer_id) not in excluded:
                        pool.append((m.score, m.need_id, m.offer_id, m.components["cosine"], None))
        else:
            pool = self._pair_pool(needs, depth, min_score, filters, excluded)
        pool.sort(key=lambda t: (-t[0], t[1], t[2]))
        per_need_count: dict[int, int] = {}
        per_offer_count: dict[int, int] = {}
        chosen: list[tuple[float, int, int, float, float | None]] = []
        for row in pool:
            _, need_id, offer_id, _, _ = row
            if per_need_count.get(need_id, 0) >= per_need:
                continue
            if per_offer_count.get(offer_id, 0) >= per_offer:
                continue
            per_need_count[need_id] = per_need_count.get(need_id, 0) + 1
            per_offer_count[offer_id] = per_offer_count.get(offer_id, 0) + 1
            chosen.append(row)
            if len(chosen) >= limit:
                break
        self._prefetch_for((row[0], row[2]) for row in chosen)
        return [
            self._make_match(self._postings[n], self._postings[o], cosine, lexical=lexical)
            for _, n, o, cosine, lexical in chosen
        ]

    def _pair_pool(
        self,
        needs: list[int],
        depth: int,
        min_score: float,
        filters: Filters,
        excluded: set[tuple[int, int]],
        batch: int = 1024,
    ) -> list[tuple[float, int, int, float, float | None]]:
        """``(score, need, offer, cosine, lexical)`` of every need's top ``depth`` offers: the dense
        candidates come from one FAISS search per ``batch`` needs; scores, order and ties
        are exactly those of :meth:`match`, and reasons are built only for returned pairs."""
        allowed = self._allowed("offer", filters)
        k = max(self.config.candidates, depth * 3)
        pool: list[tuple[float, int, int, float, float | None]] = []
        if allowed is not None and not len(allowed):
            return pool
        for start in range(0, len(needs), batch):
            chunk = needs[start : start + batch]
            scores, ids = self._ann["offer"].search(self._corrected(chunk), k, allowed)
            for row, need_id in enumerate(chunk):
                posting = self._postings[need_id]
                dense = (scores[row], ids[row])
                for score, offer_id, cosine, lexical in self._scored(
                    posting, depth, min_score, filters, allowed, dense
                ):
                    if (need_id, offer_id) not in excluded:
                        pool.append((score, need_id, offer_id, cosine, lexical))
        return pool

    # ------------------------------------------------------ for explanations
    def tokens_of(self, posting_id: int) -> list[str]:
        """Lexical tokens of an indexed posting."""
        return self._tokens.get(posting_id, [])

    def surface(self, posting_id: int, token: str) -> str:
        """The word a lexical token came from in a posting's text (for display)."""
        return self._surfaces.get(posting_id, {}).get(token, token.replace("_", " "))

    def terms_of(self, posting_id: int) -> list[str]:
        """Key terms of an indexed posting, most characteristic first."""
        return self._terms.get(posting_id, [])

    def term_vector(self, term: str) -> np.ndarray | None:
        """Embedding of a key term (computed when its posting was indexed)."""
        return self._term_vectors.get(term)

    def idf(self, kind: Kind, token: str) -> float:
        """Inverse document frequency of a token among postings of ``kind``."""
        return self._lex[kind].idf(token)

    def correct(self, vectors: np.ndarray, language: str) -> np.ndarray:
        """Apply the pool's bias correction to vectors of texts in ``language``."""
        if self.config.bias_correction == "none":
            return l2_normalize(vectors)
        return self._stats.correct(vectors, [language] * len(vectors))

    # ------------------------------------------------------------ persistence
    def save(self, directory: Path) -> Path:
        """Write the engine atomically to ``directory/index.npz``; returns the file path."""
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        ids = np.array(sorted(self._raw), dtype=np.int64)
        raw = (
            np.stack([self._raw[int(i)] for i in ids])
            if len(ids)
            else np.zeros((0, self.dimension))
        )
        terms = list(self._term_vectors)
        meta = {
            "format": FORMAT_VERSION,
            "model": self.model_name,
            "backend": model_backend(self.model),
            "dimension": self.dimension,
            "postings": [dataclasses.asdict(p) for p in self._postings.values()],
            "hashes": {str(k): v for k, v in self._hashes.items()},
            "tokens": {str(k): v for k, v in self._tokens.items()},
            "terms": {str(k): v for k, v in self._terms.items()},
            "surfaces": {str(k): v for k, v in self._surfaces.items()},
            "term_list": terms,
            "reference_ids": self._reference_ids,
        }
        arrays: dict[str, np.ndarray] = {
            "meta": np.frombuffer(json.dumps(meta, ensure_ascii=False).encode("utf-8"), np.uint8),
            "ids": ids,
            "raw": raw.astype(np.float32),
            "term_vectors": np.stack([self._term_vectors[t] for t in terms])
            if terms
            else np.zeros((0, self.dimension), np.float32),
        }
        arrays.update({f"stats_{k}": v for k, v in self._stats.to_arrays().items()})
        path = directory / INDEX_FILE
        fd, tmp = tempfile.mkstemp(dir=directory, prefix=".index-", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as fh:
                buffer = io.BytesIO()
                np.savez(buffer, **arrays)  # type: ignore[arg-type]
                fh.write(buffer.getvalue())
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return path

    @classmethod
    def load(
        cls, directory: Path, model: EmbeddingModel, config: EngineConfig | None = None
    ) -> MatchEngine:
        """Load an engine saved by :meth:`save`; raises :class:`IndexLoadError` if unusable."""
        path = Path(directory) / INDEX_FILE
        if not path.exists():
            raise IndexLoadError(f"no index at {path}")
        try:
            with np.load(path, allow_pickle=False) as data:
                arrays = {k: data[k] for k in data.files}
            meta = json.loads(arrays["meta"].tobytes().decode("utf-8"))
        except Exception as exc:  # corrupt or truncated file
            raise IndexLoadError(f"cannot read {path}: {exc}") from exc
        if meta.get("format") != FORMAT_VERSION:
            raise IndexLoadError(
                f"{path} has format {meta.get('format')}, expected {FORMAT_VERSION}"
            )
        if meta.get("model") != model.name or meta.get("dimension") != model.dimension:
            raise IndexLoadError(
                f"{path} was built with model {meta.get('model')!r}, not {model.name!r}"
            )
        if meta.get("backend", "") != model_backend(model):
            raise IndexLoadError(
                f"{path} was built with the {meta.get('backend') or 'default'!r} backend of "
                f"{model.name!r}, not {model_backend(model) or 'default'!r}: vectors differ"
            )
        engine = cls(model, config)
        for row in meta["postings"]:
            row["keywords"] = tuple(row.get("keywords") or ())
            posting = Posting(**row)
            engine._postings[posting.id] = posting
        engine._hashes = {int(k): v for k, v in meta["hashes"].items()}
        engine._tokens = {int(k): [sys.intern(t) for t in v] for k, v in meta["tokens"].items()}
        engine._terms = {int(k): [sys.intern(t) for t in v] for k, v in meta["terms"].items()}
        engine._surfaces = {int(k): v for k, v in meta["surfaces"].items()}
        engine._raw = {int(i): v for i, v in zip(arrays["ids"], arrays["raw"], strict=True)}
        engine._term_vectors = dict(zip(meta["term_list"], arrays["term_vectors"], strict=True))
        stats = {k[len("stats_") :]: v for k, v in arrays.items() if k.startswith("stats_")}
        if set(engine._raw) != set(engine._postings):
            raise IndexLoadError(f"{path} is inconsistent: vectors and postings differ")
        if stats:
            engine._stats = LanguageStats.from_arrays(stats)
            engine._reference_ids = {k: list(v) for k, v in meta["reference_ids"].items()}
            engine._apply_stats()
        return engine


def _display_exceptions(pairs: list[tuple[str, str]]) -> dict[str, str]:
    """``{token: word}`` for the tokens whose first word is not just the token with spaces
    for underscores (stems, mostly): :meth:`MatchEngine.surface` derives the others."""
    out: dict[str, str] = {}
    seen: set[str] = set()
    for token, surface in pairs:
        if token not in seen:
            seen.add(token)
            if surface != token.replace("_", " "):
                out[token] = surface
    return out


def model_backend(model: EmbeddingModel) -> str:
    """How the model runs (``torch``, ``onnx``, ``onnx-int8``; empty when it does not say):
    vectors of one model differ slightly between backends, so an index records it."""
    return str(getattr(model, "backend", ""))


def _top_positive(values: np.ndarray, m: int) -> np.ndarray:
    """Indices of the (at most) ``m`` largest positive ``values``, best first (ties: lower
    index first), without sorting the whole array."""
    positive = np.flatnonzero(values > 0)
    if len(positive) > m:
        cut = np.argpartition(-values[positive], m - 1)[:m]
        positive = positive[cut]
    order = np.lexsort((positive, -values[positive]))
    return positive[order]
