"""The ``unaccented`` section of ``techmatch eval`` alone, with where it ran.

Vietnamese dev-set needs stripped of their diacritics: nDCG@10 accented / stripped /
stripped then restored per part, the restoration's accuracy, the restorer's training time
and table size, and the restoration time per posting. Writes a JSON result file.

    TECHMATCH_MODEL_CACHE=.cache/models python benchmarks/eval_unaccented.py \\
        --output benchmarks/results/unaccented.json
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import tracemalloc
from pathlib import Path

from benchmarks.machine import machine
from indexer.evaluation.devset import load_devset
from indexer.evaluation.report import format_report, run_evaluation
from indexer.evaluation.unaccented import UnaccentedSection
from models import load_model
from vocabulary import diacritics


def restorer_cost() -> dict[str, float]:
    """Training seconds and traced memory of the default restorer, and the median time to
    restore one stripped dev-set Vietnamese posting (title, description and keywords)."""
    diacritics.default_restorer.cache_clear()
    tracemalloc.start()
    started = time.perf_counter()
    restorer = diacritics.default_restorer()
    train_s = time.perf_counter() - started
    memory = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    texts = [
        [diacritics.strip_diacritics(t) for t in (n.title, n.description, *n.keywords)]
        for n in load_devset().needs
        if n.language == "vi"
    ]
    times = []
    for parts in texts:
        started = time.perf_counter()
        for text in parts:
            restorer.restore(text)
        times.append(time.perf_counter() - started)
    times.sort()
    return {
        "train_s": round(train_s, 2),
        "table_mib": round(memory / 2**20, 1),
        "restore_ms_median": round(1000 * times[len(times) // 2], 2),
        "restore_ms_max": round(1000 * times[-1], 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cache", type=Path, default=os.environ.get("TECHMATCH_MODEL_CACHE"))
    parser.add_argument("--backend", help="onnx-int8, onnx or torch (default: auto)")
    parser.add_argument("--output", type=Path)
    args = parser.parse_args()
    load_before = os.getloadavg()
    cost = restorer_cost()
    model = load_model(None, args.cache, backend=args.backend)
    section = UnaccentedSection()
    report = run_evaluation(model, sections=[section])
    result = {
        "report": report,
        "restorer": cost,
        "load_before": load_before,
        "load_after": os.getloadavg(),
        "machine": machine(getattr(model, "backend", None)),
    }
    print(format_report(report, [section]))
    print(json.dumps(cost))
    if args.output:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(json.dumps(result, indent=2, ensure_ascii=False, default=str))
        print(f"written to {args.output}", file=sys.stderr)


if __name__ == "__main__":
    main()
