"""Agreement between two blind judges' verdicts on the shown reasons (issue 11).

Reads two ``term_judgements.jsonl``-style files (``#`` lines are comments), pairs their
items by (need, offer, term or link), and prints the number of common items, each judge's
acceptance count, the raw agreement, Cohen's kappa (scikit-learn) and every disagreement
with both judges' notes. Items that only one file holds are counted and listed, not scored.

    python benchmarks/judge_agreement.py [--first FILE] [--second FILE] [--json]
"""

from __future__ import annotations

import argparse
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sklearn.metrics import cohen_kappa_score

ROOT = Path(__file__).resolve().parents[1]
DEVSET = ROOT / "data" / "devset"
FIRST = DEVSET / "term_judgements.jsonl"
SECOND = DEVSET / "term_judgements_judge2.jsonl"

Key = tuple[int, int, str, tuple[str, ...]]

# Items whose first-judge verdict data/devset/README.md quotes as an example (section
# *Term judgements*): a second judge who read that README saw these verdicts, so
# ``--unexposed`` scores the agreement without them.
EXPOSED: frozenset[tuple[str, ...]] = frozenset(
    {
        ("quản lý",),
        ("phần mềm",),
        ("ha rau",),
        ("cơ cấu cấp",),
        ("IMO",),
        ("hòa",),
        ("installation", "lắp đặt"),
        ("colour measured", "độ màu"),
        ("ướp đá", "block ice"),
        ("rong", "seaweed"),
        ("trí tuệ nhân tạo", "deep learning"),
        ("tàu cá", "fishing vessel"),
        ("bệnh viện", "hospital"),
        ("export", "xuất khẩu"),
        ("độ mặn", "salinity"),
        ("salinity", "độ mặn"),
    }
)


def item_key(row: dict[str, Any]) -> Key:
    """The identity of a judged item: pair ids, kind (``term``/``link``) and its text."""
    if "link" in row:
        return (row["need"], row["offer"], "link", tuple(row["link"]))
    return (row["need"], row["offer"], "term", (row["term"],))


def read_verdicts(path: Path, skip_judge: str | None = None) -> dict[Key, dict[str, Any]]:
    """The rows of a verdicts file by item key (comment and blank lines skipped; rows whose
    ``judge`` is ``skip_judge`` left out: the first judge's file also holds, in its second
    batch, verdicts the second judge gave alone)."""
    rows: dict[Key, dict[str, Any]] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            row = json.loads(line)
            if skip_judge is None or row.get("judge") != skip_judge:
                rows[item_key(row)] = row
    return rows


@dataclass
class Agreement:
    """Figures of two judges on their common items."""

    items: int
    first_accepted: int
    second_accepted: int
    raw: float
    kappa: float
    both_accept: int
    both_reject: int
    disagreements: list[dict[str, Any]] = field(default_factory=list)
    only_first: int = 0
    only_second: int = 0


def agreement(
    first: dict[Key, dict[str, Any]],
    second: dict[Key, dict[str, Any]],
    skip: frozenset[tuple[str, ...]] = frozenset(),
) -> Agreement:
    """Raw agreement, Cohen's kappa and the disagreements over the items both files judge
    (items whose text is in ``skip`` are left out)."""
    common = [key for key in first if key in second and key[3] not in skip]
    if not common:
        raise ValueError("the two files have no item in common")
    a = [bool(first[key]["accept"]) for key in common]
    b = [bool(second[key]["accept"]) for key in common]
    same = sum(x == y for x, y in zip(a, b, strict=True))
    kappa = float(cohen_kappa_score(a, b, labels=[False, True]))
    disagreements = [
        {
            "need": key[0],
            "offer": key[1],
            "item": " ≈ ".join(key[3]) if key[2] == "link" else key[3][0],
            "kind": key[2],
            "first": first[key]["accept"],
            "second": second[key]["accept"],
            "first_note": first[key].get("note", ""),
            "second_note": second[key].get("note", ""),
        }
        for key, x, y in zip(common, a, b, strict=True)
        if x != y
    ]
    return Agreement(
        items=len(common),
        first_accepted=sum(a),
        second_accepted=sum(b),
        raw=same / len(common),
        kappa=kappa,
        both_accept=sum(x and y for x, y in zip(a, b, strict=True)),
        both_reject=sum(not x and not y for x, y in zip(a, b, strict=True)),
        disagreements=disagreements,
        only_first=sum(key not in second for key in first),
        only_second=sum(key not in first for key in second),
    )


def format_agreement(result: Agreement, first: Path, second: Path) -> list[str]:
    """Human-readable lines: the figures, then one line per disagreement."""
    lines = [
        f"first:  {first.name}   second: {second.name}",
        f"common items: {result.items} (only first: {result.only_first}, "
        f"only second: {result.only_second})",
        f"accepted: first {result.first_accepted}, second {result.second_accepted}; "
        f"both accept {result.both_accept}, both reject {result.both_reject}",
        f"raw agreement: {result.raw:.3f}   Cohen's kappa: {result.kappa:.3f}",
        f"disagreements: {len(result.disagreements)}",
    ]
    for d in result.disagreements:
        verdicts = f"first {'accept' if d['first'] else 'reject'} / second "
        verdicts += "accept" if d["second"] else "reject"
        notes = "; ".join(n for n in (d["first_note"], d["second_note"]) if n)
        lines.append(f"  {d['need']}-{d['offer']} {d['kind']} {d['item']!r}: {verdicts}  [{notes}]")
    return lines


def main() -> None:
    """Print the agreement of the two files (``--json`` for a machine-readable form)."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--first", type=Path, default=FIRST)
    parser.add_argument("--second", type=Path, default=SECOND)
    parser.add_argument("--json", action="store_true")
    parser.add_argument(
        "--unexposed", action="store_true", help="leave out the items README.md quotes"
    )
    args = parser.parse_args()
    skip = EXPOSED if args.unexposed else frozenset()
    result = agreement(read_verdicts(args.first, "judge2"), read_verdicts(args.second), skip)
    if args.json:
        print(json.dumps(result.__dict__, ensure_ascii=False, indent=1))
        return
    print("\n".join(format_agreement(result, args.first, args.second)))
    first, second = read_verdicts(args.first, "judge2"), read_verdicts(args.second)
    for kind in ("term", "link"):
        part = agreement(
            {k: v for k, v in first.items() if k[2] == kind},
            {k: v for k, v in second.items() if k[2] == kind},
            skip,
        )
        print(
            f"{kind}s: {part.items} items, accepted {part.first_accepted} / "
            f"{part.second_accepted}, raw {part.raw:.3f}, kappa {part.kappa:.3f}"
        )


if __name__ == "__main__":
    main()
