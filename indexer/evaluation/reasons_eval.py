"""How far a moderator can trust the reasons: precision of the shown shared and linked
terms and recall of the expected links, against ``data/devset/term_links.jsonl``.

A shown term is *accepted* when it matches a term the labelled pair expects:

* two terms match when they are equal after case folding, NFC, hyphens read as spaces and
  English plurals as singulars ("infection-control" = "infection control", "sensors" =
  "sensor"), or when the shown term
  contains the expected one as whole words ("nước thải chế biến" ⊇ "nước thải"), or when
  the expected term contains the shown one as whole words and the shown one has at least
  two words (a lone syllable such as "hòa" inside "oxy hòa tan" is a fragment, not a term);
* a shown shared term is accepted when it matches an expected shared term, either side of
  an expected link, or one of the pair's ``accepted`` extra terms;
* a shown link ``need ≈ offer`` is accepted when its need side matches the need side and
  its offer side the offer side of one expected link.

Precision = accepted shown terms / shown terms (shared and linked together, and each
kind alone); recall = expected links matched by a shown link / expected links.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from indexer.engine import MatchEngine
from indexer.evaluation.devset import DEFAULT_DEVSET, DevSet
from vocabulary.glossary import glossary_key

if TYPE_CHECKING:
    from models import EmbeddingModel


@dataclass(frozen=True)
class LabelledPair:
    """One row of ``term_links.jsonl``."""

    need: int
    offer: int
    shared: list[str]
    linked: list[tuple[str, str]]
    accepted: list[str] = field(default_factory=list)


def read_term_links(path: Path) -> list[LabelledPair]:
    """The labelled pairs of a ``term_links.jsonl`` file."""
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            row = json.loads(line)
            out.append(
                LabelledPair(
                    need=int(row["need"]),
                    offer=int(row["offer"]),
                    shared=list(row.get("shared") or []),
                    linked=[(a, b) for a, b in row.get("linked") or []],
                    accepted=list(row.get("accepted") or []),
                )
            )
    return out


def _words(term: str) -> list[str]:
    """Words of a term for matching: case folded, NFC, hyphens as spaces, an English
    plural as its singular (:func:`vocabulary.glossary.glossary_key`, diacritics kept)."""
    return glossary_key(term, diacritics=True).split()


def _contains(longer: list[str], shorter: list[str]) -> bool:
    n = len(shorter)
    return any(longer[i : i + n] == shorter for i in range(len(longer) - n + 1))


def term_matches(shown: str, expected: str) -> bool:
    """Whether a shown term counts as the expected one (see the module docstring)."""
    s, e = _words(shown), _words(expected)
    if not s or not e:
        return False
    if s == e or _contains(s, e):
        return True
    return len(s) >= 2 and _contains(e, s)


def score_pair(
    pair: LabelledPair, shared: list[str], linked: list[tuple[str, str]]
) -> dict[str, int]:
    """Counts for one pair: shown, accepted, expected links, expected links found."""
    pool = pair.shared + pair.accepted + [t for link in pair.linked for t in link]
    accepted_shared = sum(1 for s in shared if any(term_matches(s, e) for e in pool))

    def link_ok(shown: tuple[str, str], exp: tuple[str, str]) -> bool:
        return term_matches(shown[0], exp[0]) and term_matches(shown[1], exp[1])

    accepted_linked = sum(1 for s in linked if any(link_ok(s, e) for e in pair.linked))
    found = sum(1 for e in pair.linked if any(link_ok(s, e) for s in linked))
    return {
        "shown": len(shared) + len(linked),
        "accepted": accepted_shared + accepted_linked,
        "shown_shared": len(shared),
        "accepted_shared": accepted_shared,
        "shown_linked": len(linked),
        "accepted_linked": accepted_linked,
        "expected_links": len(pair.linked),
        "found_links": found,
    }


def _ratio(counts: list[dict[str, int]], part: str, whole: str) -> float:
    total = sum(c[whole] for c in counts)
    return round(sum(c[part] for c in counts) / total, 3) if total else 0.0


def _summary(counts: list[dict[str, int]]) -> dict[str, float]:
    return {
        "pairs": len(counts),
        "shown": sum(c["shown"] for c in counts),
        "shown_shared": sum(c["shown_shared"] for c in counts),
        "shown_linked": sum(c["shown_linked"] for c in counts),
        "precision": _ratio(counts, "accepted", "shown"),
        "shared_precision": _ratio(counts, "accepted_shared", "shown_shared"),
        "linked_precision": _ratio(counts, "accepted_linked", "shown_linked"),
        "link_recall": _ratio(counts, "found_links", "expected_links"),
    }


def _parts(directory: Path) -> dict[int, str]:
    path = directory / "split.tsv"
    if not path.is_file():
        return {}
    with open(path, encoding="utf-8") as fh:
        return {int(r["need_id"]): r["part"] for r in csv.DictReader(fh, delimiter="\t")}


def evaluate_reasons(model: EmbeddingModel, devset: DevSet, directory: Path) -> dict[str, Any]:
    """Precision and link recall of the reasons of every labelled pair, overall, per split
    part and for cross-language pairs; ``examples`` holds what was shown per pair."""
    labelled = read_term_links(directory / "term_links.jsonl")
    engine = MatchEngine(model)
    engine.upsert(devset.needs + devset.offers)
    parts = _parts(directory)
    language = {p.id: p.language for p in devset.needs + devset.offers}
    groups: dict[str, list[dict[str, int]]] = {"all": [], "cross_language": []}
    examples = []
    for pair in labelled:
        reasons = engine.explain(pair.need, pair.offer).reasons
        links = [(str(x["need"]), str(x["offer"])) for x in reasons.linked_terms]
        counts = score_pair(pair, list(reasons.shared_terms), links)
        groups["all"].append(counts)
        groups.setdefault(parts.get(pair.need, "unsplit"), []).append(counts)
        if language.get(pair.need) != language.get(pair.offer):
            groups["cross_language"].append(counts)
        examples.append(
            {"pair": f"{pair.need}-{pair.offer}", "shared": reasons.shared_terms, "linked": links}
        )
    order = ["heldout", "tune", *[g for g in groups if g not in ("heldout", "tune")]]
    out: dict[str, Any] = {name: _summary(groups[name]) for name in order if name in groups}
    out["examples"] = examples
    return out


def format_reasons(result: dict[str, Any]) -> list[str]:
    """Markdown table lines of :func:`evaluate_reasons` (held-out first, then tune)."""
    lines = [
        "",
        "#### reasons (goal: precision >= 0.9, link recall >= 0.6)",
        "",
        "| reasons | pairs | shown terms (shared + linked) | precision | shared precision | "
        "linked precision | link recall |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, r in result.items():
        if name != "examples":
            lines.append(
                f"| {name} | {r['pairs']} | {r['shown']} ({r['shown_shared']} + "
                f"{r['shown_linked']}) | {r['precision']:.3f} | {r['shared_precision']:.3f} | "
                f"{r['linked_precision']:.3f} | {r['link_recall']:.3f} |"
            )
    return lines


class _Context(Protocol):
    """The part of :class:`indexer.evaluation.report.EvalContext` this section reads."""

    model: EmbeddingModel
    devset: DevSet
    options: dict[str, Any]


class ReasonsSection:
    """The reasons figures of ``techmatch eval`` (a :class:`ReportSection`): skipped when
    the dev set folder has no ``term_links.jsonl``."""

    key = "reasons"

    def compute(self, ctx: _Context) -> dict[str, Any] | None:
        directory = Path(ctx.options.get("devset_dir") or DEFAULT_DEVSET)
        if not (directory / "term_links.jsonl").is_file():
            return None
        return evaluate_reasons(ctx.model, ctx.devset, directory)

    def format(self, data: dict[str, Any]) -> list[str]:
        return format_reasons(data) + [""]


def main() -> None:
    """``python -m indexer.evaluation.reasons_eval [MODEL_CACHE]``: the reasons table
    alone (``techmatch eval`` prints it among the other sections)."""
    import sys

    from indexer.evaluation.devset import load_devset
    from models import load_model

    cache = Path(sys.argv[1]) if len(sys.argv) > 1 else None
    model = load_model("multilingual-e5-small", cache)
    result = evaluate_reasons(model, load_devset(DEFAULT_DEVSET), DEFAULT_DEVSET)
    print("\n".join(format_reasons(result)))


if __name__ == "__main__":
    main()
