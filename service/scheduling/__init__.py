"""Meeting scheduler: accepted need–offer pairs in, 1:1 meetings at (slot, table) out.

A pure function with no database or HTTP: ``schedule`` (CP-SAT, fairness then value),
``greedy_schedule`` (baseline) and ``violations`` (independent constraint checker).
"""

from service.scheduling.greedy import greedy_schedule
from service.scheduling.model import (
    CandidatePair,
    InfeasibleScheduleError,
    Meeting,
    ScheduleProblem,
    ScheduleResult,
)
from service.scheduling.solver import VALUE_SCALE, schedule
from service.scheduling.validate import violations

__all__ = [
    "VALUE_SCALE",
    "CandidatePair",
    "InfeasibleScheduleError",
    "Meeting",
    "ScheduleProblem",
    "ScheduleResult",
    "greedy_schedule",
    "schedule",
    "violations",
]
