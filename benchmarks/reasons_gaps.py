"""Where the reasons miss, on the dev set's tune part only; one held-out line with ``--final``.

For every labelled tune pair (``data/devset/term_links.jsonl``, split ``tune``) prints the
shown shared terms and links, each marked ``+`` (expected or judged acceptable), ``-``
(judged not acceptable) or ``?`` (unjudged), and the expected links no shown link matched.
Held-out pairs are only counted: their expected links are never printed or compared here
beyond the summary figures of :func:`indexer.evaluation.reasons_eval.score_examples`.

``--unjudged FILE`` writes every shown term of every labelled pair (tune and held-out) that
``term_judgements.jsonl`` holds no verdict for, with the pair's texts, one JSON object a
line, for a blind judge (whether a term is expected is not used, so the file says nothing
about held-out labels).

    python benchmarks/reasons_gaps.py EXAMPLES.json [--unjudged FILE]

``EXAMPLES.json`` is what ``python -m indexer.evaluation.reasons_eval CACHE --save FILE``
wrote.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from indexer.evaluation.devset import DEFAULT_DEVSET, load_devset, read_split  # noqa: E402
from indexer.evaluation.reasons_eval import (  # noqa: E402
    read_judgements,
    read_term_links,
    score_examples,
    term_matches,
)


def _posting_text(posting: object) -> dict[str, object]:
    return {
        "title": getattr(posting, "title", ""),
        "description": getattr(posting, "description", ""),
        "keywords": list(getattr(posting, "keywords", [])),
        "language": getattr(posting, "language", ""),
    }


def main() -> None:
    """Print the tune part's misses and the figures; optionally write the unjudged terms."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("examples", type=Path)
    parser.add_argument("--unjudged", type=Path, default=None)
    parser.add_argument("--quiet", action="store_true", help="figures only")
    parser.add_argument(
        "--final", action="store_true", help="also print the held-out line (once, at the end)"
    )
    args = parser.parse_args()
    examples = json.loads(args.examples.read_text(encoding="utf-8"))
    devset = load_devset(DEFAULT_DEVSET)
    split = read_split(DEFAULT_DEVSET)
    postings = {p.id: p for p in devset.needs + devset.offers}
    judgements = read_judgements(DEFAULT_DEVSET / "term_judgements.jsonl")
    labelled = {(p.need, p.offer): p for p in read_term_links(DEFAULT_DEVSET / "term_links.jsonl")}
    unjudged_rows: list[dict[str, Any]] = []
    for example in examples:
        need, offer = (int(x) for x in str(example["pair"]).split("-"))
        shared = [str(s) for s in example["shared"]]
        links = [(str(a), str(b)) for a, b in example["linked"]]
        for term in shared:
            if judgements.verdict_term(need, offer, term) is None:
                unjudged_rows.append({"need": need, "offer": offer, "term": term})
        for link in links:
            if judgements.verdict_link(need, offer, link) is None:
                unjudged_rows.append({"need": need, "offer": offer, "link": list(link)})
        if split.get(need) != "tune" or args.quiet:
            continue
        pair = labelled[(need, offer)]
        pool = pair.shared + pair.accepted + [t for x in pair.linked for t in x]

        def mark(ok: bool, verdict: bool | None) -> str:
            return "+" if ok or verdict else ("-" if verdict is False else "?")

        n, o = postings[need], postings[offer]
        print(f"\n## {need}-{offer} [{n.language}->{o.language}] {n.title} | {o.title}")
        for term in shared:
            ok = any(term_matches(term, e) for e in pool)
            print(f"  shared {mark(ok, judgements.verdict_term(need, offer, term))} {term}")
        for link in links:
            ok = any(
                term_matches(link[0], e[0]) and term_matches(link[1], e[1]) for e in pair.linked
            )
            print(f"  link   {mark(ok, judgements.verdict_link(need, offer, link))} {link}")
        for exp in pair.linked:
            if not any(term_matches(s[0], exp[0]) and term_matches(s[1], exp[1]) for s in links):
                print(f"  MISSED {exp}")
    result = score_examples(examples, devset, DEFAULT_DEVSET)
    print("\nload", [round(x, 2) for x in os.getloadavg()])
    print("tune", result["tune"])  # cross_language mixes held-out pairs: not printed here
    held = result["heldout"]
    if args.final:
        print(
            "heldout (report only)",
            {k: held[k] for k in ("pairs", "shown", "judged_precision", "link_recall", "unjudged")},
        )
    if args.unjudged is not None:
        with open(args.unjudged, "w", encoding="utf-8") as fh:
            for row in unjudged_rows:
                row["need_text"] = _posting_text(postings[int(row["need"])])
                row["offer_text"] = _posting_text(postings[int(row["offer"])])
                fh.write(json.dumps(row, ensure_ascii=False) + "\n")
        print(f"{len(unjudged_rows)} unjudged shown terms -> {args.unjudged}")


if __name__ == "__main__":
    main()
