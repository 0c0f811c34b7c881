"""The FastAPI application: ``create_app(settings)`` wires storage, matcher and routes."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import APIRouter, FastAPI

from service.api.docs import install_docs
from service.api.errors import install_error_handlers
from service.api.limits import BodyLimitMiddleware
from service.api.routes import (
    agendas,
    health,
    hints,
    interest,
    keys,
    meetings,
    outcomes,
    pairs,
    ranking,
    reviews,
    sectors,
)
from service.api.routes import imports as imports_routes
from service.api.routes import sessions as sessions_routes
from service.api.routes.imports import imports_router
from service.api.routes.matches import matches_router
from service.api.routes.postings import postings_router
from service.changes.follower import Follower
from service.changes.writer_lock import WriterLock
from service.core import threads
from service.core.config import Settings, get_settings
from service.db.engine import Database
from service.db.migrate import upgrade
from service.email import Mailer, parse_smtp_url
from service.importing.jobs import ImportJobs
from service.matching import Matcher
from service.postings import PostingService
from service.ranking import RankingWatcher
from service.web import install_web
from vocabulary import KINDS

log = logging.getLogger(__name__)

API_PREFIX = "/api/v1"

DESCRIPTION = """
Match **technology needs** (companies) with **technology offers** (institutes), in
Vietnamese or English. *Kết nối cung – cầu công nghệ.*

**Keys.** Send `Authorization: Bearer KEY`. Every key may read published postings and
their matches. Drafts and archived postings, and a posting's `contact`, are visible to the
posting's organization, moderators and admins only.

| role | creates needs | creates offers | edits / deletes | `/pairs` | `/keys` |
|---|---|---|---|---|---|
| company | ✓ | | own organization's | | |
| institute | | ✓ | own organization's | | |
| moderator | ✓ | ✓ | all | ✓ | |
| admin | ✓ | ✓ | all | ✓ | ✓ |

Moderators and admins **review** pairs (`POST /pairs/{pair_id}/review`, `GET /reviews`);
the organizations of a need and an offer mark their **interest** in a pair
(`POST /pairs/{pair_id}/interest`).

**Limits.** title 1–200 characters, description 1–5000, at most 20 keywords of ≤ 60
characters, organization ≤ 200, province ≤ 100, TRL 1–9 (for a need: the lowest level it
accepts), request body ≤ 1 MiB (import uploads ≤ 10 MiB); larger bodies get 413. By default an
import holds at most 10,000 rows and an XLSX unpacks to at most 50 MiB (413 above);
imports of more than 500 rows run as jobs (202, `GET /imports/{job_id}`). An
organization owns at most 5,000 postings (409 above). All configurable.

**Errors** always look like `{"detail": [{"loc": [...], "msg": "...", "type": "..."}]}`;
`loc` names the field.
"""

TAGS = [
    {"name": "needs", "description": "Technology needs · Nhu cầu công nghệ"},
    {"name": "offers", "description": "Technology offers · Công nghệ chào bán"},
    {"name": "pairs", "description": "Pairs for moderators · Cặp kết nối cho điều phối viên"},
    {"name": "reviews", "description": "Moderator decisions on pairs · Duyệt cặp kết nối"},
    {"name": "ranking", "description": "Ranking learned from decisions · Học xếp hạng"},
    {"name": "sessions", "description": "Tech-transfer sessions and meetings · Phiên kết nối"},
    {"name": "imports", "description": "Booth lists from CSV, XLSX or JSONL"},
    {"name": "keys", "description": "API keys"},
    {"name": "reference", "description": "Sectors and other vocabularies"},
    {"name": "health", "description": "Service status"},
]


def _follower(database: Database, matcher: Matcher, settings: Settings) -> Follower:
    """This worker's change-feed follower, its place in the feed taken before the matcher's
    start-up reconcile; the index file is written only while the writer lock is ours."""
    lock = WriterLock(database.url, settings.index_dir)
    lock.try_acquire()
    matcher.may_write_index = lambda: lock.held
    follower = Follower(database, matcher, lock)
    follower.begin()
    return follower


def create_app(settings: Settings | None = None, *, model: Any = None) -> FastAPI:
    """Build the app. ``model`` may hand over an already loaded embedding model (tests)."""
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        settings.data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        budget = threads.thread_budget(
            settings.workers,
            threads.available_cores(),
            settings.worker_threads,
            settings.blas_threads,
        )
        threads.export_env(budget)  # before FAISS loads: OpenMP reads it once
        app.state.threads = budget
        database = Database(settings.sqlalchemy_url)
        upgrade(database)
        matcher = Matcher.from_settings(database, settings, model=model)
        follower = _follower(database, matcher, settings)
        matcher.start()
        threads.apply(budget)  # the libraries the start loaded
        follower.start()
        app.state.ranking_watcher = RankingWatcher(database, matcher)
        app.state.ranking_watcher.refresh(force=True)
        app.state.database = database
        app.state.matcher = matcher
        app.state.follower = follower
        app.state.postings = PostingService(
            database, matcher, settings.max_postings_per_organization
        )
        app.state.import_jobs = ImportJobs(database, app.state.postings)
        app.state.import_jobs.recover()
        app.state.mailer = Mailer(
            database,
            parse_smtp_url(settings.smtp_url),
            settings.smtp_from,
            settings.smtp_retry_seconds,
            settings.smtp_attempts,
        )
        app.state.mailer.start()
        try:
            yield
        finally:
            app.state.mailer.close()
            app.state.import_jobs.close()
            follower.close()
            matcher.close()
            follower.lock.release()
            database.dispose()

    app = FastAPI(
        title="techmatch",
        version="0.1.0",
        description=DESCRIPTION,
        openapi_tags=TAGS,
        lifespan=lifespan,
        docs_url=None,  # served offline by install_docs
        redoc_url=None,
    )
    app.add_middleware(
        BodyLimitMiddleware,
        default=settings.max_body_bytes,
        per_suffix={"/import": settings.max_import_bytes},
    )
    app.state.settings = settings
    install_error_handlers(app)

    api = APIRouter(prefix=API_PREFIX)
    for kind in KINDS:
        api.include_router(imports_router(kind, settings.max_import_bytes))
        api.include_router(postings_router(kind))
        api.include_router(matches_router(kind))
    api.include_router(pairs.router)
    api.include_router(reviews.router)
    api.include_router(interest.router)
    api.include_router(ranking.router)
    api.include_router(sectors.router)
    api.include_router(hints.router)
    api.include_router(keys.router)
    api.include_router(sessions_routes.router)
    api.include_router(meetings.router)
    api.include_router(agendas.router)
    api.include_router(outcomes.router)
    api.include_router(imports_routes.router)
    app.include_router(api)
    app.include_router(health.router)
    app.include_router(agendas.pages_router)
    install_docs(app)
    install_web(app)
    return app
