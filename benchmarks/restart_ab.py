"""Restart of two code trees over one saved pool, interleaved (a before/after in one run).

    python benchmarks/restart_ab.py prepare --pool /tmp/restart-pool     # once, with the OLD tree
    python benchmarks/restart_ab.py compare --pool /tmp/restart-pool \
        --old /work/main --new . --old-index index --new-index index3m --rounds 3

``prepare`` builds ``bench_restart``'s synthetic pool of 100,000 postings, fills a
SQLite database and saves the index under ``POOL/index`` (run it with the old tree on
``PYTHONPATH``, so that the file and the row fingerprints are the old ones). Before
comparing, give the new tree its own copy of the index, converted by one start with the
new code (``one start INDEX --pool POOL``: it saves the new format and fingerprints).
``compare`` then runs, round by round, each tree's ``MatchEngine.load`` and
``Matcher.start`` in a fresh process (``one``), and prints one JSON line per run: CPU
seconds of the process (robust to a busy machine), wall seconds and the load average.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path


def prepare(pool: Path) -> None:
    """Build the pool, the database and the saved index under ``pool``."""
    from benchmarks.bench_restart import build_pool, fill_database
    from service.matching import _fingerprint_arrays

    pool.mkdir(parents=True, exist_ok=True)
    engine, postings = build_pool(100_000)
    prints = fill_database(f"sqlite:///{pool}/bench.db", postings)
    engine.save(pool / "index", extra=_fingerprint_arrays(prints))


def one(pool: Path, what: str, folder: str) -> dict[str, object]:
    """One ``load`` or ``start`` of ``pool/folder`` by the tree on ``sys.path``."""
    from benchmarks.bench_restart import RandomModel
    from indexer.engine import MatchEngine
    from service.db.engine import Database
    from service.matching import Matcher

    model = RandomModel()
    MatchEngine(model)  # the per-process VI → EN map, outside the measurement
    out: dict[str, object] = {"what": what, "index": folder}
    started, cpu = time.perf_counter(), time.process_time()
    if what == "load":
        MatchEngine.load(pool / folder, model)
    else:
        database = Database(f"sqlite:///{pool}/bench.db")
        matcher = Matcher(database, model.name, pool / folder, model=model, save_delay=-1)
        matcher.start()
        out.update(rebuilt=matcher.rebuilt, reconciled=matcher.reconciled)
    out["wall_s"] = round(time.perf_counter() - started, 2)
    out["cpu_s"] = round(time.process_time() - cpu, 2)
    out["load_average"] = [round(x, 2) for x in os.getloadavg()]
    return out


def compare(args: argparse.Namespace) -> None:
    """Interleave the two trees' loads and starts (see the module docstring)."""
    runs = []
    trees = (("old", args.old, args.old_index), ("new", args.new, args.new_index))
    for _ in range(args.rounds):
        for what in ("load", "start"):
            for name, tree, folder in trees:
                command = [sys.executable, __file__, "one", what, folder, "--pool", str(args.pool)]
                env = {**os.environ, "PYTHONPATH": str(Path(tree).resolve())}
                line = subprocess.run(command, env=env, check=True, capture_output=True, text=True)
                run = {"tree": name, **json.loads(line.stdout.strip().splitlines()[-1])}
                print(json.dumps(run), flush=True)
                runs.append(run)
    if args.out:
        args.out.write_text(json.dumps(runs, indent=1) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=("prepare", "one", "compare"))
    parser.add_argument("what", nargs="?", default="load", choices=("load", "start"))
    parser.add_argument("folder", nargs="?", default="index")
    parser.add_argument("--pool", type=Path, default=Path("/tmp/restart-pool"))
    parser.add_argument("--old", default="/work/main")
    parser.add_argument("--new", default=".")
    parser.add_argument("--old-index", default="index")
    parser.add_argument("--new-index", default="index3m")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    sys.path.insert(0, os.environ.get("PYTHONPATH", str(Path(__file__).resolve().parents[1])))
    if args.command == "prepare":
        prepare(args.pool)
    elif args.command == "one":
        print(json.dumps(one(args.pool, args.what, args.folder)))
    else:
        compare(args)


if __name__ == "__main__":
    main()
