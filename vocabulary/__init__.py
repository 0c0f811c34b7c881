"""The words every layer shares: posting kinds, the pair-id format and the sector codes.

``models``, ``indexer`` and ``service`` may all import this package; it imports nothing
of theirs. Ranking rules (which sectors are related, how TRLs compare) are not here: they
belong to the indexer.
"""

from __future__ import annotations

import re
from typing import Literal

Kind = Literal["need", "offer"]
KINDS: tuple[Kind, ...] = ("need", "offer")


def other_kind(kind: Kind) -> Kind:
    """The kind a posting is matched against: needs ↔ offers."""
    return "offer" if kind == "need" else "need"


_PAIR_ID = re.compile(r"^([0-9]{1,18})-([0-9]{1,18})$")


def pair_id(need_id: int, offer_id: int) -> str:
    """The stable id of a need–offer pair: ``"<need_id>-<offer_id>"``."""
    return f"{need_id}-{offer_id}"


def parse_pair_id(value: str) -> tuple[int, int]:
    """``(need_id, offer_id)`` of ``"NEEDID-OFFERID"``; ``ValueError`` unless both ids are
    positive integers of at most 18 digits."""
    found = _PAIR_ID.match(value)
    if found is None or int(found.group(1)) < 1 or int(found.group(2)) < 1:
        raise ValueError("pair_id must look like '<need_id>-<offer_id>' with positive integer ids")
    return int(found.group(1)), int(found.group(2))


SECTORS: dict[str, dict[str, str]] = {
    "ports_logistics": {"vi": "Cảng biển và logistics", "en": "Ports and logistics"},
    "shipbuilding_marine": {"vi": "Đóng tàu và hàng hải", "en": "Shipbuilding and marine"},
    "aquaculture_fisheries": {
        "vi": "Nuôi trồng và khai thác thủy sản",
        "en": "Aquaculture and fisheries",
    },
    "agriculture_food": {"vi": "Nông nghiệp và thực phẩm", "en": "Agriculture and food"},
    "ocop_products": {"vi": "Sản phẩm OCOP", "en": "OCOP products"},
    "electronics": {"vi": "Điện tử", "en": "Electronics"},
    "automation_manufacturing": {
        "vi": "Tự động hóa và chế tạo",
        "en": "Automation and manufacturing",
    },
    "environment": {"vi": "Môi trường", "en": "Environment"},
    "energy": {"vi": "Năng lượng", "en": "Energy"},
    "health": {"vi": "Y tế và dược", "en": "Health and pharmaceuticals"},
    "tourism": {"vi": "Du lịch", "en": "Tourism"},
    "software_ict": {"vi": "Phần mềm và công nghệ thông tin", "en": "Software and ICT"},
    "materials_chemistry": {"vi": "Vật liệu và hóa chất", "en": "Materials and chemistry"},
    "construction": {"vi": "Xây dựng", "en": "Construction"},
    "education": {"vi": "Giáo dục và đào tạo", "en": "Education and training"},
    "other": {"vi": "Khác", "en": "Other"},
}


def is_sector(code: str) -> bool:
    """True when ``code`` is one of the documented sector codes."""
    return code in SECTORS


def sector_label(code: str, lang: str = "en") -> str:
    """The human label of a sector code in ``lang`` ("vi" or "en")."""
    return SECTORS.get(code, SECTORS["other"])["vi" if lang == "vi" else "en"]
