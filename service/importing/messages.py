"""Row errors in Vietnamese or English, and the language an import answers in.

The ``type`` and ``loc`` of an error never change with the language; only ``msg`` does.
English messages are pydantic's own (as the JSON API gives them for single postings).
"""

from __future__ import annotations

import string
from typing import Any

from pydantic import ValidationError

from service.importing.limits import MAX_ERRORS_PER_ROW, MAX_TEXT

LANGUAGES = ("vi", "en")
DEFAULT_LANGUAGE = "en"

#: Problems a reader finds in one row: key → (Vietnamese, English).
PROBLEMS: dict[str, tuple[str, str]] = {
    "json_invalid": ("Dòng không phải JSON hợp lệ: {detail}.", "invalid JSON: {detail}"),
    "json_not_object": (
        "Mỗi dòng phải chứa đúng một đối tượng JSON {{…}}.",
        "a line must hold one JSON object",
    ),
    "json_too_deep": (
        "JSON lồng nhau quá sâu, không đọc được.",
        "invalid JSON: nested too deeply to read",
    ),
    "json_number": (
        "Dòng có một số quá dài, không đọc được.",
        "invalid JSON: a number too long to read",
    ),
    "line_not_utf8": (
        "Dòng không phải UTF-8 (byte 0x{byte} ở vị trí {column}).",
        "the line is not valid UTF-8 (byte 0x{byte} at column {column})",
    ),
    "db_error": (
        "Không lưu được dòng này ({detail}); hãy thử nhập lại.",
        "could not store the row ({detail}); import it again",
    ),
}

_REQUIRED = "Bắt buộc, không được để trống."
_DATE = "Ngày không hợp lệ; hãy ghi dạng NNNN-TT-NN, ví dụ 2026-12-31."
_INTEGER = "Phải là một số nguyên."
_OBJECT = "Phải là một đối tượng JSON."
#: pydantic error type → Vietnamese message (``{name}`` from the error's context).
_VIETNAMESE: dict[str, str] = {
    "missing": _REQUIRED,
    "string_too_short": _REQUIRED,
    "string_too_long": "Quá dài: tối đa {max_length} ký tự.",
    "too_long": "Quá nhiều mục: tối đa {max_length}.",
    "int_type": _INTEGER,
    "int_parsing": _INTEGER,
    "int_from_float": _INTEGER,
    "greater_than_equal": "Phải lớn hơn hoặc bằng {ge}.",
    "less_than_equal": "Phải nhỏ hơn hoặc bằng {le}.",
    "enum": "Giá trị không hợp lệ; hãy chọn một trong: {expected}.",
    "literal_error": "Giá trị không hợp lệ; hãy chọn một trong: {expected}.",
    "string_pattern_mismatch": "Sai định dạng.",
    "date_parsing": _DATE,
    "date_from_datetime_parsing": _DATE,
    "date_from_datetime_inexact": _DATE,
    "date_type": _DATE,
    "string_type": "Phải là văn bản.",
    "list_type": "Phải là một danh sách.",
    "model_attributes_type": _OBJECT,
    "model_type": _OBJECT,
    "dict_type": _OBJECT,
    "extra_forbidden": "Trường này không được phép.",
    "string_unicode": "Văn bản có ký tự không hợp lệ.",
}


def request_language(lang: str | None, accept_language: str | None = None) -> str:
    """``vi`` or ``en``: ``lang`` when given, else the best of ``Accept-Language``."""
    if lang in LANGUAGES:
        return str(lang)
    ranked: list[tuple[float, int, str]] = []
    for index, part in enumerate((accept_language or "").split(",")[:20]):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        primary = tag.strip().split("-")[0].lower()
        if primary in LANGUAGES and quality > 0:
            ranked.append((-quality, index, primary))
    return sorted(ranked)[0][2] if ranked else DEFAULT_LANGUAGE


def safe_text(value: object, limit: int = MAX_TEXT) -> str:
    """``value`` as text that any JSON encoder and CSV writer takes, at most ``limit`` long."""
    text = str(value)
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return text.encode("utf-8", "replace").decode("utf-8")


def problem(key: str, lang: str, **values: object) -> str:
    """The message of a reader problem in ``lang``."""
    vi, en = PROBLEMS[key]
    return safe_text((vi if lang == "vi" else en).format(**values))


def validation_errors(exc: ValidationError, lang: str) -> list[dict[str, Any]]:
    """A row's validation errors as ``{"loc", "msg", "type"}`` items, messages in ``lang``."""
    out: list[dict[str, Any]] = []
    for error in exc.errors(include_url=False, include_input=False)[:MAX_ERRORS_PER_ROW]:
        msg = _vietnamese(error) if lang == "vi" else None
        out.append(
            {
                "loc": [safe_text(p, 100) for p in error["loc"]],
                "msg": safe_text(msg or error["msg"]),
                "type": error["type"],
            }
        )
    return out


def _vietnamese(error: Any) -> str | None:
    kind = error["type"]
    ctx = error.get("ctx") or {}
    if kind == "value_error":
        reason = str(ctx.get("error", ""))
        if reason.startswith("unknown sector"):
            value = reason.split(";")[0].removeprefix("unknown sector").strip()
            return f"Lĩnh vực không rõ {value}; danh sách mã lĩnh vực ở GET /api/v1/sectors."
        if "must not be empty" in reason:
            return _REQUIRED
        return None
    template = _VIETNAMESE.get(kind)
    if template is None:
        return None
    values = {k: str(v).replace(" or ", " hoặc ") for k, v in ctx.items()}
    fields = {name for _, name, _, _ in string.Formatter().parse(template) if name is not None}
    if not fields <= values.keys():  # pydantic left out a value the sentence needs
        return None
    return template.format(**values)
