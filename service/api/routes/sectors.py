"""``GET /sectors``: the documented sector codes with Vietnamese and English labels."""

from __future__ import annotations

from fastapi import APIRouter

from service.schemas.postings import SectorOut
from vocabulary import SECTORS

router = APIRouter(tags=["reference"])


@router.get("/sectors", response_model=list[SectorOut], summary="Sector codes (no key needed)")
def sectors() -> list[SectorOut]:
    """Every sector code a posting may carry, with its labels."""
    return [
        SectorOut(code=code, vi=labels["vi"], en=labels["en"]) for code, labels in SECTORS.items()
    ]
