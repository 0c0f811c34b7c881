"""The one bridge between the service and the indexer.

Routes and other service modules call :class:`Matcher`; nothing else touches the
match index. The database is the system of record: :meth:`Matcher.sync` copies the
current database state of some postings into the index (so concurrent writers can
never leave an older version behind), and :meth:`Matcher.start` loads the persisted
index and reconciles it with the database — rebuilding it when it is missing, stale
or corrupt. That is what makes a SIGKILL during writes harmless.

Reads share a read–write lock (:mod:`service.rwlock`) and run side by side; a write
holds it alone, and only for a short time: a sync embeds and tokenises its postings
before it takes the lock, then re-reads them from the database under it. A ``/pairs``
over the pool is a long read that never makes match requests wait. The indexer's types
that the service needs (:class:`Match`, :class:`Posting`, :class:`Filters`, text
normalisation and language detection) are re-exported here: no other service module
imports ``indexer``.
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np
from sqlalchemy import Text, cast, select

from indexer.errors import UnknownPosting
from indexer.learned import (
    MIN_DECISIONS,
    MIN_NEEDS,
    POOL,
    Base,
    Candidate,
    Evaluation,
    LearnedRanking,
    Sample,
    base_of,
    feature_vector,
    overlap_depths,
    top_overlap,
)
from indexer.learned import evaluate as evaluate_ranking
from indexer.postings import Filters, Match, Posting
from indexer.term_usage import TermUse
from indexer.text import detect_language, normalize, tokenize
from service.core.config import EngineSettings, Settings
from service.db.engine import Database
from service.db.models import PostingRow
from service.errors import NotFound
from service.rwlock import ReadWriteLock

if TYPE_CHECKING:
    import typer

    from indexer.engine import EngineConfig, MatchEngine
    from indexer.indexing import Embedded
    from indexer.inspection import EngineInfo
    from models import EmbeddingModel

__all__ = [
    "EXPIRED",
    "MIN_DECISIONS",
    "MIN_NEEDS",
    "Evaluation",
    "Filters",
    "IndexNotReady",
    "LearnedRanking",
    "Match",
    "Matcher",
    "NotIndexed",
    "Posting",
    "Sample",
    "TermUse",
    "content_hash",
    "detect_language",
    "evaluate_ranking",
    "feature_vector",
    "indexer_commands",
    "normalize",
    "overlap_depths",
    "to_posting",
    "top_overlap",
    "tokenize",
]

log = logging.getLogger(__name__)

T = TypeVar("T")
EXPIRED = "expired"
_CHUNK = 500
#: After a save that took ``s`` seconds the next one waits until ``SAVE_SPACING * s`` after
#: it (and ``save_delay`` after the write): a save holds the lock shared, so writes (and the
#: reads queued behind a waiting write) wait for it; at 100,000 postings it takes seconds.
SAVE_SPACING = 10.0


def to_posting(row: PostingRow, today: date | None = None) -> Posting:
    """The indexer's view of a stored posting, its text normalised as the index keeps it.

    A published posting past its expiry date gets the status ``"expired"``, so that it is
    no longer anybody's counterpart.
    """
    status = _status(row.status, row.expires_on, today or date.today())
    keywords = (normalize(k) for k in row.keywords or ())
    return Posting(
        id=row.id,
        kind=row.kind,  # type: ignore[arg-type]
        title=normalize(row.title),
        description=normalize(row.description),
        keywords=tuple(k for k in keywords if k),
        sector=row.sector,
        trl=row.trl,
        language=row.language,
        status=status,
    )


_ROW_COLUMNS = (
    PostingRow.id,
    PostingRow.kind,
    PostingRow.title,
    PostingRow.description,
    PostingRow.keywords,
    PostingRow.sector,
    PostingRow.trl,
    PostingRow.language,
    PostingRow.status,
    PostingRow.expires_on,
)


#: The keywords as the database's JSON text (not decoded): fingerprinting every row at a
#: start decoded 100,000 JSON documents, a third of the start-up reconcile.
_KEYWORDS_TEXT = cast(PostingRow.keywords, Text).label("keywords_text")
_KEYWORDS_AT = [column.key for column in _ROW_COLUMNS].index("keywords")
#: What a fingerprint digests: ``_ROW_COLUMNS`` with the keywords as JSON text.
_PRINT_COLUMNS = (
    PostingRow.id,
    PostingRow.kind,
    PostingRow.title,
    PostingRow.description,
    _KEYWORDS_TEXT,
    PostingRow.sector,
    PostingRow.trl,
    PostingRow.language,
    PostingRow.status,
    PostingRow.expires_on,
)


def row_fingerprint(values: Sequence[object]) -> int:
    """A 64-bit digest of the columns :func:`to_posting` reads (``_PRINT_COLUMNS``: the
    keywords as the database's JSON text): equal fingerprints mean the index's posting
    needs no recomputation (no normalising)."""
    payload = "\x1f".join(repr(v) for v in values).encode("utf-8")
    return int.from_bytes(hashlib.blake2b(payload, digest_size=8).digest(), "big", signed=True)


def _row_values(row: PostingRow, keywords_text: str | None) -> tuple[object, ...]:
    """``_PRINT_COLUMNS``'s values of a loaded row, given its keywords' JSON text."""
    values = [getattr(row, column.key) for column in _ROW_COLUMNS]
    values[_KEYWORDS_AT] = keywords_text
    return tuple(values)


def _status(status: str, expires_on: date | None, today: date) -> str:
    if status == "published" and expires_on is not None and expires_on < today:
        return EXPIRED
    return status


def content_hash(row: PostingRow) -> str:
    """Hash of everything in ``row`` that changes its vectors or tokens."""
    return to_posting(row).content_hash()


def _chunks(items: Sequence[T], size: int = _CHUNK) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def engine_config(settings: EngineSettings) -> EngineConfig:
    """The engine's configuration from the service's ``TECHMATCH_ENGINE__*`` settings.

    Only the settings listed in :class:`EngineSettings` are exposed; the ranking weights
    stay the engine's measured defaults.
    """
    from indexer.engine import EngineConfig

    return EngineConfig(**settings.model_dump())


class NotIndexed(NotFound):
    """The posting exists in the database but is not in the match index (yet)."""

    @classmethod
    def of(cls, error: UnknownPosting) -> NotIndexed:
        """The service's 404 for the indexer's unknown-posting error."""
        msg = f"posting {error.posting_id} is not indexed yet"
        return cls(msg, ("path", "posting_id"))


def indexer_commands() -> typer.Typer:
    """The indexer's own commands (``match``, ``eval``), for the ``techmatch`` CLI."""
    from indexer.cli import app

    return app


class IndexNotReady(RuntimeError):
    """The matcher was used before :meth:`Matcher.start` or after :meth:`Matcher.close`."""


class Matcher:
    """Owns the embedding model and the match index of one service process."""

    def __init__(
        self,
        database: Database,
        model_name: str,
        index_dir: Path,
        model_cache: Path | None = None,
        save_delay: float = 2.0,
        model: EmbeddingModel | None = None,
        model_backend: str | None = None,
        engine: EngineSettings | None = None,
    ) -> None:
        self.database = database
        self.model_name = model_name
        self.index_dir = index_dir
        self.model_cache = model_cache
        self.save_delay = save_delay
        self.model_backend = model_backend
        self.engine_config = engine_config(engine or EngineSettings())
        self._model = model
        self._engine: MatchEngine | None = None
        self._lock = ReadWriteLock()
        self._dirty = False
        self._stale = False  # an index operation failed: reconcile before the next use
        self._timer: threading.Timer | None = None
        self._active: dict[int, str] = {}  # id → kind, for published unexpired postings
        self._expiry: dict[int, date] = {}  # id → expires_on, for active postings that expire
        self._expiry_checked: date | None = None
        self.last_saved: float | None = None
        self.last_save_seconds = 0.0  # how long the last save took
        self._last_save_end = 0.0  # time.monotonic() when it ended
        self.started_at: float | None = None
        self.rebuilt = False
        self.reconciled: dict[str, int] = {}
        #: Whether this process may write the index file now (several workers: only the
        #: holder of the writer lock, see service/changes/writer_lock.py).
        self.may_write_index: Callable[[], bool] = lambda: True
        self._ranking: tuple[int | None, LearnedRanking | None] = (None, None)
        self._fingerprints: dict[int, int] = {}  # id → row_fingerprint of the indexed row
        self._refreshed_prints = 0  # rows the last reconcile re-read but found unchanged
        #: Wall seconds of each step of the last :meth:`start` (``/health``): ``model``
        #: (when it loaded the model), ``load`` of the saved index (or ``rebuild_setup``),
        #: ``reconcile`` with the database, ``save`` (when the start changed the index).
        self.start_seconds: dict[str, float] = {}

    @classmethod
    def from_settings(
        cls,
        database: Database,
        settings: Settings,
        model: Any = None,
        save_delay: float | None = None,
    ) -> Matcher:
        """The matcher ``settings`` describe: model, backend, cache, index folder, engine."""
        return cls(
            database,
            model_name=settings.model,
            index_dir=settings.index_dir,
            model_cache=settings.model_cache_dir,
            save_delay=settings.index_save_delay if save_delay is None else save_delay,
            model=model,
            model_backend=settings.model_backend,
            engine=settings.engine,
        )

    # -- lifecycle -------------------------------------------------------------

    def start(self) -> None:
        """Load the model and the persisted index, then reconcile the index with the database."""
        from indexer.engine import IndexLoadError, MatchEngine

        clock = _Stopwatch()
        if self._model is None:
            from models import load_model

            self._model = load_model(self.model_name, self.model_cache, self.model_backend)
            clock.lap("model")
        with self._lock.write():
            try:
                engine = MatchEngine.load(self.index_dir, self._model, self.engine_config)
                self.rebuilt = False
                self._fingerprints = _fingerprints_from(engine.extra)
            except IndexLoadError as exc:
                log.info(
                    "index at %s not usable (%s); rebuilding from the database", self.index_dir, exc
                )
                engine = MatchEngine(self._model, self.engine_config)
                self.rebuilt = True
                self._fingerprints = {}
            engine.set_rescore(self._rescore())
            self._engine = engine
            clock.lap("rebuild_setup" if self.rebuilt else "load")
            self.reconciled = self._reconcile()
            clock.lap("reconcile")
            if self.rebuilt or any(self.reconciled.values()) or self._refreshed_prints:
                # (new prints alone: e.g. saved by an older fingerprint; keep them)
                self._dirty = True
                self._save_now()
                clock.lap("save")
            self.started_at = time.time()
            self.start_seconds = clock.laps

    def close(self) -> None:
        """Save pending changes and stop the save timer."""
        with self._lock.write():
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None
            if self._engine is not None and self._dirty:
                self._save_now()

    @property
    def ready(self) -> bool:
        """True between :meth:`start` and the end of the process."""
        return self._engine is not None

    @property
    def model(self) -> EmbeddingModel | None:
        """The loaded embedding model (``None`` before :meth:`start`)."""
        return self._model

    @property
    def recommend_threshold(self) -> float:
        """The score from which the engine recommends a pair (dashboard's histogram)."""
        from indexer.engine import fitted_fusion_of

        if self._engine is not None:
            return self._engine.recommend_threshold
        fitted = fitted_fusion_of(self.engine_config)
        return float(fitted.threshold if fitted else self.engine_config.fusion.recommend_threshold)

    # -- ranking ---------------------------------------------------------------

    @property
    def ranking_base(self) -> Base:
        """The built-in ranking as the logit a learned ranking corrects (the fitted
        fusion's, or the hand-set score's)."""
        from indexer.engine import fitted_fusion_of

        return base_of(fitted_fusion_of(self.engine_config))

    @property
    def ranking_version(self) -> int | None:
        """The version (``ranking_models`` id) of the ranking in use; ``None``: built-in."""
        return self._ranking[0]

    def set_ranking(self, version: int | None, model: Mapping[str, Any] | None) -> None:
        """Rank with the learned ``model`` (JSON of :class:`LearnedRanking`) from now on, or
        with the built-in fusion when ``model`` is ``None``; ``version`` names it."""
        learned = LearnedRanking.from_json(model) if model is not None else None
        with self._lock.write():
            self._ranking = (version, learned)
            if self._engine is not None:
                self._engine.set_rescore(self._rescore())

    def _rescore(self) -> Any:
        learned = self._ranking[1]
        return learned.rescore if learned is not None else None

    def trial_tops(
        self, learned: LearnedRanking, depth: Mapping[int, int]
    ) -> tuple[dict[int, list[int]], dict[int, list[int]]]:
        """The top ``depth[need]`` published offers of each indexed need under the current
        ranking and under ``learned`` (tried, not switched on): the switch rule's overlap."""
        filters = Filters(statuses=frozenset({"published"}))
        with self._lock.write():  # the trial swaps the engine's ranking for a moment
            engine = self._require()
            ids = [n for n in depth if _kind(engine.get(n)) == "need"]

            def tops() -> dict[int, list[int]]:
                return {
                    n: [m.offer_id for m in engine.match(n, depth[n], 0.0, filters, False)]
                    for n in ids
                }

            current = tops()
            engine.set_rescore(learned.rescore)
            try:
                trial = tops()
            finally:
                engine.set_rescore(self._rescore())
            return current, trial

    def candidates(self, need_ids: Iterable[int], limit: int = POOL) -> list[Candidate]:
        """Each indexed need's candidate list under the ranking in use: its top ``limit``
        published offers with their features and scores (what the switch rule re-ranks)."""
        filters = Filters(statuses=frozenset({"published"}))
        with self._reading() as engine:
            ids = sorted(n for n in set(need_ids) if _kind(engine.get(n)) == "need")
            pairs = [
                (n, m.offer_id) for n in ids for m in engine.match(n, limit, 0.0, filters, False)
            ]
            parts = engine.pair_parts(pairs)
            scores = engine.score_pairs(pairs)
            out = []
            for (need_id, offer_id), part, score in zip(pairs, parts, scores, strict=True):
                need, offer = engine.get(need_id), engine.get(offer_id)
                cross = need is not None and offer is not None and need.language != offer.language
                out.append(Candidate(need_id, offer_id, tuple(feature_vector(part, cross)), score))
            return out

    def pair_parts(
        self, pairs: Iterable[tuple[int, int]]
    ) -> dict[tuple[int, int], dict[str, float]]:
        """The built-in score parts of each ``(need_id, offer_id)`` pair whose postings are
        indexed as a need and an offer (others left out), for learning a ranking."""
        with self._reading() as engine:
            known = sorted(
                {
                    (n, o)
                    for n, o in pairs
                    if _kind(engine.get(n)) == "need" and _kind(engine.get(o)) == "offer"
                }
            )
            return dict(zip(known, engine.pair_parts(known), strict=True))

    # -- writes ----------------------------------------------------------------

    def sync(self, ids: Iterable[int]) -> None:
        """Make the index hold exactly what the database holds now for ``ids``.

        Should the index fail half-way, it is fully reconciled with the database before
        its next use, and the error is raised.
        """
        wanted = sorted(set(ids))
        if not wanted:
            return
        engine = self._ready_engine()
        # The slow part (embedding, tokenising) runs beside the reads; what the database
        # holds is read again under the lock, so a concurrent sync can never leave an older
        # version behind (a text changed meanwhile is embedded under the lock).
        ahead = engine.embed_ahead(self._load(wanted, date.today())[0])
        with self._lock.write():
            engine = self._require()
            try:
                self._sync(engine, wanted, ahead)
            except Exception:
                self._stale = True
                raise
            self._mark_dirty()

    def _load(
        self, wanted: Sequence[int], today: date, prints: dict[int, int] | None = None
    ) -> tuple[list[Posting], dict[int, date | None]]:
        """The postings of ``wanted`` ids as the database holds them now, with their expiry
        dates (and, into ``prints``, their row fingerprints)."""
        expiry: dict[int, date | None] = {}
        postings: list[Posting] = []
        with self.database.session() as session:
            for chunk in _chunks(wanted):
                query = select(PostingRow, _KEYWORDS_TEXT).where(PostingRow.id.in_(chunk))
                for row, keywords_text in session.execute(query):
                    expiry[row.id] = row.expires_on
                    postings.append(to_posting(row, today))
                    if prints is not None:
                        prints[row.id] = row_fingerprint(_row_values(row, keywords_text))
        return postings, expiry

    def _sync(self, engine: MatchEngine, wanted: list[int], ahead: Embedded | None = None) -> None:
        prints: dict[int, int] = {}
        postings, expiry = self._load(wanted, date.today(), prints)
        for posting_id in wanted:
            self._fingerprints.pop(posting_id, None)  # until the upsert below succeeded
        if postings:
            engine.upsert(postings, ahead)
        missing = [i for i in wanted if i not in expiry]
        if missing:
            engine.delete(missing)
        self._fingerprints.update(prints)
        for posting in postings:
            self._track(posting, expiry[posting.id])
        for posting_id in missing:
            self._untrack(posting_id)

    # -- reads -----------------------------------------------------------------

    def matches(
        self,
        posting_id: int,
        limit: int = 10,
        min_score: float = 0.0,
        sectors: Iterable[str] | None = None,
        languages: Iterable[str] | None = None,
    ) -> list[Match]:
        """Published, unexpired counterparts of ``posting_id``, best first.

        Raises :class:`NotIndexed` (404) when the posting is not indexed.
        """
        filters = Filters(
            sectors=frozenset(sectors) if sectors else None,
            languages=frozenset(languages) if languages else None,
            statuses=frozenset({"published"}),
        )
        with self._reading() as engine:
            try:
                return engine.match(posting_id, limit=limit, min_score=min_score, filters=filters)
            except UnknownPosting as exc:
                raise NotIndexed.of(exc) from exc

    def pairs(
        self,
        limit: int = 100,
        min_score: float = 0.0,
        per_need: int = 3,
        per_offer: int = 3,
        exclude: Iterable[tuple[int, int]] = (),
        need_ids: Iterable[int] | None = None,
        offer_ids: Iterable[int] | None = None,
    ) -> list[Match]:
        """Need–offer pairs over all published, unexpired postings, best first;
        ``(need_id, offer_id)`` pairs in ``exclude`` (e.g. rejected ones) are never proposed.
        ``need_ids`` / ``offer_ids`` restrict the pool (e.g. to a session's participants)."""
        only_needs = None if need_ids is None else set(need_ids)
        only_offers = None if offer_ids is None else set(offer_ids)
        with self._reading(long=True) as engine:
            needs = [
                i
                for i, kind in self._active.items()
                if kind == "need" and (only_needs is None or i in only_needs)
            ]
            offers = [
                i
                for i, kind in self._active.items()
                if kind == "offer" and (only_offers is None or i in only_offers)
            ]
            if not needs or not offers:
                return []
            return engine.pairs(
                limit=limit,
                min_score=min_score,
                per_need=per_need,
                per_offer=per_offer,
                need_ids=needs,
                offer_ids=offers,
                exclude=frozenset(exclude),
            )

    def scores(self, pairs: Iterable[tuple[int, int]]) -> dict[tuple[int, int], float]:
        """The match score of each ``(need_id, offer_id)`` pair whose two postings are
        indexed as a need and an offer (others are left out), whatever their status.

        The cheap path for the scheduler: the same score as the pair gets in a match
        list, without a search over the pool, reasons or sentence encoding."""
        with self._reading() as engine:
            known = sorted(
                {
                    (n, o)
                    for n, o in pairs
                    if _kind(engine.get(n)) == "need" and _kind(engine.get(o)) == "offer"
                }
            )
            return dict(zip(known, engine.score_pairs(known), strict=True))

    # -- the coach's reads (service/coach) ---------------------------------------

    def active_count(self, kind: str) -> int:
        """How many published, unexpired postings of ``kind`` are matched now."""
        with self._reading():
            return sum(1 for k in self._active.values() if k == kind)

    def key_terms(self, posting: Posting) -> list[str]:
        """The key terms the engine derives for ``posting``: the stored ones when it is
        indexed with this text, else computed from its text (an unsaved draft)."""
        from indexer.features import prepare
        from indexer.text import key_terms

        with self._reading() as engine:
            prepared = prepare(posting)
            stored = engine.get(posting.id)
            if stored is not None and stored.content_hash() == prepared.content_hash():
                return list(engine.store.terms.get(posting.id, []))
            return key_terms(prepared, engine.config.key_terms)

    def term_usage(
        self,
        terms: Sequence[str],
        kind: str,
        language: str | None,
        near: Iterable[int] | None = None,
    ) -> list[TermUse]:
        """For each of ``terms`` (written in a posting of ``kind``), how many active
        counterparts use it and, when none does, the glossary's other terms for it that
        counterparts write, then the words nearest to it among the key terms of the
        counterparts ``near`` (all when ``None``); see
        :mod:`indexer.term_usage`."""
        from indexer.term_usage import counterpart_vocabulary, term_usage
        from vocabulary.glossary import glossary

        other = "offer" if kind == "need" else "need"
        with self._reading() as engine:
            ids = [i for i, k in self._active.items() if k == other]
            close = None if near is None else set(near)
            vocabulary = counterpart_vocabulary(engine.store, ids, close)
            known = engine.store.term_vectors
            missing = [t for t in dict.fromkeys(terms) if t not in known]
            fresh = dict(zip(missing, engine.model.encode(missing), strict=True)) if missing else {}
            if not terms:
                return []
            vectors = np.stack([known[t] if t in known else fresh[t] for t in terms])
            return term_usage(list(terms), vectors, vocabulary, language, glossary=glossary())

    def content_hashes(self) -> dict[int, str]:
        """``{id: content hash}`` of every indexed posting (compare with the database's)."""
        with self._reading() as engine:
            return engine.content_hashes()

    def indexed(self, posting_id: int) -> Posting | None:
        """The posting as the index holds it now (text normalised, language detected)."""
        with self._reading() as engine:
            return engine.get(posting_id)

    def info(self) -> EngineInfo:
        """The engine's sizes and derived-state versions (see :class:`EngineInfo`)."""
        with self._reading() as engine:
            return engine.info()

    def indexed_ids(self) -> set[int]:
        """Ids of every indexed posting."""
        with self._reading() as engine:
            return set(engine.ids())

    def status(self) -> dict[str, Any]:
        """Index and model state for ``/health``."""
        with self._lock.read():
            engine = self._engine
            return {
                "index": {
                    "ok": engine is not None,
                    "size": len(engine) if engine is not None else 0,
                    "active": len(self._active),
                    "directory": str(self.index_dir),
                    "rebuilt_at_start": self.rebuilt,
                    "reconciled_at_start": self.reconciled,
                    "start_seconds": self.start_seconds,
                    "unsaved_changes": self._dirty,
                    "last_saved": self.last_saved,
                    "last_save_seconds": round(self.last_save_seconds, 3),
                    "embedded_since_start": engine.embedded_count if engine is not None else 0,
                },
                "engine": {
                    name: getattr(engine.config if engine is not None else self.engine_config, name)
                    for name in EngineSettings.model_fields
                },
                "model": {
                    "ok": self._model is not None,
                    "name": getattr(self._model, "name", self.model_name),
                    "backend": getattr(self._model, "backend", None),
                    "dimension": getattr(self._model, "dimension", None),
                },
            }

    # -- internals -------------------------------------------------------------

    def _ready_engine(self) -> MatchEngine:
        engine = self._engine
        if engine is None:
            raise IndexNotReady("the match index is not loaded")
        return engine

    @contextmanager
    def _reading(self, long: bool = False) -> Iterator[MatchEngine]:
        """The engine under the shared lock, reconciled and with today's expiries applied
        first (under the exclusive lock, when either is due)."""
        self._ready_engine()
        if self._stale or self._expiry_checked != date.today():
            with self._lock.write():
                self._require()
                self._refresh_expired()
        with self._lock.read(long=long):
            yield self._ready_engine()

    def _require(self) -> MatchEngine:
        """The engine, reconciled first if an operation failed (exclusive lock held)."""
        if self._engine is None:
            raise IndexNotReady("the match index is not loaded")
        if self._stale:
            self.reconciled = self._reconcile()
            self._stale = False
            self._mark_dirty()
        return self._engine

    def _reconcile(self) -> dict[str, int]:
        """Make the index hold what the database holds. Rows whose fingerprint is the one
        saved with the index (and whose status today is the indexed one) are taken as they
        are, from a read of plain columns; only the others are loaded and compared."""
        engine = self._engine
        assert engine is not None
        today = date.today()
        seen: set[int] = set()
        doubtful: list[int] = []
        known = self._fingerprints
        self._active.clear()
        self._expiry.clear()
        with self.database.session() as session:
            rows = session.execute(select(*_PRINT_COLUMNS).order_by(PostingRow.id))
            for values in rows:
                posting_id, kind, status, expires_on = (
                    values[0],
                    values[1],
                    _status(values[8], values[9], today),
                    values[9],
                )
                seen.add(posting_id)
                self._track_row(posting_id, kind, status, expires_on)
                indexed = engine.get(posting_id)
                if (
                    indexed is None
                    or indexed.status != status
                    or known.get(posting_id) != row_fingerprint(values)
                ):
                    doubtful.append(posting_id)
        prints: dict[int, int] = {}
        candidates, _ = self._load(doubtful, today, prints) if doubtful else ([], {})
        wanted = [p for p in candidates if engine.get(p.id) != p]
        extras = set(engine.ids()) - seen
        for posting_id in (*doubtful, *extras):
            known.pop(posting_id, None)
        for chunk in _chunks(wanted):
            engine.upsert(chunk)
        if extras:
            engine.delete(extras)
        known.update(prints)
        self._refreshed_prints = len(candidates) - len(wanted)  # new prints, same postings
        self._expiry_checked = today
        if wanted or extras:
            log.info("index reconciled: %d upserted, %d deleted", len(wanted), len(extras))
        return {"upserted": len(wanted), "deleted": len(extras)}

    def _track(self, posting: Posting, expires_on: date | None) -> None:
        self._track_row(posting.id, posting.kind, posting.status, expires_on)

    def _track_row(self, posting_id: int, kind: str, status: str, expires_on: date | None) -> None:
        if status == "published":
            self._active[posting_id] = kind
            if expires_on is not None:
                self._expiry[posting_id] = expires_on
            else:
                self._expiry.pop(posting_id, None)
        else:
            self._untrack(posting_id)

    def _untrack(self, posting_id: int) -> None:
        self._active.pop(posting_id, None)
        self._expiry.pop(posting_id, None)

    def _refresh_expired(self) -> None:
        """Turn postings whose expiry date has passed into ``expired`` ones in the index."""
        today = date.today()
        if self._expiry_checked == today:
            return
        self._expiry_checked = today
        gone = [i for i, day in self._expiry.items() if day < today]
        if not gone:
            return
        engine = self._engine
        assert engine is not None
        updated = []
        for posting_id in gone:
            posting = engine.get(posting_id)
            if posting is not None:
                updated.append(dataclasses.replace(posting, status=EXPIRED))
            self._untrack(posting_id)
        if updated:
            engine.upsert(updated)
            self._mark_dirty()

    def _mark_dirty(self) -> None:
        self._dirty = True
        if self._timer is None and self.save_delay >= 0:
            spaced = self._last_save_end + SAVE_SPACING * self.last_save_seconds
            delay = max(self.save_delay, spaced - time.monotonic())
            self._timer = threading.Timer(delay, self._save_later)
            self._timer.daemon = True
            self._timer.start()

    def _save_later(self) -> None:
        # Saving only reads the engine: reads go on meanwhile, writes wait.
        with self._lock.read():
            self._timer = None
            if self._dirty and self._engine is not None:
                self._save_now()

    def _save_now(self) -> None:
        assert self._engine is not None
        if not self.may_write_index():
            return  # another worker writes the file; ours stays marked unsaved
        started = time.monotonic()
        try:
            self._engine.save(self.index_dir, extra=_fingerprint_arrays(self._fingerprints))
        except Exception:  # a failed save only costs a rebuild at the next start
            log.exception("could not save the index to %s", self.index_dir)
            return
        finally:
            self._last_save_end = time.monotonic()
            self.last_save_seconds = self._last_save_end - started
        self._dirty = False
        self.last_saved = time.time()


class _Stopwatch:
    """Wall-clock laps: :meth:`lap` records the seconds since the previous lap under a name."""

    def __init__(self) -> None:
        self.laps: dict[str, float] = {}
        self._last = time.perf_counter()

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.laps[name] = round(now - self._last, 3)
        self._last = now


def _kind(posting: Posting | None) -> str | None:
    return posting.kind if posting is not None else None


def _fingerprint_arrays(prints: dict[int, int]) -> dict[str, np.ndarray]:
    return {
        "row_ids": np.fromiter(prints.keys(), dtype=np.int64, count=len(prints)),
        "row_prints": np.fromiter(prints.values(), dtype=np.int64, count=len(prints)),
    }


def _fingerprints_from(extra: dict[str, np.ndarray]) -> dict[int, int]:
    ids, prints = extra.get("row_ids"), extra.get("row_prints")
    if ids is None or prints is None or len(ids) != len(prints):
        return {}
    return dict(zip(ids.tolist(), prints.tolist(), strict=True))
