"""Safe highlighting of key terms in posting text.

The text is split around the terms first; every piece is then HTML-escaped and only the
matched pieces are wrapped in ``<mark>``. Nothing from a posting can become markup.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from markupsafe import Markup, escape


def _pattern(terms: Iterable[str]) -> re.Pattern[str] | None:
    words = set()
    for term in terms:
        term = term.replace("_", " ").strip()
        if len(term) >= 2:
            words.add(term)
    if not words:
        return None
    parts = [r"\s+".join(re.escape(w) for w in term.split()) for term in words]
    parts.sort(key=len, reverse=True)
    # a term matches at a word start and may run on to the end of the word (stems)
    return re.compile(r"(?<!\w)(?:" + "|".join(parts) + r")\w*", re.IGNORECASE)


def highlight(text: str | None, terms: Iterable[str]) -> Markup:
    """``text`` escaped, with the words that start with one of ``terms`` in ``<mark>``."""
    if not text:
        return Markup("")
    pattern = _pattern(terms)
    if pattern is None:
        return escape(text)
    out: list[Markup] = []
    last = 0
    for found in pattern.finditer(text):
        out.append(escape(text[last : found.start()]))
        out.append(Markup("<mark>{}</mark>").format(found.group(0)))
        last = found.end()
    out.append(escape(text[last:]))
    return Markup("").join(out)


def side_terms(reasons: dict[str, object], side: str) -> list[str]:
    """The terms to highlight on the ``need`` or ``offer`` side of a pair's reasons."""
    terms: list[str] = [str(t) for t in reasons.get("shared_terms") or []]  # type: ignore[attr-defined]
    for link in reasons.get("linked_terms") or []:  # type: ignore[attr-defined]
        if isinstance(link, dict) and link.get(side):
            terms.append(str(link[side]))
    return terms
