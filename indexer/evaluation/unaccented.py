"""Vietnamese needs typed without diacritics: the ranking loss, and the restoration's own
accuracy.

Every Vietnamese need of the dev set is stripped of its diacritics (its language left to
detection, as a form without a language field would send it); the offers stay as written.
The whole set is indexed as the service would hold it and nDCG@10 is compared with the
accented needs, with the engine's diacritic restoration on and off. Restoration accuracy
is measured per syllable on the stripped texts of each part (the restorer never reads the
held-out needs, see :mod:`vocabulary.diacritics`).
"""

from __future__ import annotations

import dataclasses
from statistics import mean
from typing import TYPE_CHECKING, Any

from indexer.engine import EngineConfig, MatchEngine
from indexer.evaluation.caching import shared_model
from indexer.evaluation.context import SectionContext
from indexer.evaluation.devset import DevSet
from indexer.evaluation.metrics import ndcg_at_k
from indexer.postings import Posting
from indexer.text import detect_language
from vocabulary.diacritics import (
    classic_tone,
    default_restorer,
    has_diacritics,
    strip_diacritics,
    syllables,
)

if TYPE_CHECKING:
    from models import EmbeddingModel


def strip_posting(posting: Posting) -> Posting:
    """``posting`` typed without diacritics, its language unknown (to be detected)."""
    return dataclasses.replace(
        posting,
        title=strip_diacritics(posting.title),
        description=strip_diacritics(posting.description),
        keywords=tuple(strip_diacritics(k) for k in posting.keywords),
        language=None,
    )


def stripped_needs(devset: DevSet) -> DevSet:
    """The set with every Vietnamese need stripped of its diacritics (offers as written)."""
    needs = [strip_posting(n) if n.language == "vi" else n for n in devset.needs]
    return DevSet(needs=needs, offers=devset.offers, qrels=devset.qrels, tags=devset.tags)


def restoration_accuracy(postings: list[Posting]) -> dict[str, float]:
    """Accuracy of :func:`vocabulary.diacritics.restore_diacritics` on the stripped texts of
    ``postings``: per syllable, over all syllables and over those that carry marks when
    written properly (where a plain copy would be wrong), and per keyword (a key term such
    as "xử lý nước thải" counts only when every syllable of it is right); tone placement is
    compared as :func:`vocabulary.diacritics.classic_tone` writes it ("hóa" = "hoá")."""
    restorer = default_restorer()
    total = right = marked = marked_right = terms = terms_right = 0
    for posting in postings:
        for field, text in [("text", posting.title), ("text", posting.description)] + [
            ("keyword", k) for k in posting.keywords
        ]:
            want = [classic_tone(w) for w in syllables(text)]
            got = syllables(restorer.restore(strip_diacritics(text)))
            if len(got) != len(want):
                continue
            for w, g in zip(want, got, strict=True):
                total += 1
                right += w == g
                if has_diacritics(w):
                    marked += 1
                    marked_right += w == g
            if field == "keyword" and has_diacritics(text):
                terms += 1
                terms_right += want == got
    return {
        "syllables": total,
        "accuracy": right / total if total else 0.0,
        "marked_accuracy": marked_right / marked if marked else 0.0,
        "keywords": terms,
        "keyword_accuracy": terms_right / terms if terms else 0.0,
    }


def ndcg_by_need(model: EmbeddingModel, devset: DevSet, config: EngineConfig) -> dict[int, float]:
    """nDCG@10 of every judged need, the whole set indexed under ``config``."""
    engine = MatchEngine(model, config)
    engine.upsert(devset.needs + devset.offers)
    out: dict[int, float] = {}
    for need in devset.needs:
        if devset.relevant(need.id):
            ranked = [m.offer_id for m in engine.match(need.id, 10, with_reasons=False)]
            out[need.id] = ndcg_at_k(ranked, devset.qrels[need.id], 10)
    return out


class UnaccentedSection:
    """nDCG@10 of the Vietnamese needs as written, stripped of diacritics, and stripped then
    restored (the engine's default), per part; detection and restoration accuracy."""

    key = "unaccented"

    def compute(self, ctx: SectionContext) -> dict[str, Any]:
        model = shared_model(ctx.model, ctx.options)
        stripped = stripped_needs(ctx.devset)
        base = EngineConfig()
        runs = {
            "accented": ndcg_by_need(model, ctx.devset, base),
            "stripped, no restoration": ndcg_by_need(
                model, stripped, dataclasses.replace(base, restore_diacritics=False)
            ),
            "stripped, restored": ndcg_by_need(model, stripped, base),
        }
        vi_needs = {n.id for n in ctx.devset.needs if n.language == "vi"}
        out: dict[str, Any] = {"parts": {}}
        for part, ds in ctx.parts.items():
            ids = [n.id for n in ds.needs if n.id in vi_needs and n.id in runs["accented"]]
            out["parts"][part] = {
                "vi_needs": len(ids),
                **{name: mean(r[i] for i in ids) if ids else 0.0 for name, r in runs.items()},
                "restoration": restoration_accuracy([n for n in ds.needs if n.id in vi_needs]),
            }
        stripped_vi = [n for n in stripped.needs if n.id in vi_needs]
        out["detected_vi"] = sum(
            detect_language(f"{n.title}. {n.description}") == "vi" for n in stripped_vi
        ) / max(len(stripped_vi), 1)
        return out

    def format(self, data: dict[str, Any]) -> list[str]:
        lines = [
            "#### Vietnamese needs typed without diacritics (nDCG@10 of those needs; "
            f"stripped needs detected as Vietnamese: {data['detected_vi']:.2f})",
            "",
            "| part | VI needs | accented | stripped, no restoration | stripped, restored | "
            "loss after restoration | restoration accuracy: syllables (marked ones) | "
            "keywords restored whole |",
            "|---|---|---|---|---|---|---|---|",
        ]
        for part, r in data["parts"].items():
            acc = r["restoration"]
            lines.append(
                f"| {part} | {r['vi_needs']} | {r['accented']:.3f} | "
                f"{r['stripped, no restoration']:.3f} | {r['stripped, restored']:.3f} | "
                f"{r['accented'] - r['stripped, restored']:+.3f} | {acc['accuracy']:.3f} "
                f"({acc['marked_accuracy']:.3f}) | {acc.get('keyword_accuracy', 0.0):.3f} |"
            )
        return lines + [""]
