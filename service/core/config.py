"""Service settings, read from the environment with the prefix ``TECHMATCH_``."""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

MIB = 1024 * 1024


class HiddenUrl(str):
    """A database URL whose text (``str``, JSON, repr) has the password replaced by ``***``;
    :meth:`get_secret_value` gives the URL to connect with (the engine calls it)."""

    _secret: str

    def __new__(cls, url: str) -> HiddenUrl:
        if isinstance(url, HiddenUrl):
            url = url.get_secret_value()
        shown = super().__new__(cls, re.sub(r"(://[^:/@]+:)[^@]*@", r"\1***@", url))
        shown._secret = url
        return shown

    def get_secret_value(self) -> str:
        """The URL with its password."""
        return self._secret


class EngineSettings(BaseModel):
    """How the match engine indexes and ranks; ``TECHMATCH_ENGINE__<FIELD>`` sets each.

    The defaults are the engine's own (measured on the development set); the bridge
    (:func:`service.matching.engine_config`) turns these into the engine's configuration.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    ann: Literal["flat", "auto", "pgvector"] = Field(
        default="flat",
        description="Vector index: flat (exact), auto (exact below ann_threshold, IVF above) "
        "or pgvector (HNSW in PostgreSQL at pgvector_url, shared by every worker).",
    )
    ann_threshold: int = Field(default=50_000, ge=1, description="Pool size where auto uses IVF.")
    pgvector_url: str | None = Field(
        default=None,
        description="PostgreSQL URL of the pgvector store (ann=pgvector); default: the "
        "service's database_url when it is PostgreSQL. Shown (/health, logs) without its "
        "password.",
    )

    @field_validator("pgvector_url", mode="after")
    @classmethod
    def _hide_password(cls, url: str | None) -> str | None:
        return None if url is None else HiddenUrl(url)

    lexical_background_above: int = Field(
        default=20_000, ge=0, description="Pool size from which BM25 is rebuilt in the background."
    )
    bias_correction: Literal["none", "center", "center+z"] = Field(
        default="center+z", description="Same-language bias correction of the dense scores."
    )
    alignment_strength: float = Field(
        default=0.5,
        ge=0.0,
        le=1.0,
        description="VI→EN map after centering, shrunk toward the identity (0: centering alone).",
    )
    fitted_fusion: bool = Field(
        default=True,
        description="Rank with the fusion fitted on the dev set's tuning part "
        "(indexer/resources/fusion.json); false: the hand-set fusion and its threshold.",
    )
    candidates: int = Field(default=100, ge=1, le=10_000, description="Candidates per search.")
    reciprocal_candidates: int = Field(
        default=20, ge=1, le=1_000, description="Search depth of an offer's best need."
    )
    batch_size: int = Field(default=32, ge=1, le=4096, description="Texts per embedding batch.")


class Settings(BaseSettings):
    """Everything the service needs to start; every field has a ``TECHMATCH_*`` variable.

    ``data_dir`` holds the SQLite file, the persisted index and the model cache unless
    ``database_url`` (PostgreSQL) or ``model_cache`` say otherwise.
    """

    model_config = SettingsConfigDict(
        env_prefix="TECHMATCH_", env_file=None, extra="ignore", env_nested_delimiter="__"
    )

    data_dir: Path = Field(
        default=Path("./techmatch-data"), description="SQLite file, index, models."
    )
    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL, e.g. postgresql+psycopg://user@host/db; "
        "default: SQLite file <data_dir>/techmatch.db.",
    )
    model: str = Field(default="multilingual-e5-small", description="Embedding model name.")
    model_cache: Path | None = Field(
        default=None, description="Model cache dir; default <data_dir>/models."
    )
    model_backend: str | None = Field(
        default=None,
        description="How the model runs (see models/README.md); checked when the model loads. "
        "Default: auto (the fastest faithful backend measured on this CPU) for the built-in "
        "model, torch for a local folder.",
    )
    engine: EngineSettings = Field(
        default_factory=EngineSettings, description="Match engine settings (TECHMATCH_ENGINE__*)."
    )
    admin_key: SecretStr | None = Field(
        default=None, description="Extra key accepted as an admin key."
    )
    max_body_bytes: int = Field(default=MIB, description="Largest JSON request body (413 above).")
    max_import_bytes: int = Field(
        default=10 * MIB, description="Largest import upload (413 above)."
    )
    index_save_delay: float = Field(
        default=2.0, description="Seconds between a write and the index save."
    )
    secret_key: SecretStr | None = Field(
        default=None,
        description="Signs the web pages' session cookies; default: a random secret "
        "generated once and kept in <data_dir>/secret_key.",
        repr=False,
    )
    max_import_rows: int = Field(
        default=10_000, ge=1, description="Most data rows in one import (413 above)."
    )
    max_import_xlsx_bytes: int = Field(
        default=50 * MIB,
        ge=1,
        description="Largest total uncompressed size of an XLSX upload's parts, checked "
        "before the file is opened (413 above).",
    )
    import_sync_rows: int = Field(
        default=500,
        ge=0,
        description="Imports with more rows run as a background job (202 and a job id).",
    )
    max_postings_per_organization: int = Field(
        default=5000,
        ge=0,
        description="Most postings one organization may own (409 above); 0 = no limit.",
    )
    smtp_url: str | None = Field(
        default=None,
        description="SMTP server for the agenda e-mails, e.g. smtp://127.0.0.1:8025 or "
        "smtps://user:password@mail.example.org:465 (?starttls=1); unset: nothing is sent.",
        repr=False,
    )
    smtp_from: str = Field(
        default="techmatch <techmatch@localhost>", description="Sender of the agenda e-mails."
    )
    smtp_retry_seconds: float = Field(
        default=30.0, gt=0, description="Wait before the first retry (doubles each time)."
    )
    smtp_attempts: int = Field(default=6, ge=1, description="Tries before an e-mail fails.")

    workers: int = Field(
        default=1,
        ge=1,
        description="Worker processes of this server (set by `techmatch serve --workers N`); "
        "they share the cores (see worker_threads).",
    )
    worker_threads: int = Field(
        default=0,
        ge=0,
        description="Native threads per worker for FAISS's large searches and torch; "
        "0: the cores this process may use // workers (at least 1). /health shows it.",
    )
    blas_threads: int = Field(
        default=1,
        ge=0,
        description="Threads of numpy's BLAS per worker; 0: the same as worker_threads. "
        "A request's matrices are small, where BLAS threads cost more CPU than they save.",
    )

    auth_failures_per_address: str = Field(
        default="100/minute",
        description="Most failed authentications (bad API keys, bad sign-ins) from one "
        "client address, as a `limits` string such as `100/minute`; more get 429 with "
        "Retry-After. `off` turns it off.",
    )
    auth_failures_per_key_prefix: str = Field(
        default="30/minute",
        description="Most failed authentications with keys sharing their first 10 "
        "characters (429 with Retry-After above); `off` turns it off.",
    )

    @model_validator(mode="after")
    def _pgvector_url(self) -> Settings:
        """``ann=pgvector`` without its own URL uses the service's PostgreSQL database; on
        SQLite that is an error saying what to set (English and Vietnamese)."""
        if self.engine.ann != "pgvector" or self.engine.pgvector_url:
            return self
        url = self.database_url or ""
        if not url.startswith("postgresql"):
            raise ValueError(
                "TECHMATCH_ENGINE__ANN=pgvector needs PostgreSQL with the pgvector extension: "
                "set TECHMATCH_ENGINE__PGVECTOR_URL, or TECHMATCH_DATABASE_URL to such a "
                "database (the service runs on SQLite now). / TECHMATCH_ENGINE__ANN=pgvector "
                "cần PostgreSQL có tiện ích pgvector: hãy đặt TECHMATCH_ENGINE__PGVECTOR_URL, "
                "hoặc TECHMATCH_DATABASE_URL trỏ tới cơ sở dữ liệu như vậy (dịch vụ đang "
                "chạy trên SQLite)."
            )
        self.engine = self.engine.model_copy(update={"pgvector_url": HiddenUrl(url)})
        return self

    @property
    def sqlalchemy_url(self) -> str:
        """The database URL to connect to (SQLite in ``data_dir`` when none is set)."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'techmatch.db').resolve()}"

    @property
    def index_dir(self) -> Path:
        """Where the match index is persisted."""
        return self.data_dir / "index"

    @property
    def model_cache_dir(self) -> Path:
        """Where models are built and cached."""
        return self.model_cache if self.model_cache is not None else self.data_dir / "models"


@lru_cache
def get_settings() -> Settings:
    """Settings read once from the environment."""
    return Settings()
