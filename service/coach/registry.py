"""Every coach rule, run in one order: completeness, text quality, vocabulary, reach."""

from __future__ import annotations

from service.coach import completeness, reach, text_quality, vocabulary
from service.coach.draft import Draft, Hint
from service.matching import Matcher

#: Every hint code, in the order hints are shown (documented in ``docs/coach.md``).
CODES = (
    "offer_trl",
    "offer_ip_status",
    "offer_transfer_mode",
    "need_quantity",
    "need_place",
    "need_budget",
    "need_timeline",
    "description_short",
    "description_vague",
    "term_unused",
    "need_no_recommended_offer",
)


def coach(draft: Draft, matcher: Matcher | None) -> list[Hint]:
    """The hints for ``draft``; without a matcher (or before it is started) only the
    rules that read the text alone."""
    out = completeness.hints(draft) + text_quality.hints(draft)
    if matcher is not None and matcher.ready:
        out += vocabulary.hints(draft, matcher)
        out += reach.hints(draft, matcher)
    return out
