"""The engine with its vectors in pgvector (``EngineConfig(ann="pgvector")``) against a real
PostgreSQL 16 + pgvector server (the ``pgserver`` wheel; the server fixture and its skip rule
are ``test_pgvector.py``'s): on a small pool it gives what exact FAISS gives, through adds,
updates, status and language changes, deletes and filtered searches.
"""

from __future__ import annotations

import dataclasses
import itertools
import os
import random
from collections.abc import Iterator

import numpy as np
import pytest

from indexer.config import EngineConfig
from indexer.engine import MatchEngine
from indexer.pgvector_store import PgVectorIndex, PgVectorUnavailable
from indexer.postings import Filters, Posting
from models import load_model
from tests.indexer.test_engine import postings
from tests.indexer.test_pgvector import pgvector_url  # noqa: F401  # the server fixture

_tables = itertools.count()
WORDS = [
    "tôm",
    "cá",
    "lúa",
    "gạo",
    "cảm",
    "biến",
    "nước",
    "mặn",
    "phân",
    "bón",
    "container",
    "cảng",
    "kho",
    "lạnh",
    "drone",
    "sensor",
    "shrimp",
    "rice",
    "fertiliser",
    "cold",
    "storage",
    "port",
    "yard",
    "irrigation",
    "solar",
    "pump",
    "biogas",
]
FILTERS = [
    None,
    Filters(statuses=None),
    Filters(languages=frozenset({"vi"})),
    Filters(languages=frozenset({"en"}), sectors=frozenset({"ports_logistics"})),
    Filters(statuses=None, ids=frozenset({101, 103, 205, 230})),
]


def pool() -> list[Posting]:
    """The engine tests' postings and 60 more of both kinds, languages and statuses."""
    rng = random.Random(5)
    out = postings()
    for n in range(60):
        words = rng.sample(WORDS, 6)
        out.append(
            Posting(
                200 + n,
                "need" if n % 3 == 0 else "offer",
                " ".join(words[:3]),
                " ".join(words),
                tuple(words[:2]),
                rng.choice(["aquaculture_fisheries", "ports_logistics", "agriculture"]),
                rng.randint(3, 8),
                status="withdrawn" if n % 7 == 0 else "published",
            )
        )
    return out


@pytest.fixture(scope="module")
def model():  # type: ignore[no-untyped-def]
    return load_model("hashing")


@pytest.fixture
def engines(model, pgvector_url: str) -> Iterator[tuple[MatchEngine, MatchEngine]]:  # type: ignore[no-untyped-def]  # noqa: F811
    """``(exact FAISS engine, pgvector engine)`` over a fresh table, same postings."""
    table = f"engine_vectors_{os.getpid()}_{next(_tables)}"
    flat = MatchEngine(model)
    pg = MatchEngine(
        model, EngineConfig(ann="pgvector", pgvector_url=pgvector_url, pgvector_table=table)
    )
    both = (flat, pg)
    for engine in both:
        engine.upsert(pool())
    yield both
    index = pg.retriever.ann["need"]
    assert isinstance(index, PgVectorIndex)
    index._conn.execute(f"DROP TABLE {table}")
    for store in pg.retriever.ann.values():
        store.close()  # type: ignore[attr-defined]


def answers(engine: MatchEngine) -> list[list[tuple[int, float]]]:
    """Every posting's matches under every filter: (id, score) best first."""
    out = []
    for posting_id in sorted(engine.ids()):
        for filters in FILTERS:
            found = engine.match(posting_id, limit=8, filters=filters, with_reasons=False)
            out.append(
                [(m.offer_id if m.need_id == posting_id else m.need_id, m.score) for m in found]
            )
    return out


def same(a: list[list[tuple[int, float]]], b: list[list[tuple[int, float]]]) -> None:
    assert len(a) == len(b)
    for row_a, row_b in zip(a, b, strict=True):
        assert [i for i, _ in row_a] == [i for i, _ in row_b]
        np.testing.assert_allclose([s for _, s in row_a], [s for _, s in row_b], atol=1e-5)


def test_pgvector_engine_matches_exact_search(engines: tuple[MatchEngine, MatchEngine]) -> None:
    flat, pg = engines
    assert isinstance(pg.retriever.ann["offer"], PgVectorIndex)
    assert len(pg.retriever.ann["offer"]) == len(flat.retriever.ann["offer"]) > 40
    assert pg.info().approximate == {"need": True, "offer": True}
    same(answers(flat), answers(pg))


