"""A hand-written Vietnamese ↔ English glossary of technology terms (``glossary.tsv``).

Each line of the data file is one concept: its Vietnamese terms and its English terms
("độ mặn" / "salinity", "XLNT | xử lý nước thải" / "wastewater treatment"). Lookups fold
case, diacritics and hyphens and read an English plural as its singular, so "Độ mặn",
"do man" and "Salinity" find the same concept, and "sensors" finds "sensor". The reasons
of a pair use it to link terms that translate each other (:mod:`indexer.reasons`).
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

GLOSSARY_FILE = Path(__file__).with_name("glossary.tsv")


def glossary_key(term: str, diacritics: bool = False) -> str:
    """The lookup form of a term: case and hyphens folded (diacritics too unless
    ``diacritics``), a final English ``s`` dropped from words of four letters or more
    ("Sensors" → "sensor"); Vietnamese syllables never end in ``s``, so only English and
    acronyms are touched."""
    text = unicodedata.normalize("NFC", term.casefold())
    if not diacritics:
        decomposed = unicodedata.normalize("NFD", text.replace("đ", "d"))
        text = "".join(c for c in decomposed if not unicodedata.combining(c))
    words = text.replace("-", " ").replace("’", "'").split()
    return " ".join(_singular(w) for w in words)


def _has_diacritics(term: str) -> bool:
    return any(ord(c) > 0x7F and c.isalpha() for c in term)


def _singular(word: str) -> str:
    if len(word) >= 4 and word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


@dataclass(frozen=True)
class Concept:
    """One line of the glossary: the terms of each language, as written."""

    vi: tuple[str, ...]
    en: tuple[str, ...]

    @property
    def terms(self) -> tuple[str, ...]:
        """Every term of the concept, Vietnamese first."""
        return self.vi + self.en


class Glossary:
    """Concepts by the folded key of each of their terms."""

    def __init__(self, concepts: list[Concept]) -> None:
        self.concepts = concepts
        self._by_key: dict[str, set[int]] = {}  # diacritics folded
        self._by_accented: dict[str, set[int]] = {}  # diacritics kept
        self._looked_up: dict[str, frozenset[int]] = {}  # term as written -> concepts
        for index, concept in enumerate(concepts):
            for term in concept.terms:
                self._by_key.setdefault(glossary_key(term), set()).add(index)
                self._by_accented.setdefault(glossary_key(term, True), set()).add(index)

    def __len__(self) -> int:
        return len(self.concepts)

    def concepts_of(self, term: str) -> frozenset[int]:
        """Indexes of the concepts ``term`` names (empty when the glossary lacks it).

        A term written with diacritics must match them ("đo" is not "DO", "vỏ" is not
        "vò"); one written without any matches with or without them ("do man" finds
        "độ mặn"). Remembered per term, so that many pairs fold each phrase once."""
        found = self._looked_up.get(term)
        if found is None:
            if _has_diacritics(term):
                found = frozenset(self._by_accented.get(glossary_key(term, True), ()))
            else:
                found = frozenset(self._by_key.get(glossary_key(term), ()))
            if len(self._looked_up) < 200_000:
                self._looked_up[term] = found
        return found

    def translations(self, term: str) -> list[str]:
        """The other terms of every concept ``term`` names (its translations and
        synonyms), in file order, without ``term`` itself."""
        key = glossary_key(term)
        out: list[str] = []
        for index in sorted(self.concepts_of(term)):
            out += [t for t in self.concepts[index].terms if glossary_key(t) != key]
        return list(dict.fromkeys(out))

    def same_concept(self, a: str, b: str) -> bool:
        """Whether two different terms name one concept ("độ mặn", "salinity")."""
        return glossary_key(a) != glossary_key(b) and bool(
            self.concepts_of(a) & self.concepts_of(b)
        )


def parse_glossary(text: str) -> list[Concept]:
    """Concepts of a glossary file's text: ``vi<TAB>en`` lines, terms split by ``|``;
    ``#`` comments, blank lines and the ``vi	en`` header are skipped."""
    concepts = []
    for line in text.splitlines():
        if not line.strip() or line.startswith("#") or line.strip() == "vi\ten":
            continue
        vi, _, en = line.partition("\t")
        concept = Concept(_terms(vi), _terms(en))
        if concept.terms:
            concepts.append(concept)
    return concepts


def _terms(cell: str) -> tuple[str, ...]:
    return tuple(t.strip() for t in cell.split("|") if t.strip())


@lru_cache(maxsize=1)
def glossary() -> Glossary:
    """The packaged glossary (read once)."""
    return Glossary(parse_glossary(GLOSSARY_FILE.read_text(encoding="utf-8")))
