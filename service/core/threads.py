"""How many native threads one worker process gives FAISS, BLAS and torch.

Every native library sizes its thread pool to the machine's cores by default. With
``techmatch serve --workers N`` that is N times too many: the workers' OpenMP and BLAS
threads spin on the same cores (a match request's matrices are small, where an OpenBLAS
thread pool costs far more CPU than it saves: ``benchmarks/bench_worker_threads.py``).
The rule (:func:`thread_budget`): ``TECHMATCH_WORKER_THREADS`` when set, else
``cores // workers`` (at least 1) for FAISS's OpenMP searches of large batches (small
ones run on one thread anyway, ``indexer/ann.py``) and torch's intra-op pool; numpy's
BLAS runs on ``TECHMATCH_BLAS_THREADS`` threads (default 1; 0: the worker budget).

:func:`export_env` puts the budget into ``OMP_NUM_THREADS`` / ``OPENBLAS_NUM_THREADS``
before the libraries load (OpenMP reads it once, at load, for every thread a process
starts later); :func:`apply` sets the pools of the libraries already loaded.
"""

from __future__ import annotations

import os
import sys
from dataclasses import asdict, dataclass
from typing import Any

#: Set by ``techmatch serve --workers N`` for its worker processes (``Settings.workers``).
WORKERS_ENV = "TECHMATCH_WORKERS"


@dataclass(frozen=True)
class ThreadBudget:
    """``threads`` for OpenMP (FAISS) and torch, ``blas_threads`` for numpy's BLAS; the
    ``cores`` this process may use, the ``workers`` sharing them and where ``threads``
    came from (``source``: ``auto`` or ``TECHMATCH_WORKER_THREADS``)."""

    threads: int
    blas_threads: int
    cores: int
    workers: int
    source: str


def available_cores() -> int:
    """Cores this process may run on (its CPU affinity, e.g. under ``taskset``)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def thread_budget(
    workers: int, cores: int, worker_threads: int = 0, blas_threads: int = 1
) -> ThreadBudget:
    """The budget of one of ``workers`` processes on ``cores`` cores: ``worker_threads``
    when above 0, else ``cores // workers`` (at least 1); ``blas_threads`` 0 means the
    same as the worker budget."""
    workers, cores = max(1, workers), max(1, cores)
    if worker_threads > 0:
        threads, source = worker_threads, "TECHMATCH_WORKER_THREADS"
    else:
        threads, source = max(1, cores // workers), "auto"
    blas = blas_threads if blas_threads > 0 else threads
    return ThreadBudget(threads, blas, cores, workers, source)


def export_env(budget: ThreadBudget) -> None:
    """Write the budget into the variables native libraries read when they load (this
    process and the processes it starts)."""
    os.environ["OMP_NUM_THREADS"] = str(budget.threads)
    for name in ("OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[name] = str(budget.blas_threads)


GIL_SWITCH_INTERVAL_S = 0.0005
"""How long a thread holding the GIL runs before a waiting one gets it (Python's default is
5 ms). A match request gives the GIL up at every FAISS and numpy call and must win it back
each time; behind a ``/pairs`` over the pool that held it for 5 ms at every turn (the
convoy effect), so a match waited tens of milliseconds for a few of its own."""


def apply(budget: ThreadBudget) -> None:
    """Size the pools of the libraries already loaded: BLAS (process-wide), OpenMP (the
    calling thread; later threads follow ``OMP_NUM_THREADS``, see :func:`export_env`) and
    torch's intra-op pool when torch is loaded; shorten the GIL's switch interval
    (:data:`GIL_SWITCH_INTERVAL_S`)."""
    from threadpoolctl import threadpool_limits

    sys.setswitchinterval(GIL_SWITCH_INTERVAL_S)

    threadpool_limits(limits=budget.blas_threads, user_api="blas")
    threadpool_limits(limits=budget.threads, user_api="openmp")
    torch = sys.modules.get("torch")
    if torch is not None:
        torch.set_num_threads(budget.threads)


def status(budget: ThreadBudget) -> dict[str, Any]:
    """For ``/health``: the budget and the thread count each loaded library reports to
    the calling thread (a request thread: what a request gets)."""
    from threadpoolctl import threadpool_info

    libraries = [
        {"api": lib["user_api"], "library": lib["prefix"], "threads": lib["num_threads"]}
        for lib in threadpool_info()
    ]
    return {**asdict(budget), "libraries": libraries}
