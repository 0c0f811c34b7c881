"""The worker thread budget: the rule, that it reaches the native libraries (in a fresh
process, as a ``serve --workers`` worker starts), and ``/health`` reporting it."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from service.core.config import Settings
from service.core.threads import ThreadBudget, thread_budget
from tests.service.conftest import Api
from tests.service.servers import ROOT


@pytest.mark.parametrize(
    ("workers", "cores", "setting", "expected"),
    [(1, 2, 0, 2), (2, 2, 0, 1), (3, 2, 0, 1), (2, 16, 0, 8), (3, 16, 0, 5), (2, 2, 3, 3)],
)
def test_rule_cores_over_workers_unless_set(
    workers: int, cores: int, setting: int, expected: int
) -> None:
    budget = thread_budget(workers, cores, setting)
    assert budget.threads == expected
    assert budget.source == ("TECHMATCH_WORKER_THREADS" if setting else "auto")
    assert budget.blas_threads == 1  # the default: a request's matrices are small


def test_blas_zero_follows_the_worker_budget() -> None:
    assert thread_budget(1, 4, blas_threads=0).blas_threads == 4
    assert thread_budget(2, 4, blas_threads=0).blas_threads == 2
    assert thread_budget(2, 4, blas_threads=3).blas_threads == 3


def test_settings_read_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TECHMATCH_WORKERS", "2")
    monkeypatch.setenv("TECHMATCH_WORKER_THREADS", "3")
    monkeypatch.setenv("TECHMATCH_BLAS_THREADS", "0")
    settings = Settings()
    assert (settings.workers, settings.worker_threads, settings.blas_threads) == (2, 3, 0)


PROBE = """
import json, threading
from service.core import threads
budget = threads.thread_budget(2, 2)  # one of 2 workers on 2 cores
threads.export_env(budget)
import faiss, numpy
threads.apply(budget)
from threadpoolctl import threadpool_info
seen = {}
def probe():  # a request thread, started after the libraries loaded
    seen["faiss"] = faiss.omp_get_max_threads()
    seen["libs"] = {lib["prefix"]: lib["num_threads"] for lib in threadpool_info()}
t = threading.Thread(target=probe); t.start(); t.join()
print(json.dumps(seen))
"""


def test_a_fresh_worker_process_runs_on_its_share() -> None:
    env = {k: v for k, v in os.environ.items() if not k.endswith("_NUM_THREADS")}
    done = subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen["faiss"] == 1  # OpenMP in a thread started later, not the machine's cores
    assert seen["libs"] and all(n == 1 for n in seen["libs"].values()), seen


def test_health_reports_the_budget(api: Api) -> None:
    body = api.client.get("/health").json()["threads"]
    expected = thread_budget(1, len(os.sched_getaffinity(0)))
    assert ThreadBudget(**{k: body[k] for k in ThreadBudget.__dataclass_fields__}) == expected
    blas = {lib["library"]: lib["threads"] for lib in body["libraries"] if lib["api"] == "blas"}
    assert 1 in blas.values(), body  # numpy's BLAS, process-wide
