"""A file row → the payload of a posting create: column names, lists, contact, sector.

Column names may be the API field names or common Vietnamese headers ("Tên công nghệ",
"Mô tả", "Lĩnh vực", …); unknown columns are ignored and reported. In CSV and XLSX,
``keywords`` and ``transfer_modes`` are separated by ``;`` or ``,``, the contact comes in
``contact_name``, ``contact_email`` and ``contact_phone`` columns, and ``sector`` may be a
code or its Vietnamese or English label.
"""

from __future__ import annotations

from typing import Any

from service.textutil import fold
from vocabulary import SECTORS

_ALIASES: dict[str, list[str]] = {
    "title": ["ten", "ten cong nghe", "ten nhu cau", "tieu de", "ten san pham", "ten giai phap"],
    "description": ["mo ta", "noi dung", "mo ta chi tiet", "tom tat"],
    "language": ["ngon ngu", "lang"],
    "sector": ["linh vuc", "nganh", "nganh nghe"],
    "keywords": ["tu khoa", "keyword"],
    "trl": ["muc do san sang", "muc do san sang cong nghe", "muc do hoan thien"],
    "ip_status": ["so huu tri tue", "tinh trang so huu tri tue", "ip"],
    "transfer_modes": ["hinh thuc chuyen giao", "transfer mode", "transfer_mode"],
    "province": ["tinh", "tinh thanh", "tinh thanh pho", "tinh/thanh pho", "dia phuong"],
    "organization": ["to chuc", "don vi", "co quan", "doanh nghiep", "organisation"],
    "contact_name": ["nguoi lien he", "lien he", "contact"],
    "contact_email": ["email", "e-mail", "thu dien tu"],
    "contact_phone": ["phone", "dien thoai", "so dien thoai", "sdt"],
    "status": ["trang thai"],
    "expires_on": ["han", "ngay het han", "het han", "expiry", "expiry_date", "expires"],
    "external_id": ["ma", "ma so", "ma gian hang", "gian hang", "booth", "id", "stt gian hang"],
}
_LIST_FIELDS = ("keywords", "transfer_modes")
_CONTACT = {"contact_name": "name", "contact_email": "email", "contact_phone": "phone"}
_SECTOR_LABELS = {
    fold(label): code for code, labels in SECTORS.items() for label in (code, *labels.values())
}
#: Longest column name looked up (longer ones cannot be a known header).
_HEADER_MAX = 80


def _header_key(name: str) -> str:
    return " ".join(fold(str(name)[:_HEADER_MAX]).replace("_", " ").replace("-", " ").split())


_HEADERS: dict[str, str] = {}
for _field, _names in _ALIASES.items():
    for _name in [_field, *_names]:
        _HEADERS[_header_key(_name)] = _field


def _split(value: Any) -> Any:
    if isinstance(value, str):
        return [
            p.strip() for p in value.replace("\n", ";").replace(",", ";").split(";") if p.strip()
        ]
    return value


def _as_int(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().isdecimal() and len(value.strip()) < 10:
        return int(value.strip())
    return value


def _flat_value(target: str, value: Any) -> Any:
    """A CSV/XLSX cell as the API expects it (``None``: an empty cell)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, str):
        value = value.strip()
    if target in _LIST_FIELDS:
        return _split(value if isinstance(value, str) else str(value))
    if target == "trl":
        return _as_int(value)
    if target == "expires_on" and hasattr(value, "date"):
        return value.date().isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if not isinstance(value, str):
        return str(value)
    return value


def normalize_row(raw: dict[Any, Any], flat: bool) -> tuple[dict[str, Any], list[str]]:
    """Map a file row to an API create payload; also return the columns it ignored.

    ``flat`` rows (CSV, XLSX) have their lists split and empty cells dropped.
    """
    out: dict[str, Any] = {}
    ignored: list[str] = []
    contact: dict[str, Any] = {}
    for column, value in raw.items():
        target = _HEADERS.get(_header_key(column)) if column is not None else None
        if target is None and column == "contact":
            target = "contact"
        if target is None:
            if column not in (None, "") and value not in (None, ""):
                ignored.append(str(column))
            continue
        if flat:
            value = _flat_value(target, value)
            if value is None:
                continue
        if target in _CONTACT:
            contact[_CONTACT[target]] = value if value is None else str(value)
            continue
        if target == "sector" and isinstance(value, str):
            value = _SECTOR_LABELS.get(fold(value[:_HEADER_MAX]), value)
        out[target] = value
    if contact:
        if isinstance(out.get("contact"), dict):
            contact = {**contact, **out["contact"]}
        out["contact"] = contact
    return out, ignored
