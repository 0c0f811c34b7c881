"""The posting coach on the development set: how often each hint fires, the share of
hand-labelled hints a poster would agree with, and whether rewritten postings rank their
right counterparts higher.

    PYTHONPATH=$PWD python benchmarks/bench_coach.py --model multilingual-e5-small \
        --model-cache .cache/models --backend onnx-int8-vnni-fused \
        [--dump hints.jsonl] [--out result.json]

``--backend`` names how the model runs (default ``auto``: the recorded choice of
``models/backend_select.py``, measured when the model folder has no record for this CPU).

Every dev posting is stored through ``PostingService`` (SQLite in a temporary folder, the
real index), then checked by :func:`service.coach.coach` exactly as the API does after a
save. ``data/coach/labels.jsonl`` holds one line per hint fired on 40 dev postings:
``{"kind", "id", "code", "terms", "agree", "note"}``; ``data/coach/rewrites.jsonl`` holds
postings rewritten to follow their hints (``{"kind", "id", "title", "description",
"keywords", "province", "follows"}``): the right counterparts (grade ≥ 1) are ranked
before and after the rewrite, in the same pool. Those rewrites follow the completeness
hints; ``data/coach/rewrites_measured.jsonl`` (same form, plus ``adopts``: the hint's
words taken) rewrites the original postings to follow only the measured hints
(``term_unused``, ``need_no_recommended_offer``) that fire now and that a poster agreed
with (``labels.jsonl``), so that their effect on the ranking is measured apart.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

from benchmarks.machine import machine
from service.auth.roles import Principal, Role
from service.coach import Draft, coach
from service.coach.registry import CODES
from service.db.engine import Database
from service.db.migrate import upgrade
from service.matching import Matcher
from service.postings import PostingService
from service.schemas.postings import PostingCreate, PostingUpdate

ROOT = Path(__file__).resolve().parents[1]
DEVSET = ROOT / "data" / "devset"
COACH = ROOT / "data" / "coach"
FIELDS = ("title", "description", "keywords", "sector", "trl", "language", "organization")
STAFF = Principal(role=Role.admin, organization="Ban tổ chức Techfest")


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    """The rows of a JSONL file (none when it is missing)."""
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def qrels() -> dict[tuple[int, int], int]:
    """``{(need dev id, offer dev id): grade}``."""
    lines = (DEVSET / "qrels.tsv").read_text(encoding="utf-8").splitlines()[1:]
    return {(int(n), int(o)): int(g) for n, o, g in (line.split("\t") for line in lines)}


class _Later:
    """Stands in for the matcher while the dev set is stored: the real one indexes every
    posting at once when it starts (batched embedding), instead of one sync per create."""

    def sync(self, ids: object) -> None:
        """Nothing yet."""


class Pool:
    """The dev set stored and indexed; dev ids ↔ database ids."""

    def __init__(
        self, model: str, model_cache: Path | None, folder: Path, backend: str | None = None
    ) -> None:
        self.database = Database(f"sqlite:///{folder / 'coach.db'}")
        upgrade(self.database)
        self.db_id: dict[tuple[str, int], int] = {}
        self.dev_id: dict[int, int] = {}
        writer = PostingService(self.database, _Later())  # type: ignore[arg-type]
        for kind in ("need", "offer"):
            for row in read_jsonl(DEVSET / f"{kind}s.jsonl"):
                data = PostingCreate.model_validate({k: row[k] for k in FIELDS if k in row})
                stored = writer.create(STAFF, kind, data)
                self.db_id[(kind, row["id"])] = stored.id
                self.dev_id[stored.id] = row["id"]
        self.matcher = Matcher(
            self.database,
            model,
            folder / "index",
            model_cache,
            save_delay=-1,
            model_backend=backend,
        )
        self.matcher.start()
        self.postings = PostingService(self.database, self.matcher)

    def hints(self, kind: str, dev_id: int) -> list[dict[str, Any]]:
        """The coach's hints for a stored dev posting."""
        row = self.postings.get(STAFF, kind, self.db_id[(kind, dev_id)])
        return [h.to_dict() for h in coach(Draft.of_row(row), self.matcher)]

    def ranks(self, kind: str, dev_id: int, right: set[int]) -> list[int]:
        """1-based ranks of the ``right`` counterparts (dev ids) in the posting's matches
        (a counterpart not listed gets the pool size + 1)."""
        matches = self.matcher.matches(self.db_id[(kind, dev_id)], limit=1000)
        order = [self.dev_id[m.counterpart(kind)] for m in matches]  # type: ignore[arg-type]
        return [order.index(r) + 1 if r in order else len(self.dev_id) + 1 for r in sorted(right)]


def fire_rates(pool: Pool) -> tuple[dict[str, dict[str, float]], list[dict[str, Any]]]:
    """Share of dev needs and offers each hint code fires on, and every posting's hints."""
    rates: dict[str, dict[str, float]] = {}
    dump: list[dict[str, Any]] = []
    for kind in ("need", "offer"):
        ids = sorted(d for k, d in pool.db_id if k == kind)
        counts: Counter[str] = Counter()
        for dev_id in ids:
            hints = pool.hints(kind, dev_id)
            counts.update({h["code"] for h in hints})
            dump.append({"kind": kind, "id": dev_id, "hints": hints})
        rates[kind] = {c: round(counts[c] / len(ids), 3) for c in CODES if counts[c]}
        rates[kind]["postings"] = len(ids)
        rates[kind]["hints_per_posting"] = round(
            sum(len(d["hints"]) for d in dump if d["kind"] == kind) / len(ids), 2
        )
    return rates, dump


