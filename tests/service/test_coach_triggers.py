"""The triggers of the two measured hints on a saved posting: which counterparts lend words
to ``term_unused`` and when ``need_no_recommended_offer`` stays silent. The matcher is a
stand-in that answers the coach's reads (the rules' logic is the point here; the real
model and index are exercised in test_coach_api.py and benchmarks/bench_coach.py)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import pytest

from indexer.term_usage import TermUse
from service.coach import Draft, reach, vocabulary

NEED = Draft(
    kind="need",
    title="Our honey ferments because its moisture is too high",
    description="Honey from the delta has 23 % moisture; we need a gentle drying process.",
    keywords=("honey", "moisture reduction"),
    language="en",
    id=1,
)


@dataclass
class Counterpart:
    """One matched offer: its score, whether it is recommended, its key terms."""

    offer_id: int
    score: float
    recommended: bool
    terms: list[str] = field(default_factory=list)


@dataclass
class StubMatcher:
    """Answers the coach's reads from a fixed list of matched offers; ``words`` are the
    words each offer would suggest for an unused term, the glossary's (``from_glossary``)
    before the nearest of its key terms."""

    offers: list[Counterpart]
    words: dict[int, list[str]]
    threshold: float = 0.4
    from_glossary: frozenset[str] = frozenset({"mật ong"})
    asked_near: list[list[int] | None] = field(default_factory=list)

    recommend_threshold = property(lambda self: self.threshold)

    def active_count(self, kind: str) -> int:
        return 8

    def key_terms(self, posting: Any) -> list[str]:
        return ["honey", "moisture reduction", "delta moisture"]

    def indexed(self, posting_id: int) -> Any:
        return SimpleNamespace(title=f"Offer {posting_id}")

    def matches(self, posting_id: int, limit: int = 10) -> list[Any]:
        return [
            SimpleNamespace(
                offer_id=o.offer_id,
                score=o.score,
                recommended=o.recommended,
                counterpart=lambda kind, o=o: o.offer_id,
                reasons=SimpleNamespace(offer_terms=o.terms, linked_terms=[]),
            )
            for o in self.offers[:limit]
        ]

    def term_usage(
        self, terms: Sequence[str], kind: str, language: str | None, near: Iterable[int] | None
    ) -> list[TermUse]:
        ids = None if near is None else list(near)
        self.asked_near.append(ids)
        pool = [w for i, ws in self.words.items() if ids is None or i in ids for w in ws]
        pool.sort(key=lambda w: w not in self.from_glossary)
        known = sum(w in self.from_glossary for w in pool)
        return [TermUse(term=t, users=0, instead=pool, from_glossary=known) for t in terms]


def test_words_come_only_from_recommended_counterparts_and_only_for_keywords(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(vocabulary, "NEAREST_WORDS", "always")  # nearest words allowed
    offers = [Counterpart(10, 0.64, True), Counterpart(11, 0.29, False)]
    stub = StubMatcher(offers, {10: ["mật ong", "moisture reduction"], 11: ["fish sauce"]})
    hints = vocabulary.hints(NEED, stub)  # type: ignore[arg-type]
    assert stub.asked_near == [[10]]
    assert {h.field for h in hints} == {"keywords"}
    assert [h.terms for h in hints] == [["mật ong"], ["mật ong"]]  # not "delta moisture"
    assert all("fish sauce" not in h.message for h in hints)  # off-topic offer lends nothing
    assert all("moisture reduction" not in h.terms for h in hints)  # already written


def test_no_recommended_counterpart_means_no_term_hint() -> None:
    stub = StubMatcher([Counterpart(11, 0.29, False)], {11: ["fish sauce"]})
    assert vocabulary.hints(NEED, stub) == []  # type: ignore[arg-type]
    assert stub.asked_near == []


def test_reach_is_silent_when_the_best_offer_passes_the_threshold() -> None:
    passed_over = [Counterpart(10, 0.56, False, ["food testing"]), Counterpart(11, 0.3, False)]
    assert reach.hints(NEED, StubMatcher(passed_over, {})) == []  # type: ignore[arg-type]
    below = [Counterpart(10, 0.33, False, ["heat pump dryer"]), Counterpart(11, 0.3, False)]
    hints = reach.hints(NEED, StubMatcher(below, {}))  # type: ignore[arg-type]
    assert [h.code for h in hints] == ["need_no_recommended_offer"]
    assert hints[0].terms == ["heat pump dryer"] and "Offer 10" in hints[0].message


def test_only_glossary_words_are_named_unless_nearest_words_are_allowed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The cosine-nearest key terms of counterparts ("chống lên men" for "men lá") were
    wrong on the labelled sample: by default only the glossary's words are named, and a
    keyword with none gets no hint."""
    offers = [Counterpart(10, 0.64, True)]
    words = {10: ["mật ong", "bee products"]}
    hints = vocabulary.hints(NEED, StubMatcher(offers, words))  # type: ignore[arg-type]
    assert vocabulary.NEAREST_WORDS == "never"
    assert [h.terms for h in hints] == [["mật ong"], ["mật ong"]]
    nearest_only = StubMatcher(offers, {10: ["bee products"]})
    assert vocabulary.hints(NEED, nearest_only) == []  # type: ignore[arg-type]
    monkeypatch.setattr(vocabulary, "NEAREST_WORDS", "no_glossary")
    assert [h.terms for h in vocabulary.hints(NEED, StubMatcher(offers, words))] == [  # type: ignore[arg-type]
        ["mật ong"],
        ["mật ong"],
    ]
    assert [h.terms for h in vocabulary.hints(NEED, nearest_only)][0] == ["bee products"]  # type: ignore[arg-type]
    monkeypatch.setattr(vocabulary, "NEAREST_WORDS", "always")
    both = vocabulary.hints(NEED, StubMatcher(offers, words))  # type: ignore[arg-type]
    assert both[0].terms == ["mật ong", "bee products"]


def test_reach_names_no_keyword_of_the_need_and_no_broad_word() -> None:
    """A keyword is followed by punctuation in the need's text and still counts as
    written; "quy trình" (process) alone is too broad to suggest."""
    terms = reach.distinctive_terms(
        NEED.text, [(["moisture reduction", "quy trình", "process", "heat pump dryer"], set())]
    )
    assert terms == ["heat pump dryer"]


def test_no_term_hint_once_the_posting_writes_one_of_the_glossary_words() -> None:
    """A poster who followed the hint with one of its words ("mật ong") is not asked
    again for the others of the same concept."""
    followed = Draft(**{**NEED.__dict__, "keywords": (*NEED.keywords, "mật ong")})
    offers = [Counterpart(10, 0.64, True)]
    stub = StubMatcher(offers, {10: ["mật ong", "honey bee products"]})
    stub.from_glossary = frozenset({"mật ong", "honey bee products"})
    assert vocabulary.hints(NEED, stub)[0].terms == ["mật ong", "honey bee products"]  # type: ignore[arg-type]
    assert vocabulary.hints(followed, stub) == []  # type: ignore[arg-type]
    # a glossary word too short to suggest ("DO") found inside "độ mặn" covers nothing
    salinity = Draft(**{**NEED.__dict__, "description": NEED.description + " Độ mặn 5 ‰."})
    stub.words = {10: ["DO", "mật ong"]}
    stub.from_glossary = frozenset({"DO", "mật ong"})
    assert vocabulary.hints(salinity, stub)[0].terms == ["mật ong"]  # type: ignore[arg-type]
