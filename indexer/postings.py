"""The records the indexer works on: postings in, matches out.

The indexer knows nothing of HTTP or SQL. The service turns its database rows
into :class:`Posting` objects and hands them to :class:`indexer.engine.MatchEngine`.
Posting ids are unique across kinds (needs and offers share one id space).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from typing import Any

from vocabulary import KINDS, Kind, other_kind, pair_id

__all__ = ["KINDS", "Filters", "Kind", "Match", "Posting", "Reasons", "other_kind"]


@dataclass(frozen=True, slots=True)  # no __dict__: about 100 bytes a posting less
class Posting:
    """One technology need or offer as the indexer sees it.

    ``trl`` is the technology readiness level (1–9): for an offer the level it
    has reached, for a need the lowest level it accepts. ``language`` is
    ``"vi"``, ``"en"`` or ``"other"``; ``None`` means "detect it".
    """

    id: int
    kind: Kind
    title: str
    description: str
    keywords: tuple[str, ...] = ()
    sector: str | None = None
    trl: int | None = None
    language: str | None = None
    status: str = "published"

    def text(self) -> str:
        """Title, keywords and description as one text, in that order."""
        parts = [self.title.strip()]
        if self.keywords:
            parts.append(", ".join(k.strip() for k in self.keywords if k.strip()))
        parts.append(self.description.strip())
        return ". ".join(p for p in parts if p)

    def content_hash(self) -> str:
        """Hash of everything that changes the posting's vectors or tokens."""
        payload = json.dumps(
            [self.title, self.description, list(self.keywords), self.language],
            ensure_ascii=False,
        )
        return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:32]

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Posting:
        """Build a posting from a plain dict (JSONL row, API payload)."""
        keywords = data.get("keywords") or ()
        if isinstance(keywords, str):
            keywords = tuple(k.strip() for k in keywords.replace(";", ",").split(",") if k.strip())
        trl = data.get("trl")
        return cls(
            id=int(data["id"]),
            kind=data["kind"],
            title=str(data.get("title") or ""),
            description=str(data.get("description") or ""),
            keywords=tuple(keywords),
            sector=data.get("sector") or None,
            trl=int(trl) if trl not in (None, "") else None,
            language=data.get("language") or None,
            status=data.get("status") or "published",
        )


@dataclass(frozen=True)
class Filters:
    """Restrictions on the candidates a search may return (``None`` = any)."""

    sectors: frozenset[str] | None = None
    languages: frozenset[str] | None = None
    statuses: frozenset[str] | None = frozenset({"published"})
    ids: frozenset[int] | None = None

    def accepts(self, posting: Posting) -> bool:
        """True when ``posting`` passes every restriction."""
        if self.sectors is not None and posting.sector not in self.sectors:
            return False
        if self.languages is not None and posting.language not in self.languages:
            return False
        if self.statuses is not None and posting.status not in self.statuses:
            return False
        return self.ids is None or posting.id in self.ids


@dataclass
class Reasons:
    """Why a pair was suggested, in a form a moderator can check in seconds."""

    shared_terms: list[str] = field(default_factory=list)
    need_terms: list[str] = field(default_factory=list)
    offer_terms: list[str] = field(default_factory=list)
    linked_terms: list[dict[str, Any]] = field(default_factory=list)
    aligned_sentences: list[dict[str, Any]] = field(default_factory=list)
    agreements: list[str] = field(default_factory=list)
    disagreements: list[str] = field(default_factory=list)
    language_pair: str = ""

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready dict."""
        return asdict(self)


@dataclass
class Match:
    """A scored need–offer pair. ``score`` is in [0, 1]."""

    need_id: int
    offer_id: int
    score: float
    recommended: bool
    components: dict[str, float]
    reasons: Reasons

    @property
    def pair_id(self) -> str:
        """Stable identifier of the pair, independent of scores."""
        return pair_id(self.need_id, self.offer_id)

    def counterpart(self, kind: Kind) -> int:
        """The id on the other side from a posting of ``kind``."""
        return self.offer_id if kind == "need" else self.need_id

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready dict."""
        return {
            "pair_id": self.pair_id,
            "need_id": self.need_id,
            "offer_id": self.offer_id,
            "score": round(self.score, 4),
            "recommended": self.recommended,
            "components": {k: round(v, 4) for k, v in self.components.items()},
            "reasons": self.reasons.to_dict(),
        }
