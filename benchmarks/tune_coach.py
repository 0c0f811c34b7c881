"""Tuning the coach's measured hints (``term_unused``, ``need_no_recommended_offer``) on
a tuning sample kept apart from the 40 labelled postings of ``bench_coach.py``.

    PYTHONPATH=$PWD python benchmarks/tune_coach.py --model-cache .cache/models \
        --backend onnx-int8-vnni-fused --out DIR

Stores and indexes the dev set as ``bench_coach.py`` does, then, for each variant of the
triggers (module constants of ``service.coach.vocabulary`` and ``service.coach.reach``),
writes the two hints fired on the tuning sample (``data/coach/labels_tune.jsonl``'s
postings, or the default sample) and on the held-out 40 with the context a labeller needs
(title, description, the nearest counterparts and their scores), one JSONL per variant;
and the agreement of each variant with the tuning labels. ``reach_proxy.jsonl``: for every
dev need outside the labelled 40 that gets the reach hint, the best offer's score and the
grades (``qrels.tsv``, 0 when unjudged) of the 3 offers it names — a label-free check of
whether a score floor could tell hints that name a right offer from off-topic ones.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path
from typing import Any

from benchmarks.bench_coach import COACH, STAFF, Pool, qrels, read_jsonl
from service.coach import Draft, reach, vocabulary

#: The default tuning sample: 15 tuning-part needs and 15 offers, none of the labelled 40.
TUNE_NEEDS = (2, 11, 15, 22, 26, 33, 37, 44, 47, 52, 60, 65, 72, 82, 91)
TUNE_OFFERS = tuple(range(1005, 1160, 10))

#: Trigger variants still switchable by a constant (the others tried — mutual nearest
#: words, cosine floors 0.87 / 0.89, a score floor for the nearest offers — are in
#: docs/coach.md with their tuning figures).
VARIANTS: dict[str, dict[str, Any]] = {
    "glossary_only": {"RECOMMENDED_ONLY": True, "NEAREST_WORDS": "never"},
    "near_if_no_glossary": {"RECOMMENDED_ONLY": True, "NEAREST_WORDS": "no_glossary"},
    "recommended": {"RECOMMENDED_ONLY": True, "NEAREST_WORDS": "always"},
    "all_near": {"RECOMMENDED_ONLY": False, "NEAREST_WORDS": "always"},
}


def configure(settings: dict[str, Any]) -> None:
    """Sets the trigger constants of one variant (on the module that has them)."""
    for name, value in settings.items():
        setattr(vocabulary if hasattr(vocabulary, name) else reach, name, value)


def reach_proxy(pool: Pool, needs: list[int]) -> list[dict[str, Any]]:
    """For each need of ``needs`` the reach hint fires on: the best offer's score and the
    grades of the offers the hint names (0 when ungraded)."""
    grades = qrels()
    rows = []
    for dev_id in needs:
        posting_id = pool.db_id[("need", dev_id)]
        draft = Draft.of_row(pool.postings.get(STAFF, "need", posting_id))
        if not reach.hints(draft, pool.matcher):
            continue
        matches = pool.matcher.matches(posting_id, limit=reach.NEAREST)
        named = [pool.dev_id[m.offer_id] for m in matches]
        rows.append(
            {
                "id": dev_id,
                "best_score": round(matches[0].score, 3),
                "named": named,
                "grades": [grades.get((dev_id, o), 0) for o in named],
            }
        )
    return rows


def context(pool: Pool, kind: str, dev_id: int) -> dict[str, Any]:
    """What a labeller reads: the posting and its 5 nearest counterparts with scores."""
    posting_id = pool.db_id[(kind, dev_id)]
    row = pool.postings.get(STAFF, kind, posting_id)
    matches = pool.matcher.matches(posting_id, limit=5)
    near = []
    for m in matches:
        other = pool.matcher.indexed(m.counterpart(kind))  # type: ignore[arg-type]
        near.append(
            {
                "id": pool.dev_id[m.counterpart(kind)],  # type: ignore[arg-type]
                "score": round(m.score, 3),
                "recommended": m.recommended,
                "title": other.title if other else "",
            }
        )
    return {
        "title": row.title,
        "keywords": row.keywords,
        "description": row.description,
        "threshold": pool.matcher.recommend_threshold,
        "near": near,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default="multilingual-e5-small")
    parser.add_argument("--model-cache", type=Path, default=Path(".cache") / "models")
    parser.add_argument("--backend", help="model backend (default auto: the recorded choice)")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    held = sorted({(r["kind"], r["id"]) for r in read_jsonl(COACH / "labels.jsonl")})
    tune = [("need", n) for n in TUNE_NEEDS] + [("offer", o) for o in TUNE_OFFERS]
    labels = read_jsonl(COACH / "labels_tune.jsonl")
    verdict = {(r["kind"], r["id"], r["code"], tuple(r["terms"])): r["agree"] for r in labels}
    with tempfile.TemporaryDirectory() as folder:
        pool = Pool(args.model, args.model_cache, Path(folder), args.backend)
        others = [d for k, d in pool.db_id if k == "need" and ("need", d) not in held]
        proxy = reach_proxy(pool, sorted(others))
        (args.out / "reach_proxy.jsonl").write_text("".join(json.dumps(r) + "\n" for r in proxy))
        contexts = {key: context(pool, *key) for key in tune + held}
        (args.out / "contexts.json").write_text(
            json.dumps({f"{k}:{i}": v for (k, i), v in contexts.items()}, ensure_ascii=False)
        )
        summary = {}
        for name, settings in VARIANTS.items():
            configure(settings)
            rows = []
            for part, keys in (("tune", tune), ("held", held)):
                for kind, dev_id in keys:
                    row = pool.postings.get(STAFF, kind, pool.db_id[(kind, dev_id)])
                    draft = Draft.of_row(row)
                    for hint in vocabulary.hints(draft, pool.matcher) + reach.hints(
                        draft, pool.matcher
                    ):
                        h = hint.to_dict()
                        rows.append({"part": part, "kind": kind, "id": dev_id, **h})
            (args.out / f"{name}.jsonl").write_text(
                "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)
            )
            judged = [
                verdict[key]
                for r in rows
                if r["part"] == "tune"
                and (key := (r["kind"], r["id"], r["code"], tuple(r["terms"]))) in verdict
            ]
            summary[name] = {
                "tune_hints": sum(r["part"] == "tune" for r in rows),
                "held_hints": sum(r["part"] == "held" for r in rows),
                "tune_judged": len(judged),
                "tune_agreed": sum(map(bool, judged)),
            }
            print(name, summary[name], flush=True)
        pool.matcher.close()
    (args.out / "summary.json").write_text(json.dumps(summary, indent=1))


if __name__ == "__main__":
    main()