def agreement(dump: list[dict[str, Any]]) -> dict[str, Any]:
    """Share of labelled hints a poster would agree with, overall and per code; labels
    whose hint no longer fires (same code and terms) are counted apart (``stale``)."""
    fired = {(d["kind"], d["id"], h["code"], tuple(h["terms"])) for d in dump for h in d["hints"]}
    labels = read_jsonl(COACH / "labels.jsonl")
    live = [
        lab
        for lab in labels
        if (lab["kind"], lab["id"], lab["code"], tuple(lab.get("terms") or ())) in fired
    ]
    per_code: dict[str, list[bool]] = {}
    for lab in live:
        per_code.setdefault(lab["code"], []).append(bool(lab["agree"]))
    agreed = sum(bool(lab["agree"]) for lab in live)
    return {
        "postings": len({(lab["kind"], lab["id"]) for lab in labels}),
        "hints": len(live),
        "stale": len(labels) - len(live),
        "agreed_share": round(agreed / len(live), 3) if live else None,
        "per_code": {c: round(sum(v) / len(v), 2) for c, v in sorted(per_code.items())},
    }


def rewrites(
    pool: Pool, grades: dict[tuple[int, int], int], name: str = "rewrites.jsonl"
) -> dict[str, Any]:
    """Ranks of the right counterparts before and after each rewrite of ``data/coach/``
    ``name`` (median over pairs)."""
    rows = read_jsonl(COACH / name)
    items: list[dict[str, Any]] = []
    for row in rows:
        kind, dev_id = row["kind"], row["id"]
        if kind == "need":
            right = {o for (n, o), g in grades.items() if n == dev_id and g >= 1}
        else:
            right = {n for (n, o), g in grades.items() if o == dev_id and g >= 1}
        before = pool.ranks(kind, dev_id, right)
        hints_before = [h["code"] for h in pool.hints(kind, dev_id)]
        terms_before = {h["code"]: h["terms"] for h in pool.hints(kind, dev_id)}
        changes = {k: row[k] for k in ("title", "description", "keywords", "province") if k in row}
        posting_id = pool.db_id[(kind, dev_id)]
        original = pool.postings.get(STAFF, kind, posting_id)
        keep = {k: getattr(original, k) for k in changes}
        pool.postings.update(STAFF, kind, posting_id, PostingUpdate.model_validate(changes))
        after = pool.ranks(kind, dev_id, right)
        hints_after = [h["code"] for h in pool.hints(kind, dev_id)]
        pool.postings.update(STAFF, kind, posting_id, PostingUpdate.model_validate(keep))
        items.append(
            {
                "kind": kind,
                "id": dev_id,
                "right": sorted(right),
                "before": before,
                "after": after,
                "hints_before": hints_before,
                "hints_after": hints_after,
                "terms_before": {
                    c: terms_before[c] for c in row.get("follows", []) if c in terms_before
                },
            }
        )
    pairs_before = [r for i in items for r in i["before"]]
    pairs_after = [r for i in items for r in i["after"]]

    def mrr(ranks: list[int]) -> float:
        return round(sum(1 / r for r in ranks) / len(ranks), 3) if ranks else 0.0

    return {
        "postings": len(items),
        "pairs": len(pairs_before),
        "median_rank_before": statistics.median(pairs_before) if pairs_before else None,
        "median_rank_after": statistics.median(pairs_after) if pairs_after else None,
        "mrr_before": mrr(pairs_before),
        "mrr_after": mrr(pairs_after),
        "pairs_up": sum(a < b for a, b in zip(pairs_after, pairs_before, strict=True)),
        "pairs_down": sum(a > b for a, b in zip(pairs_after, pairs_before, strict=True)),
        "items": items,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default="multilingual-e5-small")
    parser.add_argument("--model-cache", type=Path, default=ROOT / ".cache" / "models")
    parser.add_argument(
        "--backend", help="model backend (torch, onnx-int8, …; default auto: the recorded choice)"
    )
    parser.add_argument("--dump", type=Path, help="write every dev posting's hints (JSONL)")
    parser.add_argument("--out", type=Path, help="write the result (JSON)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        started = time.perf_counter()
        pool = Pool(args.model, args.model_cache, Path(folder), args.backend)
        indexed = time.perf_counter() - started
        started = time.perf_counter()
        rates, dump = fire_rates(pool)
        per_posting_ms = (time.perf_counter() - started) * 1000 / len(dump)
        result = {
            "model": args.model,
            "fire_rates": rates,
            "agreement": agreement(dump),
            "rewrites": rewrites(pool, qrels()),
            "rewrites_measured": rewrites(pool, qrels(), "rewrites_measured.jsonl"),
            "seconds_to_index": round(indexed, 1),
            "coach_ms_per_posting": round(per_posting_ms, 1),
            "machine": machine(getattr(pool.matcher.model, "backend", None)),
        }
        pool.matcher.close()
    if args.dump:
        args.dump.write_text(
            "".join(json.dumps(d, ensure_ascii=False) + "\n" for d in dump), encoding="utf-8"
        )
    text = json.dumps(result, ensure_ascii=False, indent=1)
    if args.out:
        args.out.write_text(text + "\n", encoding="utf-8")
    summary = {k: v for k, v in result.items() if not k.startswith("rewrites")}
    for key in ("rewrites", "rewrites_measured"):
        summary[key] = {k: v for k, v in result[key].items() if k != "items"}
    print(json.dumps(summary, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
