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

The labels list what a moderator *expects*, not every term a moderator would accept, so a
second precision also accepts a shown term that ``term_judgements.jsonl`` judged acceptable:
blind verdicts on the terms two systems showed for each labelled pair (see the dev set
README). A shown term that is neither expected nor judged counts as not accepted and is
counted as *unjudged*; recall does not use the judgements.
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


@dataclass(frozen=True)
class Judgements:
    """Blind verdicts on shown terms, per pair: ``(need, offer) -> {item key: accept}``.

    An item key is ``("term", words)`` for a shared term or ``("link", need words, offer
    words)`` for a link, words as :func:`_words` gives them (so matching folds case, hyphens
    and plurals, but is otherwise exact)."""

    verdicts: dict[tuple[int, int], dict[tuple[str, ...], bool]] = field(default_factory=dict)

    def verdict_term(self, need: int, offer: int, term: str) -> bool | None:
        """True/False when the shared term was judged for the pair, None when it was not."""
        return self.verdicts.get((need, offer), {}).get(_term_key(term))

    def verdict_link(self, need: int, offer: int, link: tuple[str, str]) -> bool | None:
        """True/False when the link was judged for the pair, None when it was not."""
        return self.verdicts.get((need, offer), {}).get(_link_key(link))


def _term_key(term: str) -> tuple[str, ...]:
    return ("term", " ".join(_words(term)))


def _link_key(link: tuple[str, str]) -> tuple[str, ...]:
    return ("link", " ".join(_words(link[0])), " ".join(_words(link[1])))


def read_judgements(path: Path) -> Judgements:
    """The verdicts of a ``term_judgements.jsonl`` file (lines starting with ``#`` are
    comments); an absent file gives no verdicts."""
    verdicts: dict[tuple[int, int], dict[tuple[str, ...], bool]] = {}
    if not path.is_file():
        return Judgements(verdicts)
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        row = json.loads(line)
        key = _link_key(tuple(row["link"])) if "link" in row else _term_key(row["term"])
        verdicts.setdefault((int(row["need"]), int(row["offer"])), {})[key] = bool(row["accept"])
    return Judgements(verdicts)


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
    pair: LabelledPair,
    shared: list[str],
    linked: list[tuple[str, str]],
    judgements: Judgements | None = None,
) -> dict[str, int]:
    """Counts for one pair: shown, accepted (by the labels alone, and by the labels or a
    judged-accepted verdict), unjudged, expected links, expected links found."""
    judged = judgements or Judgements()
    pool = pair.shared + pair.accepted + [t for link in pair.linked for t in link]
    expected_shared = [any(term_matches(s, e) for e in pool) for s in shared]
    accepted_shared = sum(expected_shared)

    def link_ok(shown: tuple[str, str], exp: tuple[str, str]) -> bool:
        return term_matches(shown[0], exp[0]) and term_matches(shown[1], exp[1])

    expected_linked = [any(link_ok(s, e) for e in pair.linked) for s in linked]
    accepted_linked = sum(expected_linked)
    found = sum(1 for e in pair.linked if any(link_ok(s, e) for s in linked))
    shared_verdicts = [judged.verdict_term(pair.need, pair.offer, s) for s in shared]
    link_verdicts = [judged.verdict_link(pair.need, pair.offer, s) for s in linked]
    judged_shared = sum(
        ok or v is True for ok, v in zip(expected_shared, shared_verdicts, strict=True)
    )
    judged_linked = sum(
        ok or v is True for ok, v in zip(expected_linked, link_verdicts, strict=True)
    )
    unjudged = sum(
        not ok and v is None
        for ok, v in zip(
            expected_shared + expected_linked, shared_verdicts + link_verdicts, strict=True
        )
    )
    return {
        "shown": len(shared) + len(linked),
        "accepted": accepted_shared + accepted_linked,
        "shown_shared": len(shared),
        "accepted_shared": accepted_shared,
        "shown_linked": len(linked),
        "accepted_linked": accepted_linked,
        "expected_links": len(pair.linked),
        "found_links": found,
        "judged_accepted": judged_shared + judged_linked,
        "judged_accepted_shared": judged_shared,
        "judged_accepted_linked": judged_linked,
        "unjudged": unjudged,
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
        "judged_precision": _ratio(counts, "judged_accepted", "shown"),
        "judged_shared_precision": _ratio(counts, "judged_accepted_shared", "shown_shared"),
        "judged_linked_precision": _ratio(counts, "judged_accepted_linked", "shown_linked"),
        "unjudged": sum(c["unjudged"] for c in counts),
    }


def _parts(directory: Path) -> dict[int, str]:
    path = directory / "split.tsv"
    if not path.is_file():
        return {}
    with open(path, encoding="utf-8") as fh:
        return {int(r["need_id"]): r["part"] for r in csv.DictReader(fh, delimiter="\t")}


