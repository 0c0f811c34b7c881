"""A need no offer is recommended for: what the nearest offers offer, and in which words.

Trigger (see ``docs/coach.md``): ``need_no_recommended_offer`` fires for a saved need
when none of its :data:`LOOK_AT` best offers is recommended by the engine, at least one
offer is matched at all, and the best offer's score is under the recommendation
threshold: a need whose best offer passes the threshold but is not reciprocal (the offer
serves another need better) cannot be reached by rewording, so it gets no hint. The hint
names the :data:`NEAREST` nearest offers' titles and their distinctive key terms: key
terms of those offers that the need's text does not contain and that are not linked to
one of its terms, the terms shared by more of the nearest offers first (at most
:data:`MAX_TERMS`). An unsaved draft has no matches yet, so the rule needs ``draft.id``.
"""

from __future__ import annotations

from service.coach.draft import Draft, Hint
from service.coach.messages import message, quoted
from service.coach.text_quality import TOO_BROAD
from service.coach.vocabulary import eligible_term
from service.matching import Matcher, NotIndexed, tokenize
from service.textutil import fold

LOOK_AT = 10
NEAREST = 3
MAX_TERMS = 5
TITLE_CHARS = 70


def distinctive_terms(need_text: str, offers_terms: list[tuple[list[str], set[str]]]) -> list[str]:
    """Key terms of the nearest offers that ``need_text`` lacks: each offer given as its
    key terms and the terms linked to the need; most shared first, then in order."""
    folded = _words(need_text)
    counts: dict[str, int] = {}
    first: dict[str, int] = {}
    for terms, linked in offers_terms:
        for position, term in enumerate(terms):
            if term in linked or not eligible_term(term) or _words(term) in folded:
                continue
            if _generic(term):
                continue
            counts[term] = counts.get(term, 0) + 1
            first.setdefault(term, len(first) + position)
    ranked = sorted(counts, key=lambda t: (-counts[t], first[t]))
    return ranked[:MAX_TERMS]


def _words(text: str) -> str:
    """Folded text without punctuation, padded with spaces (to find whole words: a
    keyword is followed by a comma or a full stop in the need's text)."""
    return " " + " ".join("".join(c if c.isalnum() else " " for c in fold(text)).split()) + " "


def _generic(term: str) -> bool:
    """True for a term made only of generic words ("quy trình", "solution")."""
    tokens = set(tokenize(term, "vi" if any(ord(c) > 0x7F for c in term) else "en"))
    return bool(tokens) and tokens <= TOO_BROAD


def _title(title: str) -> str:
    return title if len(title) <= TITLE_CHARS else title[: TITLE_CHARS - 1].rstrip() + "…"


def hints(draft: Draft, matcher: Matcher) -> list[Hint]:
    """The ``need_no_recommended_offer`` hint of a saved need, when it applies."""
    if draft.kind != "need" or draft.id is None:
        return []
    try:
        matches = matcher.matches(draft.id, limit=LOOK_AT)
    except NotIndexed:
        return []
    if not matches or any(m.recommended for m in matches):
        return []
    if matches[0].score >= matcher.recommend_threshold:
        return []  # scored high enough, passed over for reciprocity: rewording cannot help
    nearest = matches[:NEAREST]
    offers_terms = [
        (m.reasons.offer_terms, {str(link["offer"]) for link in m.reasons.linked_terms})
        for m in nearest
    ]
    terms = distinctive_terms(draft.text, offers_terms)
    if not terms:
        return []
    titles = [p.title for m in nearest if (p := matcher.indexed(m.offer_id)) is not None]
    lang = draft.lang
    text = message(
        "need_no_recommended_offer",
        lang,
        titles="; ".join(f"«{_title(t)}»" for t in titles),
        terms=quoted(terms),
    )
    return [Hint("need_no_recommended_offer", "description", text, terms)]
