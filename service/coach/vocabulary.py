"""Key terms that no counterpart uses, with the words counterparts use instead.

Trigger (see ``docs/coach.md``): ``term_unused`` fires for a keyword of the poster's when

- at least :data:`MIN_COUNTERPARTS` counterparts are matched now (with fewer, every word
  would look unused),
- no active counterpart's text contains the keyword (case and diacritics ignored) and no
  counterpart key term means the same (cosine ≥ the engine's link threshold), and
- the glossary has other terms for the keyword's concept (synonyms, translations) that
  some active counterpart writes and the posting does not (when the posting already writes
  one of them, the concept is covered: no hint); the hint names them, in the posting's
  language first. A saved posting must be *recommended* with at least one of
  its :data:`NEAR` best counterparts (no recommended counterpart: no hint). The
  counterparts' cosine-nearest key terms are named too only when :data:`NEAREST_WORDS`
  allows it (by default never: they were topical neighbours, not synonyms, on both
  labelled samples — ``data/coach/labels_tune.jsonl``, ``docs/coach.md``).

Only the poster's keywords are checked: title and description terms are cut from running
text ("hàm lượng", "strong") and too loose to advise on. Nearest words, where allowed,
come only from recommended counterparts: those of off-topic counterparts are topical
neighbours, not synonyms.
Place names, numbers, one-syllable Vietnamese fragments and terms under 4 letters are
skipped, on both sides, and so are generic suggestions ("quản lý", "sản phẩm",
"solution"). At most :data:`MAX_HINTS` hints, each naming at most :data:`ALTERNATIVES`
words.
"""

from __future__ import annotations

from service.coach.draft import Draft, Hint
from service.coach.messages import COUNTERPARTS, message, quoted
from service.coach.text_quality import TOO_BROAD
from service.matching import Matcher, NotIndexed, TermUse, tokenize
from service.textutil import fold
from vocabulary.places import PLACES

MIN_COUNTERPARTS = 5
MAX_HINTS = 3
ALTERNATIVES = 3
NEAR = 10
#: Suggest only words of the recommended among the :data:`NEAR` best counterparts.
RECOMMENDED_ONLY = True
#: When the counterparts' nearest key terms may be suggested besides the glossary's words:
#: ``"never"``, ``"no_glossary"`` (only for a keyword the glossary has no word for) or
#: ``"always"`` (after the glossary's words).
NEAREST_WORDS = "never"
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
    """A keyword of the poster's (the words the poster chose to be found by); title and
    description terms are cut from running text ("hàm lượng", "strong") and too loose to
    advise on."""
    folded = fold(term)
    return any(folded == fold(k) for k in draft.keywords)


def _alternative(word: str) -> bool:
    """A counterpart word worth suggesting: eligible and not a generic word."""
    tokens = set(tokenize(word, "vi" if any(ord(c) > 0x7F for c in word) else "en"))
    return eligible_term(word) and not (tokens and tokens <= TOO_BROAD)


def _field(draft: Draft, term: str) -> str:
    folded = fold(term)
    if any(folded == fold(k) or folded in fold(k) for k in draft.keywords):
        return "keywords"
    return "title" if folded in fold(draft.title) else "description"


def _near(draft: Draft, matcher: Matcher) -> list[int] | None:
    """The counterparts whose words may be suggested: those of a saved posting's
    :data:`NEAR` best matches that are recommended (when :data:`RECOMMENDED_ONLY`), so
    that the words come from counterparts about the same thing; ``None`` for an unsaved
    draft (every counterpart)."""
    if draft.id is None or matcher.indexed(draft.id) is None:
        return None
    try:
        matches = matcher.matches(draft.id, limit=NEAR)
    except NotIndexed:
        return None
    return [
        m.counterpart(draft.kind)  # type: ignore[arg-type]
        for m in matches
        if m.recommended or not RECOMMENDED_ONLY
    ]


def _words(text: str) -> str:
    """Folded text without punctuation, padded with spaces (to find whole words)."""
    return " " + " ".join("".join(c if c.isalnum() else " " for c in fold(text)).split()) + " "


def _absent(word: str, own_text: str) -> bool:
    """True when ``word`` is not written in the posting already."""
    return _words(word) not in own_text


def _offered(use: TermUse) -> list[str]:
    """The words of ``use.instead`` that :data:`NEAREST_WORDS` lets the hint name."""
    if NEAREST_WORDS == "always" or (NEAREST_WORDS == "no_glossary" and not use.from_glossary):
        return use.instead
    return use.instead[: use.from_glossary]


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
    if near is not None and not near:
        return []  # no counterpart about the same thing: nobody to borrow words from
    own_text = _words(draft.text)
    usage = matcher.term_usage(terms, draft.kind, draft.language or lang, near)
    out: list[Hint] = []
    for use in usage:
        glossary_words = [w for w in use.instead[: use.from_glossary] if _alternative(w)]
        if any(not _absent(w, own_text) for w in glossary_words):
            continue  # the posting already writes the counterparts' word for this concept
        instead = [w for w in _offered(use) if _alternative(w) and _absent(w, own_text)]
        instead = instead[:ALTERNATIVES]
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