def shown_reasons(model: EmbeddingModel, devset: DevSet, directory: Path) -> list[dict[str, Any]]:
    """What the system shows for every labelled pair: ``{"pair": "need-offer", "shared":
    [...], "linked": [[need, offer], ...]}`` (the ``examples`` of :func:`evaluate_reasons`)."""
    engine = MatchEngine(model)
    engine.upsert(devset.needs + devset.offers)
    examples = []
    for pair in read_term_links(directory / "term_links.jsonl"):
        reasons = engine.explain(pair.need, pair.offer).reasons
        links = [[str(x["need"]), str(x["offer"])] for x in reasons.linked_terms]
        examples.append(
            {
                "pair": f"{pair.need}-{pair.offer}",
                "shared": list(reasons.shared_terms),
                "linked": links,
            }
        )
    return examples


def score_examples(
    examples: list[dict[str, Any]], devset: DevSet, directory: Path
) -> dict[str, Any]:
    """Precision (labels alone and with ``term_judgements.jsonl``), unjudged count and link
    recall of shown reasons, overall, per split part and for cross-language pairs."""
    labelled = {(p.need, p.offer): p for p in read_term_links(directory / "term_links.jsonl")}
    judgements = read_judgements(directory / "term_judgements.jsonl")
    parts = _parts(directory)
    language = {p.id: p.language for p in devset.needs + devset.offers}
    groups: dict[str, list[dict[str, int]]] = {"all": [], "cross_language": []}
    for example in examples:
        need, offer = (int(x) for x in str(example["pair"]).split("-"))
        links = [(str(a), str(b)) for a, b in example["linked"]]
        counts = score_pair(labelled[(need, offer)], list(example["shared"]), links, judgements)
        groups["all"].append(counts)
        groups.setdefault(parts.get(need, "unsplit"), []).append(counts)
        if language.get(need) != language.get(offer):
            groups["cross_language"].append(counts)
    order = ["heldout", "tune", *[g for g in groups if g not in ("heldout", "tune")]]
    out: dict[str, Any] = {name: _summary(groups[name]) for name in order if name in groups}
    out["examples"] = examples
    return out


def evaluate_reasons(model: EmbeddingModel, devset: DevSet, directory: Path) -> dict[str, Any]:
    """Precision and link recall of the reasons of every labelled pair, overall, per split
    part and for cross-language pairs; ``examples`` holds what was shown per pair."""
    return score_examples(shown_reasons(model, devset, directory), devset, directory)


def format_reasons(result: dict[str, Any]) -> list[str]:
    """Markdown table lines of :func:`evaluate_reasons` (held-out first, then tune)."""
    lines = [
        "",
        "#### reasons (goal: precision >= 0.9, link recall >= 0.6)",
        "",
        "| reasons | pairs | shown terms (shared + linked) | precision (labels / judged) | "
        "shared precision | linked precision | unjudged | link recall |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name, r in result.items():
        if name != "examples":
            lines.append(
                f"| {name} | {r['pairs']} | {r['shown']} ({r['shown_shared']} + "
                f"{r['shown_linked']}) | {r['precision']:.3f} / {r['judged_precision']:.3f} | "
                f"{r['shared_precision']:.3f} / {r['judged_shared_precision']:.3f} | "
                f"{r['linked_precision']:.3f} / {r['judged_linked_precision']:.3f} | "
                f"{r['unjudged']} | {r['link_recall']:.3f} |"
            )
    lines += [
        "",
        "Precision: by the labels alone / by the labels or a blind judgement "
        "(`term_judgements.jsonl`); unjudged terms count as not accepted.",
    ]
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
    """``python -m indexer.evaluation.reasons_eval [MODEL_CACHE] [--save FILE] [--examples
    FILE]``: the reasons table alone (``techmatch eval`` prints it among the other
    sections). ``--save`` writes what was shown; ``--examples`` scores a saved file instead
    of running the model (e.g. another branch's output under today's labels)."""
    import argparse

    from indexer.evaluation.devset import load_devset

    parser = argparse.ArgumentParser(prog="python -m indexer.evaluation.reasons_eval")
    parser.add_argument("cache", nargs="?", type=Path, default=None)
    parser.add_argument("--save", type=Path, default=None)
    parser.add_argument("--examples", type=Path, default=None)
    args = parser.parse_args()
    devset = load_devset(DEFAULT_DEVSET)
    if args.examples is not None:
        examples = json.loads(args.examples.read_text(encoding="utf-8"))
    else:
        from models import load_model

        model = load_model("multilingual-e5-small", args.cache)
        examples = shown_reasons(model, devset, DEFAULT_DEVSET)
    if args.save is not None:
        args.save.write_text(json.dumps(examples, ensure_ascii=False, indent=1), encoding="utf-8")
    print("\n".join(format_reasons(score_examples(examples, devset, DEFAULT_DEVSET))))


if __name__ == "__main__":
    main()
