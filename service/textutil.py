"""Small text helpers for stored postings: cleaning input and folding for search."""

from __future__ import annotations

import unicodedata

_KEEP_MULTILINE = {"\n", "\t"}


def clean(value: str, multiline: bool = False) -> str:
    """NFC-normalise ``value``, drop control characters and strip it.

    Raises :class:`ValueError` for text that is not valid Unicode (lone surrogates),
    which no database could store. Newlines and tabs survive when ``multiline``.
    """
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ValueError("must be valid Unicode text (it holds a lone surrogate)") from exc
    value = unicodedata.normalize("NFC", value.replace("\r\n", "\n").replace("\r", "\n"))
    out = []
    for ch in value:
        if unicodedata.category(ch) in ("Cc", "Cf"):
            if multiline and ch in _KEEP_MULTILINE:
                out.append(ch)
            elif ch in "\n\t\v\f":
                out.append(" ")
            continue
        out.append(ch)
    return "".join(out).strip()


def fold(text: str) -> str:
    """Lower-case ``text`` without diacritics (``Hải Phòng`` → ``hai phong``) for search."""
    text = text.replace("đ", "d").replace("Đ", "D")
    decomposed = unicodedata.normalize("NFD", text)
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(plain.casefold().split())
