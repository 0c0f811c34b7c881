"""Which sectors are related, for the sector agreement signal in ranking.

The codes and their labels are shared vocabulary (:mod:`vocabulary`). Related sectors earn
part of the sector agreement signal (a shipyard need may be met by a port-logistics offer,
an aquaculture need by a food-processing offer).
"""

from __future__ import annotations

from vocabulary import SECTORS, is_sector, sector_label

__all__ = ["SECTORS", "is_sector", "sector_affinity", "sector_label", "sector_relation"]

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


AFFINITY = {"same": 1.0, "related": 0.5, "different": 0.0}


def sector_relation(a: str | None, b: str | None) -> str | None:
    """``"same"``, ``"related"`` or ``"different"``; ``None`` when either is missing."""
    if not a or not b:
        return None
    if a == b:
        return "same"
    return "related" if frozenset((a, b)) in _RELATED else "different"


def sector_affinity(a: str | None, b: str | None) -> float | None:
    """1.0 same sector, 0.5 related, 0.0 unrelated; ``None`` when either is unknown
    (missing or ``"other"``): the sector signal of the fused score."""
    if a == "other" or b == "other":
        return None
    relation = sector_relation(a, b)
    return None if relation is None else AFFINITY[relation]
