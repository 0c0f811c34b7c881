"""The documented list of sectors, with Vietnamese and English labels.

A posting's ``sector`` is one of the codes below. Related sectors earn part of
the sector agreement signal in ranking (a shipyard need may be met by a
port-logistics offer, an aquaculture need by a food-processing offer).
"""

from __future__ import annotations

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

_RELATED: set[frozenset[str]] = {
    frozenset(p)
    for p in [
        ("ports_logistics", "shipbuilding_marine"),
        ("ports_logistics", "software_ict"),
        ("shipbuilding_marine", "automation_manufacturing"),
        ("shipbuilding_marine", "materials_chemistry"),
        ("aquaculture_fisheries", "agriculture_food"),
        ("aquaculture_fisheries", "environment"),
        ("agriculture_food", "ocop_products"),
        ("ocop_products", "tourism"),
        ("electronics", "automation_manufacturing"),
        ("electronics", "software_ict"),
        ("electronics", "energy"),
        ("automation_manufacturing", "software_ict"),
        ("environment", "energy"),
        ("environment", "materials_chemistry"),
        ("construction", "materials_chemistry"),
        ("construction", "energy"),
        ("health", "software_ict"),
        ("health", "agriculture_food"),
        ("tourism", "software_ict"),
        ("education", "software_ict"),
    ]
}


def is_sector(code: str) -> bool:
    """True when ``code`` is one of the documented sector codes."""
    return code in SECTORS


def sector_label(code: str, lang: str = "en") -> str:
    """The human label of a sector code in ``lang`` ("vi" or "en")."""
    return SECTORS.get(code, SECTORS["other"])["vi" if lang == "vi" else "en"]


def sector_affinity(a: str | None, b: str | None) -> float | None:
    """1.0 same sector, 0.5 related, 0.0 unrelated; ``None`` when either is unknown."""
    if not a or not b or a == "other" or b == "other":
        return None
    if a == b:
        return 1.0
    return 0.5 if frozenset((a, b)) in _RELATED else 0.0
