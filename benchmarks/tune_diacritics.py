"""Choose the restorer's weights on the tuning part: syllable accuracy on the tune part's
Vietnamese needs, stripped, with restorers trained *without* those needs (the default one
reads them), over a grid of word-list weights and in-domain weights. Held-out needs are
never read.

    python benchmarks/tune_diacritics.py
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from benchmarks.machine import machine
from indexer.evaluation.devset import load_devset, read_split, split_parts
from indexer.postings import Posting
from vocabulary import diacritics as d


def accuracy(restorer: d.DiacriticRestorer, needs: list[Posting]) -> float:
    """Share of syllables restored right in the stripped texts of ``needs``."""
    total = right = 0
    for need in needs:
        for text in (need.title, need.description, *need.keywords):
            want = [d.classic_tone(w) for w in d.syllables(text)]
            got = d.syllables(restorer.restore(d.strip_diacritics(text)))
            if len(want) == len(got):
                total += len(want)
                right += sum(w == g for w, g in zip(want, got, strict=True))
    return right / total if total else 0.0


def main() -> None:
    tune = [n for n in split_parts(load_devset(), read_split())["tune"].needs if n.language == "vi"]
    offers = Path("data/devset/offers.jsonl")
    texts = d.domain_texts((offers, *d._DOMAIN_FILES))  # the dev set's offers, no needs
    domain = [s for t in texts for s in d.text_sentences(t)] + list(d.written_sentences())
    corpus, words = list(d.corpus_sentences()), list(d.lexicon_words())
    rows = []
    for word_weight in (1.0, 0.3, 0.1, 0.03):
        for domain_weight in (2, 4, 8):
            model = d.DiacriticRestorer.train(
                corpus + domain * domain_weight, words=words, word_weight=word_weight
            )
            rows.append(
                {
                    "word_weight": word_weight,
                    "domain_weight": domain_weight,
                    "tune_syllable_accuracy": round(accuracy(model, tune), 4),
                }
            )
            print(rows[-1], flush=True)
    print(json.dumps({"load": os.getloadavg(), "machine": machine()}, default=str))


if __name__ == "__main__":
    main()
