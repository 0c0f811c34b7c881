"""Service settings, read from the environment with the prefix ``TECHMATCH_``."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

MIB = 1024 * 1024


class Settings(BaseSettings):
    """Everything the service needs to start; every field has a ``TECHMATCH_*`` variable.

    ``data_dir`` holds the SQLite file, the persisted index and the model cache unless
    ``database_url`` (PostgreSQL) or ``model_cache`` say otherwise.
    """

    model_config = SettingsConfigDict(env_prefix="TECHMATCH_", env_file=None, extra="ignore")

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
