"""Vector search inside PostgreSQL (pgvector HNSW) behind the same ``ANNIndex`` interface.

One table holds every posting's L2-normalised vector with the columns searches filter on
(``kind``, ``status``, ``language``, ``sector``); an HNSW index (``vector_ip_ops``: inner
product, equal to cosine on unit vectors) answers approximate searches; each kind has its
own partial HNSW index. A :class:`PgVectorIndex` serves one kind (the engine keeps one index
per kind), so workers, on one host or several, that open the same table share one copy of
the vectors and see each other's writes at commit.

Planning, per call: the number of rows a search may return (the planner's estimate of the
rows passing the column filter and ``allowed``, from the table statistics) decides the
method.

* at most ``exact_rows`` rows (5,000: where an exact scan, ~2.4 µs a row measured in
  ``benchmarks/bench_vector_store.py``, costs what an HNSW query does) → exact search;
* otherwise HNSW with ``hnsw.ef_search`` = max(``ef_search``, 1.2·k) / selectivity
  (pgvector 0.6 filters *after* the graph walk, so a filter keeping 10 % of the rows needs
  ~10× the candidates); when that would exceed ``MAX_EF_SEARCH``, or HNSW returns fewer than
  ``k`` rows although more pass the filter, the query is answered exactly instead. Stale
  statistics cost speed, never results.

Connections are opened with ``prepare_threshold=None`` (no server-side prepared statements),
so the store works through pgbouncer in transaction mode. ``EngineConfig(ann="pgvector",
pgvector_url=…)`` (service: ``TECHMATCH_ENGINE__ANN=pgvector``) makes the engine's
retriever use it through :func:`make_pgvector_index`.
"""

from __future__ import annotations

import math
import re
import struct
import threading
import time
from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import psycopg
from psycopg import sql
from psycopg.adapt import Dumper
from psycopg.pq import Format
from psycopg.types import TypeInfo

MAX_EF_SEARCH = 1000  # pgvector's upper bound for hnsw.ef_search
STATS_TTL_S = 10.0  # how long the estimate of a kind's row count is reused
_IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]{0,50}$")


@dataclass(frozen=True)
class ColumnFilter:
    """Which rows a search may return (``None`` = any), mirroring the engine's ``Filters``."""

    statuses: frozenset[str] | None = frozenset({"published"})
    languages: frozenset[str] | None = None
    sectors: frozenset[str] | None = None


ANY_ROW = ColumnFilter(statuses=None)


def plain_conninfo(url: str) -> str:
    """A libpq URL from a SQLAlchemy one (``postgresql+psycopg://`` → ``postgresql://``)."""
    return re.sub(r"^postgresql\+\w+://", "postgresql://", url)


def _vector_dumper(oid: int) -> type[Dumper]:
    """A binary dumper of float arrays to pgvector's ``vector`` (int16 dim, int16 0, float32s)."""

    class VectorDumper(Dumper):
        format = Format.BINARY

        def dump(self, obj: Any) -> bytes:
            values = np.asarray(obj, dtype=">f4").ravel()
            return struct.pack(">HH", len(values), 0) + values.tobytes()

    VectorDumper.oid = oid
    return VectorDumper


class PgVectorUnavailable(RuntimeError):
    """The database has no pgvector extension (``TECHMATCH_ENGINE__ANN=pgvector`` needs it).

    The message says so in English and Vietnamese, with the server's own reason."""

    def __init__(self, reason: str) -> None:
        super().__init__(
            "TECHMATCH_ENGINE__ANN=pgvector needs the pgvector extension in the database at "
            "TECHMATCH_ENGINE__PGVECTOR_URL (install pgvector on the PostgreSQL server, or "
            "set TECHMATCH_ENGINE__ANN=flat). / TECHMATCH_ENGINE__ANN=pgvector cần tiện ích "
            "pgvector trong cơ sở dữ liệu tại TECHMATCH_ENGINE__PGVECTOR_URL (hãy cài pgvector "
            "trên máy chủ PostgreSQL, hoặc đặt TECHMATCH_ENGINE__ANN=flat). "
            f"PostgreSQL: {reason}"
        )
        self.reason = reason


