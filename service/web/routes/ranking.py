"""The ranking page ``/ranking`` (moderators, admins): which ranking is in use, the
decisions so far, learn from them, go back to the built-in one, and every attempt.

The page calls :class:`service.ranking.RankingService` as ``POST /api/v1/ranking/learn``,
``GET /api/v1/ranking`` and ``POST /api/v1/ranking/reset`` do; a learn attempt redirects
to ``/ranking?attempt=ID``, which shows that attempt's held-out figures and, in the page's
language, why it was or was not switched on (rebuilt from the stored figures).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from starlette.concurrency import run_in_threadpool

from service.api.deps import DatabaseDep, RankingDep
from service.matching import MIN_DECISIONS, MIN_NEEDS, Evaluation
from service.ranking.decisions import decided_pairs
from service.ranking.messages import TooFewDecisions, reason_vi
from service.schemas.ranking import RankingVersion
from service.web.i18n import translate
from service.web.pages import SignedInStaffDep, checked_form, language, redirect, render

router = APIRouter(include_in_schema=False)


def attempt_reason(row: RankingVersion, lang: str) -> str:
    """Why the stored attempt ``row`` was (not) switched on, in ``lang`` (the stored
    English reason when its figures are of another shape)."""
    if row.action == "reset":
        return ""  # the action column says it
    if row.figures is None:
        return row.reason or ""
    if lang != "vi":
        return str(row.figures.get("reason") or row.reason or "")
    try:
        return reason_vi(Evaluation.from_json(row.figures))
    except (KeyError, TypeError):
        return row.reason or ""


def decision_counts(database: Any) -> dict[str, int]:
    """The usable decisions recorded so far (before the index check the learner adds)."""
    with database.session() as session:
        decided = decided_pairs(session)
    accepted = sum(d.label for d in decided)
    return {
        "decisions": len(decided),
        "accepted": accepted,
        "rejected": len(decided) - accepted,
        "needs": len({d.need_id for d in decided}),
        "min_decisions": MIN_DECISIONS,
        "min_needs": MIN_NEEDS,
    }


def _page(
    request: Request,
    ranking: Any,
    database: Any,
    error: str | None = None,
    status: int = 200,
) -> Response:
    lang = language(request)
    current = ranking.status()
    chosen = request.query_params.get("attempt")
    attempt = next((r for r in current.history if str(r.version) == chosen), None)
    context = {
        "status": current,
        "counts": decision_counts(database),
        "attempt": attempt,
        "attempt_reason": attempt_reason(attempt, lang) if attempt is not None else "",
        "reasons": {r.version: attempt_reason(r, lang) for r in current.history},
        "error": error,
    }
    return render(request, "ranking.html", context, status)


@router.get("/ranking")
def ranking_page(
    request: Request, principal: SignedInStaffDep, ranking: RankingDep, database: DatabaseDep
) -> Response:
    """The ranking in use, the decisions so far, the learn and reset buttons, the history."""
    return _page(request, ranking, database)


@router.post("/ranking/learn")
async def learn(
    request: Request, principal: SignedInStaffDep, ranking: RankingDep, database: DatabaseDep
) -> Response:
    """Learn from the decisions so far; too few is the page again with the numbers (409)."""
    await checked_form(request)
    lang = language(request)
    try:
        out = await run_in_threadpool(ranking.learn, principal)
    except TooFewDecisions as exc:
        return _page(request, ranking, database, exc.message(lang), 409)
    if out.switched:
        flash = translate("rank.switched", lang, version=out.version)
    else:
        reason = out.reason_vi if lang == "vi" else out.reason
        flash = translate("rank.not_switched", lang, version=out.version, reason=reason)
    return redirect(request, f"/ranking?attempt={out.version}", flash)


@router.post("/ranking/reset")
async def reset(request: Request, principal: SignedInStaffDep, ranking: RankingDep) -> Response:
    """Back to the built-in ranking for every worker."""
    await checked_form(request)
    await run_in_threadpool(ranking.reset, principal)
    return redirect(request, "/ranking", translate("rank.reset_done", language(request)))