def test_pgvector_engine_follows_writes(engines: tuple[MatchEngine, MatchEngine]) -> None:
    flat, pg = engines
    answers(pg)  # fill the filter caches, so that writes update them
    for engine in engines:
        get = engine.get
        engine.upsert(
            [
                dataclasses.replace(get(101), status="withdrawn"),  # type: ignore[arg-type]
                dataclasses.replace(get(205), description="drone sensor shrimp pond"),  # type: ignore[arg-type]
                dataclasses.replace(get(206), language="en"),  # type: ignore[arg-type]
                Posting(300, "offer", "Cảm biến tôm mới", "Cảm biến đo bệnh tôm trong ao nuôi."),
            ]
        )
        engine.delete([102, 210])
    same(answers(flat), answers(pg))
    index = pg.retriever.ann["offer"]
    assert isinstance(index, PgVectorIndex)
    rows = index._conn.execute(
        f"SELECT id, status, language FROM {index.table} WHERE id IN (101, 102, 206, 300)"
    ).fetchall()
    stored = {i: pg.get(i) for i in (101, 206, 300)}
    assert sorted(rows) == [
        (i, p.status, p.language or "") for i, p in stored.items() if p is not None
    ]
    assert [r[1:] for r in sorted(rows)][:2] == [
        ("withdrawn", stored[101].language),
        (stored[206].status, "en"),
    ]  # type: ignore[union-attr]


def test_filters_search_by_columns_and_strays_are_dropped(
    engines: tuple[MatchEngine, MatchEngine],
) -> None:
    flat, pg = engines
    vi = Filters(languages=frozenset({"vi"}))
    allowed = pg.retriever.allowed("offer", vi)
    assert allowed is not None
    query = pg.retriever.vectors([1])
    index = pg.retriever.ann["offer"]
    assert isinstance(index, PgVectorIndex)
    # a row another engine left in the table (id unknown to this pool) is never returned
    index.upsert(np.array([999_999]), query * 1.0, status="published", language="vi")
    scores, ids = pg.retriever.search("offer", query, 5, allowed)
    expected_scores, expected_ids = flat.retriever.search(
        "offer", query, 5, flat.retriever.allowed("offer", vi)
    )
    assert 999_999 not in ids
    assert ids.tolist() == expected_ids.tolist()
    np.testing.assert_allclose(scores, expected_scores, atol=1e-5)
    # the column path was taken: an array not made by ``allowed`` is sent as ids
    by_ids = pg.retriever.search("offer", query, 5, allowed.copy())
    assert by_ids[1].tolist() == ids.tolist()


def test_rebuild_replaces_every_row_of_a_kind(engines: tuple[MatchEngine, MatchEngine]) -> None:
    _, pg = engines
    index = pg.retriever.ann["offer"]
    assert isinstance(index, PgVectorIndex)
    index.upsert(np.array([888_888]), np.ones((1, pg.dimension)) / np.sqrt(pg.dimension))
    pg.indexer.refit()  # rewrites every vector: one bulk load per kind
    stored = {
        int(r[0]) for r in index._conn.execute(f"SELECT id FROM {index.table} WHERE kind = 'offer'")
    }
    assert stored == {p.id for p in pg.store if p.kind == "offer"}


def test_missing_extension_says_so_in_english_and_vietnamese() -> None:
    url = os.environ.get("TECHMATCH_TEST_POSTGRES_URL")
    if not url:
        pytest.skip("TECHMATCH_TEST_POSTGRES_URL is not set (a PostgreSQL without pgvector)")
    import psycopg

    from indexer.pgvector_store import plain_conninfo

    with psycopg.connect(plain_conninfo(url), autocommit=True) as conn:
        available = conn.execute(
            "SELECT count(*) FROM pg_available_extensions WHERE name = 'vector'"
        ).fetchone()
    if available and available[0]:
        pytest.skip("this PostgreSQL has pgvector")
    with pytest.raises(PgVectorUnavailable) as raised:
        MatchEngine(load_model("hashing"), EngineConfig(ann="pgvector", pgvector_url=url))
    message = str(raised.value)
    assert "needs the pgvector extension" in message
    assert "cần tiện ích pgvector" in message
    assert "TECHMATCH_ENGINE__ANN=flat" in message
