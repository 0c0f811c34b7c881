"""What the coach reads (a posting, saved or not) and what it answers (hints)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from service.db.models import PostingRow
from service.matching import Posting, detect_language


@dataclass(frozen=True)
class Hint:
    """One piece of advice: a stable ``code``, the form ``field`` it is about, the
    ``message`` in the posting's language and the ``terms`` it names (words to use)."""

    code: str
    field: str
    message: str
    terms: list[str] = dataclasses.field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready dict."""
        return {
            "code": self.code,
            "field": self.field,
            "message": self.message,
            "terms": self.terms,
        }


@dataclass(frozen=True)
class Draft:
    """A need or offer as the poster wrote it. ``id`` is set for a saved posting (the
    reach rule reads its matches); ``language`` is detected when ``None``."""

    kind: str
    title: str
    description: str
    keywords: tuple[str, ...] = ()
    sector: str | None = None
    trl: int | None = None
    ip_status: str | None = None
    transfer_modes: tuple[str, ...] = ()
    province: str | None = None
    organization: str | None = None
    language: str | None = None
    id: int | None = None

    @property
    def lang(self) -> str:
        """The language of the messages: ``vi`` for a Vietnamese posting, else ``en``."""
        language = self.language or detect_language(f"{self.title}\n{self.description}")
        return "vi" if language == "vi" else "en"

    @property
    def text(self) -> str:
        """Title, keywords and description as one text."""
        return ". ".join(p for p in (self.title, ", ".join(self.keywords), self.description) if p)

    def posting(self) -> Posting:
        """The indexer's view of the draft (id 0 when unsaved)."""
        return Posting(
            id=self.id or 0,
            kind=self.kind,  # type: ignore[arg-type]
            title=self.title,
            description=self.description,
            keywords=self.keywords,
            sector=self.sector,
            trl=self.trl,
            language=self.language,
        )

    @classmethod
    def of_row(cls, row: PostingRow) -> Draft:
        """The draft of a stored posting."""
        return cls(
            kind=row.kind,
            title=row.title,
            description=row.description,
            keywords=tuple(row.keywords or ()),
            sector=row.sector,
            trl=row.trl,
            ip_status=row.ip_status,
            transfer_modes=tuple(row.transfer_modes or ()),
            province=row.province,
            organization=row.organization,
            language=row.language,
            id=row.id,
        )

    @classmethod
    def of_dict(cls, kind: str, data: dict[str, Any], posting_id: int | None = None) -> Draft:
        """The draft of an API payload or a JSONL row (missing fields empty)."""
        keywords = data.get("keywords") or ()
        trl = data.get("trl")
        return cls(
            kind=kind,
            title=str(data.get("title") or ""),
            description=str(data.get("description") or ""),
            keywords=tuple(str(k) for k in keywords),
            sector=data.get("sector") or None,
            trl=int(trl) if trl not in (None, "") else None,
            ip_status=data.get("ip_status") or None,
            transfer_modes=tuple(str(m) for m in data.get("transfer_modes") or ()),
            province=data.get("province") or None,
            organization=data.get("organization") or None,
            language=data.get("language") if data.get("language") in ("vi", "en") else None,
            id=posting_id,
        )
