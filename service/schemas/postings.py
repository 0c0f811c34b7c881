"""Postings in and out: create, partial update, and the public representation.

Limits: title 1–200 characters, description 1–5000, at most 20 keywords of at most
60 characters, organization ≤ 200, province ≤ 100, TRL 1–9 (for a need: the lowest
level it accepts). Text is NFC-normalised and stripped; control characters are dropped.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
)

from service.schemas.common import DateText
from service.schemas.enums import IpStatus, Kind, Language, Status, TransferMode
from service.textutil import clean
from vocabulary import SECTORS, is_sector

TITLE_MAX = 200
DESCRIPTION_MAX = 5000
KEYWORDS_MAX = 20
KEYWORD_MAX = 60
ORGANIZATION_MAX = 200
PROVINCE_MAX = 100


def _line(value: str) -> str:
    value = clean(value)
    if not value:
        raise ValueError("must not be empty")
    return value


def _paragraphs(value: str) -> str:
    value = clean(value, multiline=True)
    if not value:
        raise ValueError("must not be empty")
    return value


def _sector(value: str) -> str:
    if not is_sector(value):
        raise ValueError(f"unknown sector {value!r}; the codes are listed at GET /api/v1/sectors")
    return value


def _unique(values: list[Any]) -> list[Any]:
    seen: set[str] = set()
    out = []
    for value in values:
        key = str(value).casefold()
        if key not in seen:
            seen.add(key)
            out.append(value)
    return out


#: Non-empty one-line texts of at most N characters (stripped, NFC, no control characters).
Line40 = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=40),
    AfterValidator(_line),
]
Line60 = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=60),
    AfterValidator(_line),
]
Line100 = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=100),
    AfterValidator(_line),
]
Line200 = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=200),
    AfterValidator(_line),
]
Line254 = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=254),
    AfterValidator(_line),
]

Title = Line200
Description = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=DESCRIPTION_MAX),
    AfterValidator(_paragraphs),
]
Keywords = Annotated[list[Line60], Field(max_length=KEYWORDS_MAX), AfterValidator(_unique)]
Sector = Annotated[
    str,
    AfterValidator(_sector),
    Field(json_schema_extra={"enum": list(SECTORS)}, description="Sector code (GET /sectors)."),
]
Trl = Annotated[
    int,
    Field(
        strict=True,
        ge=1,
        le=9,
        description="Technology readiness level 1–9; for a need the lowest level it accepts.",
    ),
]
TransferModes = Annotated[
    list[TransferMode], Field(max_length=len(TransferMode)), AfterValidator(_unique)
]


class Contact(BaseModel):
    """Who to call about a posting; shown only to its organization, moderators and admins."""

    model_config = ConfigDict(extra="forbid")

    name: Line200 | None = None
    email: (
        Annotated[
            Line254,
            Field(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$", description="An e-mail address."),
        ]
        | None
    ) = None
    phone: Annotated[Line40, Field(pattern=r"^[0-9+().\- ]{3,40}$")] | None = None


_NOT_NULL = ("title", "description", "status", "keywords", "transfer_modes")


class PostingFields(BaseModel):
    """Fields a client may set; every one optional (the base of create and update)."""

    model_config = ConfigDict(extra="forbid")

    title: Title | None = Field(None, description="1–200 characters.")
    description: Description | None = Field(None, description="1–5000 characters.")
    language: Language | None = Field(None, description="Detected from the text when absent.")
    sector: Sector | None = None
    keywords: Keywords | None = Field(None, description="At most 20, each ≤ 60 characters.")
    trl: Trl | None = None
    ip_status: IpStatus | None = None
    transfer_modes: TransferModes | None = None
    province: Line100 | None = None
    organization: Line200 | None = Field(
        None, description="Shown name; defaults to the key's organization."
    )
    contact: Contact | None = None
    status: Status | None = Field(None, description="draft, published (default) or archived.")
    expires_on: Annotated[date, DateText] | None = Field(
        None, description="Last day the posting is matched (YYYY-MM-DD)."
    )
    external_id: Line200 | None = Field(
        None,
        description="Your own unique reference (booth number, row id): imports with the "
        "same external_id update the posting instead of duplicating it.",
    )


class PostingCreate(PostingFields):
    """A new need or offer. ``title`` and ``description`` are required."""

    title: Title = Field(description="1–200 characters.")
    description: Description = Field(description="1–5000 characters.")
    keywords: Keywords = Field(default_factory=list, description="At most 20, each ≤ 60 chars.")
    transfer_modes: TransferModes = Field(default_factory=list)
    status: Status = Status.published


class PostingUpdate(PostingFields):
    """A partial update: only the fields present change; ``null`` clears an optional field."""

    @field_validator(*_NOT_NULL, mode="before")
    @classmethod
    def _not_null(cls, value: Any) -> Any:
        if value is None:
            raise ValueError("may not be null")
        return value


class HintOut(BaseModel):
    """One coach hint: what would make the posting easier to match (see docs/coach.md)."""

    code: str = Field(description="Stable hint code, e.g. need_budget or term_unused.")
    field: str = Field(description="The form field the hint is about.")
    message: str = Field(description="The advice, in the posting's language (vi or en).")
    terms: list[str] = Field(
        default_factory=list, description="Words the hint suggests using (may be empty)."
    )


class PostingOut(BaseModel):
    """A posting as the API shows it."""

    id: int
    kind: Kind
    title: str
    description: str
    language: Language
    sector: str | None
    keywords: list[str]
    trl: int | None
    ip_status: IpStatus | None
    transfer_modes: list[TransferMode]
    province: str | None
    organization: str | None
    contact: Contact | None = Field(
        description="Only for the posting's organization, moderators and admins; else null."
    )
    status: Status
    expires_on: date | None
    expired: bool = Field(description="True once expires_on has passed (no longer matched).")
    external_id: str | None
    owner_org: str = Field(description="The organization that owns (may edit) the posting.")
    created_at: datetime
    updated_at: datetime
    hints: list[HintOut] = Field(
        default_factory=list,
        description="Coach hints, filled in the answers of create and update only.",
    )


class HintsRequest(PostingFields):
    """An unsaved draft to check: its ``kind`` and any of the posting fields; ``id`` of
    the saved posting when editing one (then the reach hint reads its matches)."""

    kind: Kind
    id: Annotated[int, Field(ge=1, le=2**62)] | None = None


class HintsOut(BaseModel):
    """The coach's hints for a draft."""

    language: Language = Field(description="The language the messages are written in.")
    hints: list[HintOut]


class SectorOut(BaseModel):
    """A sector code with its Vietnamese and English labels."""

    code: str
    vi: str
    en: str