class PgVectorIndex:
    """``ANNIndex`` over a PostgreSQL table with a ``vector(dimension)`` column and HNSW.

    In: ``conninfo`` (libpq or SQLAlchemy URL), the ``kind`` this index serves, the table
    name (created with its indexes if missing), HNSW build parameters (``m``,
    ``ef_construction``), the base ``ef_search`` and ``exact_rows`` (the planning threshold).
    Ids are posting ids (unique across kinds). Search returns ``(scores, ids)`` of shape
    ``(queries, k)``, inner products best first, padded with ``-1`` ids and ``-inf`` scores.
    One connection per index, used under a lock (callers may share the index across threads).
    """

    def __init__(
        self,
        conninfo: str,
        kind: str,
        dimension: int = 384,
        table: str = "posting_vectors",
        m: int = 16,
        ef_construction: int = 64,
        ef_search: int = 100,
        exact_rows: int = 5_000,
    ) -> None:
        for name in (table, kind):
            if not _IDENTIFIER.match(name):
                raise ValueError(f"table and kind {name!r} must be lower-case SQL identifiers")
        self.dimension = dimension
        self.kind = kind
        self.table = table
        self.m = m
        self.ef_construction = ef_construction
        self.ef_search = ef_search
        self.exact_rows = exact_rows
        self.last_plan = ""  # "exact" or "hnsw(ef=…)" of the last query: for tests and tuning
        self._total: tuple[int, float] | None = None  # (rows of this kind, when estimated)
        self._lock = threading.RLock()
        self._conn = psycopg.connect(
            plain_conninfo(conninfo), autocommit=True, prepare_threshold=None
        )
        info = self._vector_type()
        self._vector_oid = info.oid
        self._conn.adapters.register_dumper(np.ndarray, _vector_dumper(info.oid))
        self._t = sql.Identifier(table)
        self._hnsw = sql.Identifier(f"{table}_hnsw_{kind}")
        self._create_schema()

    approximate = True  # HNSW (exact below ``exact_rows``): for the engine's info

    def _vector_type(self) -> TypeInfo:
        """pgvector's ``vector`` type, creating the extension when it is available but not
        yet created; :class:`PgVectorUnavailable` when the server has no pgvector."""
        try:
            with self._conn.transaction():
                self._conn.execute("CREATE EXTENSION IF NOT EXISTS vector")
        except psycopg.Error as error:
            # not installed on the server, or not allowed to create it: say which database
            if TypeInfo.fetch(self._conn, "vector") is None:
                self._conn.close()
                raise PgVectorUnavailable(str(error).strip().splitlines()[0]) from error
        info = TypeInfo.fetch(self._conn, "vector")
        if info is None:  # pragma: no cover - CREATE EXTENSION succeeded
            self._conn.close()
            raise PgVectorUnavailable("no type 'vector' after CREATE EXTENSION")
        return info

    # ----------------------------------------------------------------- schema
    def _create_schema(self) -> None:
        q = sql.SQL(
            "CREATE TABLE IF NOT EXISTS {t} (id bigint PRIMARY KEY, kind text NOT NULL,"
            " status text NOT NULL DEFAULT 'published', language text NOT NULL DEFAULT '',"
            " sector text, embedding vector({d}) NOT NULL)"
        ).format(t=self._t, d=sql.Literal(self.dimension))
        with self._lock, self._conn.transaction():
            # one creator at a time when several workers start together
            self._conn.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [self.table])
            self._conn.execute(q)
            self._conn.execute(
                sql.SQL("CREATE INDEX IF NOT EXISTS {i} ON {t} (kind, status, language)").format(
                    i=sql.Identifier(f"{self.table}_filter"), t=self._t
                )
            )
            self._conn.execute(self._hnsw_ddl())

    def _hnsw_ddl(self) -> sql.Composed:
        return sql.SQL(
            "CREATE INDEX IF NOT EXISTS {i} ON {t} USING hnsw (embedding vector_ip_ops)"
            " WITH (m = {m}, ef_construction = {ef}) WHERE kind = {kind}"
        ).format(
            i=self._hnsw,
            t=self._t,
            kind=sql.Literal(self.kind),
            m=sql.Literal(self.m),
            ef=sql.Literal(self.ef_construction),
        )

    def close(self) -> None:
        """Close the connection (the table stays)."""
        self._conn.close()

    # ----------------------------------------------------------------- writes
    def __len__(self) -> int:
        with self._lock:
            row = self._conn.execute(
                sql.SQL("SELECT count(*) FROM {t} WHERE kind = %s").format(t=self._t), [self.kind]
            ).fetchone()
        return int(row[0]) if row else 0

    def upsert(
        self,
        ids: np.ndarray,
        vectors: np.ndarray,
        *,
        status: str | Sequence[str] | None = None,
        language: str | Sequence[str] | None = None,
        sector: str | Sequence[str | None] | None = None,
    ) -> None:
        """Add vectors under ``ids``, replacing any stored under those ids.

        ``status``/``language``/``sector`` (one value for all rows, or one per row) set the
        filter columns; left ``None``, a new row gets the defaults (published, '', NULL) and
        an existing row keeps its values. The HNSW index is maintained as rows arrive."""
        ids = np.asarray(ids, dtype=np.int64)
        if len(ids) == 0:
            return
        vectors = np.ascontiguousarray(vectors, dtype=np.float32).reshape(len(ids), self.dimension)
        cols = {"status": status, "language": language, "sector": sector}
        given = [name for name, value in cols.items() if value is not None]
        rows = _rows(ids, vectors, self.kind, {n: cols[n] for n in given})
        names = ["id", "kind", *given, "embedding"]
        update = ["kind", *given, "embedding"]
        insert = sql.SQL(
            "INSERT INTO {t} ({cols}) VALUES ({ph}) ON CONFLICT (id) DO UPDATE SET {set}"
        ).format(
            t=self._t,
            cols=sql.SQL(", ").join(map(sql.Identifier, names)),
            ph=sql.SQL(", ").join(sql.Placeholder() * len(names)),
            set=sql.SQL(", ").join(
                sql.SQL("{c} = EXCLUDED.{c}").format(c=sql.Identifier(c)) for c in update
            ),
        )
        with self._lock, self._conn.transaction(), self._conn.cursor() as cur:
            cur.executemany(insert, rows)

    def set_attributes(
        self,
        ids: Collection[int] | np.ndarray,
        *,
        status: str | None = None,
        language: str | None = None,
        sector: str | None = None,
    ) -> None:
        """Change filter columns of stored rows without touching their vectors."""
        changes = {"status": status, "language": language, "sector": sector}
        given = {k: v for k, v in changes.items() if v is not None}
        if not given or len(ids) == 0:
            return
        q = sql.SQL("UPDATE {t} SET {set} WHERE id = ANY(%s)").format(
            t=self._t,
            set=sql.SQL(", ").join(sql.SQL("{c} = %s").format(c=sql.Identifier(c)) for c in given),
        )
        with self._lock:
            self._conn.execute(q, [*given.values(), [int(i) for i in ids]])

    def remove(self, ids: Collection[int] | np.ndarray) -> None:
        """Remove the rows of this kind stored under ``ids`` (unknown ids are ignored)."""
        if len(ids) == 0:
            return
        with self._lock:
            self._conn.execute(
                sql.SQL("DELETE FROM {t} WHERE kind = %s AND id = ANY(%s)").format(t=self._t),
                [self.kind, [int(i) for i in ids]],
            )

    def bulk_load(
        self,
        ids: np.ndarray,
        vectors: np.ndarray,
        *,
        status: str | Sequence[str] = "published",
        language: str | Sequence[str] = "",
        sector: str | Sequence[str | None] | None = None,
        maintenance_work_mem: str = "1GB",
    ) -> None:
        """Replace every row of this kind with ``ids``/``vectors`` and rebuild the HNSW index.

        Far faster than :meth:`upsert` for a whole pool (binary COPY, then one index build
        instead of one graph insertion per row). Locks: dropping the index and copying the
        rows hold the table exclusively (seconds: readers wait); the build then blocks
        writes only, and this kind's searches run exactly until it is done. Each kind has
        its own (partial) HNSW index, so the other kind's index stays in use.
        ``maintenance_work_mem`` should hold the graph (≈ 2 KB per 384-d row), else the
        build slows down many times."""
        ids = np.asarray(ids, dtype=np.int64)
        vectors = np.ascontiguousarray(vectors, dtype=np.float32).reshape(len(ids), self.dimension)
        cols = {"status": status, "language": language, "sector": sector}
        copy = sql.SQL(
            "COPY {t} (id, kind, status, language, sector, embedding) FROM STDIN (FORMAT BINARY)"
        ).format(t=self._t)
        with self._lock:
            self._conn.execute(
                sql.SQL("SET maintenance_work_mem = {v}").format(
                    v=sql.Literal(maintenance_work_mem)
                )
            )
            with self._conn.transaction():
                self._conn.execute(sql.SQL("DROP INDEX IF EXISTS {i}").format(i=self._hnsw))
                self._conn.execute(
                    sql.SQL("DELETE FROM {t} WHERE kind = %s").format(t=self._t), [self.kind]
                )
                with self._conn.cursor() as cur, cur.copy(copy) as out:
                    out.set_types(["int8", "text", "text", "text", "text", self._vector_oid])
                    for row in _rows(ids, vectors, self.kind, cols):
                        out.write_row(row)
            self._conn.execute(self._hnsw_ddl())  # outside: readers are not blocked
            self._conn.execute(sql.SQL("ANALYZE {t}").format(t=self._t))
            self._conn.execute("RESET maintenance_work_mem")

    def analyze(self) -> None:
        """Refresh the planner's statistics (autovacuum does so too) after many writes:
        planning uses them, and a stale estimate only costs speed (exact instead of HNSW, or
        HNSW followed by an exact retry), never results."""
        with self._lock:
            self._conn.execute(sql.SQL("ANALYZE {t}").format(t=self._t))

    # ----------------------------------------------------------------- reads
    def search(
        self,
        queries: np.ndarray,
        k: int,
        allowed: Collection[int] | np.ndarray | None = None,
        where: ColumnFilter = ANY_ROW,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Top-``k`` inner products per query row among this kind's rows passing ``where``
        and, when given, whose id is in ``allowed``; exact or HNSW as planned (module doc)."""
        queries = np.ascontiguousarray(np.atleast_2d(queries), dtype=np.float32)
        k = max(1, int(k))
        n = len(queries)
        scores = np.full((n, k), -np.inf, dtype=np.float32)
        out_ids = np.full((n, k), -1, dtype=np.int64)
        allowed_list = None if allowed is None else [int(i) for i in allowed]
        if allowed_list is not None and not allowed_list:
            return scores, out_ids
        clause, params = self._where(where, allowed_list)
        with self._lock:
            filtered = allowed_list is not None or where != ANY_ROW
            matching = self._estimate(clause, params) if filtered else self._kind_rows()
            plan = self._plan(matching, k)
            for row, query in enumerate(queries):
                found = self._query(query, k, clause, params, plan)
                if plan != "exact" and len(found) < min(k, matching):
                    found = self._query(query, k, clause, params, "exact")
                self.last_plan = plan if len(found) >= min(k, matching) else "exact"
                for col, (posting_id, score) in enumerate(found):
                    out_ids[row, col] = posting_id
                    scores[row, col] = score
        return scores, out_ids

    def _where(
        self, where: ColumnFilter, allowed: list[int] | None
    ) -> tuple[sql.Composable, list[Any]]:
        parts: list[sql.Composable] = [sql.SQL("kind = %s")]
        params: list[Any] = [self.kind]
        for column, values in (
            ("status", where.statuses),
            ("language", where.languages),
            ("sector", where.sectors),
        ):
            if values is not None:
                parts.append(sql.SQL("{c} = ANY(%s)").format(c=sql.Identifier(column)))
                params.append(sorted(values))
        if allowed is not None:
            parts.append(sql.SQL("id = ANY(%s)"))
            params.append(allowed)
        return sql.SQL(" AND ").join(parts), params

    def _estimate(self, clause: sql.Composable, params: list[Any]) -> int:
        """Rows passing ``clause``: the planner's estimate (statistics, no scan)."""
        q = sql.SQL("EXPLAIN (FORMAT JSON) SELECT 1 FROM {t} WHERE {w}").format(t=self._t, w=clause)
        row = self._conn.execute(q, params).fetchone()
        assert row is not None
        plan = row[0]
        if isinstance(plan, str):  # pragma: no cover - depends on the json loader
            import json

            plan = json.loads(plan)
        return int(plan[0]["Plan"]["Plan Rows"])

    def _kind_rows(self) -> int:
        """This kind's rows as the planner estimates them, re-read every ``STATS_TTL_S``."""
        now = time.monotonic()
        if self._total is None or now - self._total[1] > STATS_TTL_S:
            self._total = (self._estimate(sql.SQL("kind = %s"), [self.kind]), now)
        return self._total[0]

    def _plan(self, matching: int, k: int) -> str:
        """``"exact"`` or ``"hnsw"`` for a search that may return ``matching`` rows."""
        if matching <= self.exact_rows:
            return "exact"
        total = max(1, self._kind_rows())
        selectivity = min(1.0, matching / total)
        # the graph walk should meet ef_search (and at least 1.2·k) rows that pass the filter
        ef = math.ceil(max(self.ef_search, 1.2 * k) / selectivity)
        return "exact" if ef > MAX_EF_SEARCH else f"hnsw(ef={ef})"

    def _query(
        self, query: np.ndarray, k: int, clause: sql.Composable, params: list[Any], plan: str
    ) -> list[tuple[int, float]]:
        """One top-``k`` query under ``plan``'s settings, in one round trip (pipelined)."""
        q = sql.SQL(
            "SELECT id, embedding <#> %s AS distance FROM {t} WHERE {w} ORDER BY distance LIMIT %s"
        ).format(t=self._t, w=clause)
        settings: list[sql.SQL | sql.Composed] = [sql.SQL("SET LOCAL enable_indexscan = off")]
        if plan != "exact":
            ef = int(plan.removeprefix("hnsw(ef=").rstrip(")"))
            # only the HNSW walk: no seq scan and sort (the planner's pick for large LIMITs)
            settings = [
                sql.SQL("SET LOCAL hnsw.ef_search = {v}").format(v=ef),
                sql.SQL("SET LOCAL enable_seqscan = off"),
                sql.SQL("SET LOCAL enable_sort = off"),
            ]
        with self._conn.pipeline(), self._conn.transaction():
            for setting in settings:
                self._conn.execute(setting)
            rows = self._conn.execute(q, [query, *params, k]).fetchall()
        return [(int(i), -float(d)) for i, d in rows]


def _rows(
    ids: np.ndarray, vectors: np.ndarray, kind: str, cols: dict[str, Any]
) -> Iterator[list[Any]]:
    """Rows ``[id, kind, *cols in order, vector]``; a column is one value or one per row."""
    columns = [
        [value] * len(ids) if value is None or isinstance(value, str) else list(value)
        for value in cols.values()
    ]
    for row, posting_id in enumerate(ids):
        yield [int(posting_id), kind, *(c[row] for c in columns), vectors[row]]


def make_pgvector_index(url: str, kind: str, dimension: int = 384, **options: Any) -> PgVectorIndex:
    """The factory an engine uses for ``ann="pgvector"``: one index per kind over ``url``."""
    return PgVectorIndex(url, kind, dimension=dimension, **options)
