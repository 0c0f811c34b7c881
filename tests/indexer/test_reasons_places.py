"""``_in_place`` (a word that names a place is never a term) with place names folded once
gives what folding every place for every word gave."""

from __future__ import annotations

from indexer.reasons import _fold, _in_place
from vocabulary.places import PLACES


def _slow(word: str) -> bool:  # the rule as it was written before the cache
    folded = _fold(word)
    return any(folded in _fold(p).split() or folded == _fold(p) for p in PLACES)


def test_same_answers_as_folding_every_place() -> None:
    words = [w for p in sorted(PLACES)[:200] for w in (p, *p.split(), p.upper())]
    words += ["cảm biến", "sensor", "Hải Phòng", "hai phong", "HÀ NỘI", "oxy", "", "tôm"]
    assert any(_in_place(w) for w in words) and not all(_in_place(w) for w in words)
    for word in words:
        assert _in_place(word) == _slow(word), word
