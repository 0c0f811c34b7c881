"""A fusion fitted at an "earlier fair": the dev set's first round only (issue 17).

The dev set was written in two rounds (``data/devset/README.md``): needs 1–55 with offers
1001–1100, then needs 56–101 with offers 1101–1170, written "the way real posters write"
(shorter, vaguer, more abbreviations, more cross-lingual-only needs). The fusion the
service ships was fitted on the tuning part of both rounds, so the decisions a benchmark
simulates from the same labels tell it nothing new. A fair's real situation is different:
the built-in ranking was fitted on *other* postings, and the fair's moderators decide on
its own. This module gives that situation from the dev set: the fusion fitted, exactly as
``benchmarks/fit_fusion.py`` fits it (5-fold CV by need over C and the grade weighting,
then every pair), on the first round's postings alone — an engine holding only them, so
that no second-round text or label reaches the fit; the second round's needs are the fair.
The other way round (``earlier=2``): fitted on the second round's needs (with every offer,
as that round was judged), the fair is the first round's needs.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from benchmarks.fit_fusion import cross_validate, fit_on, pair_table
from indexer.engine import EngineConfig, MatchEngine
from indexer.evaluation.devset import DevSet
from indexer.fusion import FittedFusion

#: the first round's ids (data/devset/README.md, "Second round")
LAST_FIRST_ROUND_NEED = 55
LAST_FIRST_ROUND_OFFER = 1100


def first_round(devset: DevSet) -> DevSet:
    """The dev set as it was after its first round: needs 1–55, offers 1001–1100 and the
    judgements between them."""
    needs = [n for n in devset.needs if n.id <= LAST_FIRST_ROUND_NEED]
    offers = [o for o in devset.offers if o.id <= LAST_FIRST_ROUND_OFFER]
    qrels = {
        n.id: {o: g for o, g in devset.qrels.get(n.id, {}).items() if o <= LAST_FIRST_ROUND_OFFER}
        for n in needs
    }
    return DevSet(needs=needs, offers=offers, qrels=qrels, tags=devset.tags)


def second_round(devset: DevSet) -> DevSet:
    """The second round's needs (56–101) with every offer and their judgements."""
    needs = [n for n in devset.needs if n.id > LAST_FIRST_ROUND_NEED]
    qrels = {n.id: dict(devset.qrels.get(n.id, {})) for n in needs}
    return DevSet(needs=needs, offers=devset.offers, qrels=qrels, tags=devset.tags)


def fair_needs(devset: DevSet, earlier: int = 1) -> list[int]:
    """The ids of the needs of the fair: the round the fusion was *not* fitted on."""
    first = {n.id for n in first_round(devset).needs}
    return sorted(n.id for n in devset.needs if (n.id in first) == (earlier == 2))


def earlier_fair_fusion(
    model: Any, devset: DevSet, earlier: int = 1
) -> tuple[FittedFusion, dict[str, Any]]:
    """The fusion fitted on round ``earlier`` only (1 or 2), with ``model`` (already
    loaded; a :class:`~indexer.evaluation.caching.CachedModel` embeds nothing twice), and
    what was chosen: ``{"round": r, "cv_ndcg@10": {...}, "C": c, "weighting": w}``."""
    first = first_round(devset) if earlier == 1 else second_round(devset)
    engine = MatchEngine(model, EngineConfig(fitted_fusion=False))
    engine.upsert(first.needs + first.offers)
    table = pair_table(engine, first)
    need_ids = [n.id for n in first.needs]
    grid = cross_validate(table, first, need_ids)
    choice = max(grid, key=lambda k: (grid[k], k))
    c = float(choice.split(",")[0].removeprefix("C="))
    weighting = choice.split(",")[1]
    fitted = fit_on(table, np.ones(len(table["need"]), dtype=bool), c, weighting)
    return fitted, {"round": earlier, "cv_ndcg@10": grid, "C": c, "weighting": weighting}
