"""The closed vocabularies of a posting (documented in the OpenAPI schema)."""

from __future__ import annotations

from enum import StrEnum


class Kind(StrEnum):
    """Need (a company's problem) or offer (an institute's technology)."""

    need = "need"
    offer = "offer"


class Language(StrEnum):
    """Language of a posting; detected from its text when not given."""

    vi = "vi"
    en = "en"
    other = "other"


class Status(StrEnum):
    """Only ``published`` postings are matched and visible to every key."""

    draft = "draft"
    published = "published"
    archived = "archived"


class IpStatus(StrEnum):
    """Intellectual-property status of the technology."""

    patent_granted = "patent_granted"
    patent_pending = "patent_pending"
    utility_solution = "utility_solution"
    know_how = "know_how"
    copyright = "copyright"
    none = "none"


class TransferMode(StrEnum):
    """How a technology changes hands."""

    licence = "licence"
    sale = "sale"
    joint_development = "joint_development"
    consulting = "consulting"
    technical_service = "technical_service"
    training = "training"
    other = "other"
