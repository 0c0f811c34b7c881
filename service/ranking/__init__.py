"""The ranking learned from moderator decisions (issue 17).

| module | job |
|---|---|
| ``decisions`` | the decided pairs a ranking learns from (label, graded gain) |
| ``store`` | the ``ranking_models`` rows: every learn attempt and reset, the active one |
| ``messages`` | the 409 for too few decisions, and why a ranking was not switched on (vi + en) |
| ``service`` | :class:`RankingService` (learn, status, reset), :class:`RankingWatcher` |
"""

from __future__ import annotations

from service.ranking.service import RankingService, RankingWatcher

__all__ = ["RankingService", "RankingWatcher"]
