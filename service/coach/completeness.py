"""Missing facts a counterpart asks first.

Triggers (see ``docs/coach.md``):

- ``offer_trl`` / ``offer_ip_status`` / ``offer_transfer_mode``: an offer whose TRL, IP
  status or transfer modes field is empty.
- ``need_quantity``: a need whose text has no number with a unit of scale (tấn, TEU, ha,
  con, units, beds…, or an English plural noun: "45 reefer trucks", "18 pharmacies") and
  no word of scale (quy mô, công suất, capacity, a year, mỗi ngày…).
- ``need_place``: a need with no province and no known place, industrial park, district
  or city named in its text or its organization's name.
- ``need_budget``: a need whose text names no budget (ngân sách, kinh phí, budget) and no
  sum of money (tỷ đồng, triệu, VND, USD, $…).
- ``need_timeline``: a need whose text names no time frame (6 tháng, trong vòng, quý, năm
  2027, within, by, months, weeks, season…).

The text is matched case- and diacritics-folded, so "ngan sach" counts like "ngân sách".
"""

from __future__ import annotations

import re

from service.coach.draft import Draft, Hint
from service.coach.messages import message
from service.textutil import fold
from vocabulary.places import PLACES

_NUMBER = r"\d[\d.,]*\s*"
_UNITS = (
    r"(?:tan|tons?|tonnes?|kg|teu|feu|m3|m2|m³|m²|km|ha|hecta|lit|litres?|liters?|l|con|"
    r"chiec|cai|bo|may|xe|tau|container|cont|giuong|beds?|nguoi|lao dong|cbcnv|nhan vien|"
    r"staff|employees|workers|units?|pieces|pcs|trucks?|vessels?|ships?|boats?|moves|"
    r"san pham|don hang|orders|khach|guests|visitors|rooms?|phong|ao|ponds?|day chuyen|"
    r"lines?|diem|sites?|cua hang|stores?|shops?|kwh|kw|mw|kwp|mwp|hp|tb|cameras?|"
    r"sensors?|cam bien|thiet bi|devices?|meters?|dong ho|lo|mau|samples?|hoc vien|"
    r"students?|benh nhan|patients?|luot|calls?|cuoc goi|invoices?|hoa don|chung tu|"
    r"documents?|nha kho|warehouses?|ho|households?|thanh vien|members?|tau ca|farms?)"
)
_QUANTITY = re.compile(
    rf"{_NUMBER}{_UNITS}\b|\d[\d.,]*\s+(?:[a-z-]+\s+)?[a-z]+s\b|"
    r"\d[\d.,]*\s+(?:co so|hieu thuoc|nha thuoc|chi nhanh|ca|lo hang|me)\b"
)
_QUANTITY_WORDS = re.compile(
    r"\b(?:quy mo|cong suat|san luong|so luong|khoi luong|capacity|volume|quantity|"
    r"throughput|output of|per day|a day|a year|per year|a month|per month|moi ngay|moi nam|"
    r"moi thang|/ngay|/day|/nam|/year|/thang|/month)\b"
)
_PLACE_WORDS = re.compile(
    r"\b(?:kcn|ccn|khu cong nghiep|cum cong nghiep|khu kinh te|industrial (?:park|zone|estate)|"
    r"huyen|thanh pho|tp|province|district|city|port of)\b"
)
_BUDGET = re.compile(
    r"\b(?:ngan sach|kinh phi|von dau tu|budget|funding|spend up to|"
    rf"{_NUMBER}(?:ty|trieu|nghin|dong|vnd|usd|eur|billion|million|k)\b|"
    r"(?:usd|vnd|eur)\s*\d)|\$\s*\d"
)
_TIMELINE = re.compile(
    r"\b(?:\d+\s*(?:thang|tuan|nam|months?|weeks?|years?|quarters?)|"
    r"trong vong|truoc (?:thang|quy|nam|vu|tet|mua)|quy [1-4i]|vu (?:toi|sau|nuoi toi)|"
    r"nam (?:nay|toi|sau|20\d\d)|(?:in|by|before|from|early|late|mid)[- ]20\d\d|"
    r"within|deadline|timeline|next (?:season|year|quarter)|this year|asap|"
    r"as soon as possible|cang som cang tot|tien do|thoi han|thoi gian trien khai)\b"
)
_PUNCTUATION = re.compile(r"[^\w]+")
_PLACES = tuple(sorted({f" {fold(p)} " for p in PLACES}))


def _folded(draft: Draft) -> str:
    return " " + " ".join(fold(f"{draft.title} . {draft.description}").split()) + " "


def offer_hints(draft: Draft) -> list[Hint]:
    """Hints for the empty TRL, IP status and transfer-mode fields of an offer."""
    lang = draft.lang
    out = []
    if draft.trl is None:
        out.append(Hint("offer_trl", "trl", message("offer_trl", lang)))
    if not draft.ip_status:
        out.append(Hint("offer_ip_status", "ip_status", message("offer_ip_status", lang)))
    if not draft.transfer_modes:
        out.append(
            Hint("offer_transfer_mode", "transfer_modes", message("offer_transfer_mode", lang))
        )
    return out


def has_quantity(text: str) -> bool:
    """True when folded ``text`` states a scale: a number with a unit, or a scale word."""
    return bool(_QUANTITY.search(text) or _QUANTITY_WORDS.search(text))


def has_place(text: str, province: str | None) -> bool:
    """True when a province is given or folded ``text`` names a place."""
    if province:
        return True
    words = " " + " ".join(_PUNCTUATION.sub(" ", text).split()) + " "  # "Cát Bà," → " cat ba "
    return any(p in words for p in _PLACES) or bool(_PLACE_WORDS.search(words))


def has_budget(text: str) -> bool:
    """True when folded ``text`` names a budget or a sum of money."""
    return bool(_BUDGET.search(text))


def has_timeline(text: str) -> bool:
    """True when folded ``text`` names a time frame."""
    return bool(_TIMELINE.search(text))


def need_hints(draft: Draft) -> list[Hint]:
    """Hints for the quantity, place, budget and timeline a need does not state."""
    lang, text = draft.lang, _folded(draft)
    out = []
    if not has_quantity(text):
        out.append(Hint("need_quantity", "description", message("need_quantity", lang)))
    if not has_place(text + fold(draft.organization or "") + " ", draft.province):
        out.append(Hint("need_place", "province", message("need_place", lang)))
    if not has_budget(text):
        out.append(Hint("need_budget", "description", message("need_budget", lang)))
    if not has_timeline(text):
        out.append(Hint("need_timeline", "description", message("need_timeline", lang)))
    return out


def hints(draft: Draft) -> list[Hint]:
    """The completeness hints of ``draft`` (an offer's fields, a need's facts)."""
    return offer_hints(draft) if draft.kind == "offer" else need_hints(draft)
