"""The posting form: what the user typed ↔ the API payload, and the schema's validation
errors as messages next to each field."""

from __future__ import annotations

import re
from typing import Any

from pydantic import ValidationError
from starlette.datastructures import FormData

from service.coach import Draft, Hint
from service.db.models import PostingRow
from service.schemas.enums import IpStatus, Status, TransferMode
from service.web.i18n import translate

FORM_TEXT = ("title", "description", "province", "organization", "expires_on")


def form_values(form: FormData) -> dict[str, Any]:
    """What the form shows again: the raw strings the user typed."""
    values: dict[str, Any] = {name: str(form.get(name) or "") for name in FORM_TEXT}
    for name in ("sector", "keywords", "trl", "ip_status", "status"):
        values[name] = str(form.get(name) or "")
    for name in ("contact_name", "contact_email", "contact_phone"):
        values[name] = str(form.get(name) or "")
    values["transfer_modes"] = [str(v) for v in form.getlist("transfer_modes")]
    return values


def payload(values: dict[str, Any], partial: bool) -> dict[str, Any]:
    """The API payload of the form's values (``partial``: an update that sets every field)."""
    data: dict[str, Any] = {"title": values["title"], "description": values["description"]}
    for name in ("sector", "ip_status", "province", "organization", "expires_on"):
        data[name] = values[name].strip() or None
    keywords = [k.strip() for k in re.split(r"[,;\n]", values["keywords"]) if k.strip()]
    data["keywords"] = keywords
    trl = values["trl"].strip()
    data["trl"] = int(trl) if trl.isdigit() else (trl or None)
    data["transfer_modes"] = values["transfer_modes"]
    contact = {key: values[f"contact_{key}"].strip() or None for key in ("name", "email", "phone")}
    data["contact"] = {k: v for k, v in contact.items() if v} or None
    data["status"] = values["status"] or "published"
    if not partial:
        data = {k: v for k, v in data.items() if v is not None}
    return data


def field_errors(exc: ValidationError, lang: str) -> dict[str, str]:
    """Form field → message, from the schema's validation errors."""
    out: dict[str, str] = {}
    for error in exc.errors():
        loc = [str(p) for p in error.get("loc", ())]
        if not loc:
            continue
        field = loc[0]
        if field == "contact" and len(loc) > 1:
            field = f"contact_{loc[1]}"
        kind = error.get("type", "")
        ctx = error.get("ctx") or {}
        if kind in ("missing", "string_too_short") or (
            kind == "value_error" and "must not be empty" in str(error.get("msg"))
        ):
            message = translate("form.required", lang)
        elif kind == "string_too_long" or kind == "too_long":
            message = translate("form.too_long", lang, max=ctx.get("max_length", "?"))
        elif kind == "string_pattern_mismatch":
            message = translate("form.bad_format", lang)
        else:
            message = str(error.get("msg", ""))
        out.setdefault(field, message)
    return out


def form_context(
    kind: str,
    values: dict[str, Any],
    errors: dict[str, str],
    hints: list[Hint] | None = None,
) -> dict[str, Any]:
    """The template context of the posting form (``hints``: the coach's, by field)."""
    return {
        "kind": kind,
        "values": values,
        "errors": errors,
        "hints": hints_by_field(hints or []),
        "hint_count": len(hints or []),
        "ip_statuses": [s.value for s in IpStatus],
        "transfer_modes": [m.value for m in TransferMode],
        "statuses": [s.value for s in Status],
    }


#: Form fields a hint may sit next to; any other field's hints go under the description.
HINT_FIELDS = ("title", "description", "keywords", "trl", "ip_status", "province", "transfer_modes")


def hints_by_field(hints: list[Hint]) -> dict[str, list[dict[str, Any]]]:
    """``{form field: [hint dict, …]}`` in the coach's order."""
    out: dict[str, list[dict[str, Any]]] = {}
    for hint in hints:
        field = hint.field if hint.field in HINT_FIELDS else "description"
        out.setdefault(field, []).append(hint.to_dict())
    return out


def draft_of(kind: str, values: dict[str, Any], posting_id: int | None = None) -> Draft:
    """The coach's draft of what the form holds (unparsable fields left empty)."""
    data = payload(values, partial=False)
    if not isinstance(data.get("trl"), int):
        data.pop("trl", None)
    return Draft.of_dict(kind, data, posting_id)


def empty_values() -> dict[str, Any]:
    """The values of a blank form."""
    values: dict[str, Any] = {name: "" for name in FORM_TEXT}
    values.update(
        {
            "sector": "",
            "keywords": "",
            "trl": "",
            "ip_status": "",
            "status": "published",
            "contact_name": "",
            "contact_email": "",
            "contact_phone": "",
            "transfer_modes": [],
        }
    )
    return values


def row_values(row: PostingRow) -> dict[str, Any]:
    """The values of a form that edits ``row``."""
    contact = row.contact or {}
    return {
        "title": row.title,
        "description": row.description,
        "province": row.province or "",
        "organization": row.organization or "",
        "expires_on": row.expires_on.isoformat() if row.expires_on else "",
        "sector": row.sector or "",
        "keywords": ", ".join(row.keywords or []),
        "trl": str(row.trl) if row.trl else "",
        "ip_status": row.ip_status or "",
        "status": row.status,
        "contact_name": contact.get("name") or "",
        "contact_email": contact.get("email") or "",
        "contact_phone": contact.get("phone") or "",
        "transfer_modes": list(row.transfer_modes or []),
    }
