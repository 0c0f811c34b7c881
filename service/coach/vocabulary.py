"""Key terms that no counterpart uses, with the words counterparts use instead.

Trigger (see ``docs/coach.md``): ``term_unused`` fires for a key term of the posting (the
engine's key terms: keywords, then title words, then frequent description words) when

- at least :data:`MIN_COUNTERPARTS` counterparts are matched now (with fewer, every word
  would look unused),
- no active counterpart's text contains the term (case and diacritics ignored) and no
  counterpart key term means the same (cosine ≥ the engine's link threshold), and
- the key terms of the posting's :data:`NEAR` best-matched counterparts (every
  counterpart for an unsaved draft) hold at least one word close to it (cosine ≥ 0.85),
  which the hint names — in the posting's language first.

Only the poster's keywords and key terms of several words are checked (one loose title
word such as "strong" is not advice); place names, numbers, one-syllable Vietnamese
fragments and terms under 4 letters are skipped, on both sides, and so are generic
suggestions ("quản lý", "sản phẩm", "solution"). At most :data:`MAX_HINTS` hints, in the
order of the key terms, each naming at most :data:`ALTERNATIVES` words.
"""

from __future__ import annotations

from service.coach.draft import Draft, Hint
from service.coach.messages import COUNTERPARTS, message, quoted
from service.coach.text_quality import GENERIC
from service.matching import Matcher, NotIndexed, tokenize
from service.textutil import fold
from vocabulary.places import PLACES

MIN_COUNTERPARTS = 5
MAX_HINTS = 3
ALTERNATIVES = 3
NEAR = 10
_PLACES = frozenset(fold(p) for p in PLACES)


def eligible_term(term: str) -> bool:
    """True for a key term worth a hint: not a place, number, fragment or tiny word."""
    folded = fold(term)
    if len(folded.replace(" ", "")) < 4 or folded.replace(" ", "").isdigit():
        return False
    if " " not in term and any(ord(c) > 0x7F for c in term):
        return False  # one Vietnamese syllable is a fragment of a word
    return folded not in _PLACES


def _worth_checking(draft: Draft, term: str) -> bool:
    """A keyword of the poster's, or a key term of several words: single title or
    description words ("strong", "new") are too loose to advise on."""
    folded = fold(term)
    return " " in term.strip() or any(folded == fold(k) for k in draft.keywords)


def _alternative(word: str) -> bool:
    """A counterpart word worth suggesting: eligible and not a generic word."""
    tokens = set(tokenize(word, "vi" if any(ord(c) > 0x7F for c in word) else "en"))
    return eligible_term(word) and not (tokens and tokens <= GENERIC)


def _field(draft: Draft, term: str) -> str:
    folded = fold(term)
    if any(folded == fold(k) or folded in fold(k) for k in draft.keywords):
        return "keywords"
    return "title" if folded in fold(draft.title) else "description"


def _near(draft: Draft, matcher: Matcher) -> list[int] | None:
    """The best-matched counterparts of a saved posting (``None`` for an unsaved draft)."""
    if draft.id is None or matcher.indexed(draft.id) is None:
        return None
    try:
        matches = matcher.matches(draft.id, limit=NEAR)
    except NotIndexed:
        return None
    return [m.counterpart(draft.kind) for m in matches]  # type: ignore[arg-type]


def hints(draft: Draft, matcher: Matcher) -> list[Hint]:
    """``term_unused`` hints of ``draft`` against the counterparts matched now."""
    other = "offer" if draft.kind == "need" else "need"
    if matcher.active_count(other) < MIN_COUNTERPARTS:
        return []
    terms = [
        t
        for t in matcher.key_terms(draft.posting())
        if eligible_term(t) and _worth_checking(draft, t)
    ]
    lang = draft.lang
    near = _near(draft, matcher)
    out: list[Hint] = []
    for use in matcher.term_usage(terms, draft.kind, draft.language or lang, near):
        instead = [w for w in use.instead if _alternative(w)][:ALTERNATIVES]
        if use.users or not instead:
            continue
        text = message(
            "term_unused",
            lang,
            term=use.term,
            counterparts=COUNTERPARTS[lang][draft.kind],
            instead=quoted(instead),
        )
        out.append(Hint("term_unused", _field(draft, use.term), text, instead))
        if len(out) >= MAX_HINTS:
            break
    return out
