"""``POST /hints``: the coach's hints for an unsaved draft, so a form can show them while
the poster writes."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from fastapi.concurrency import run_in_threadpool

from service.api.deps import MatcherDep, PrincipalDep, require_json
from service.coach import Draft, coach
from service.schemas.common import ERROR_RESPONSES
from service.schemas.postings import HintOut, HintsOut, HintsRequest

router = APIRouter(tags=["coach"], responses=ERROR_RESPONSES)


@router.post(
    "/hints",
    response_model=HintsOut,
    summary="Hints for a draft posting",
    dependencies=[Depends(require_json)],
)
async def draft_hints(principal: PrincipalDep, matcher: MatcherDep, data: HintsRequest) -> HintsOut:
    """Check a draft need or offer (nothing is stored): missing fields, a description too
    short or vague, key terms no counterpart uses, and — with the `id` of a saved need —
    what the nearest offers say when none is recommended. Any key may ask."""
    fields = data.model_dump(mode="json", exclude={"kind", "id"})
    draft = Draft.of_dict(data.kind.value, fields, data.id)
    hints = await run_in_threadpool(coach, draft, matcher)
    return HintsOut(language=draft.lang, hints=[HintOut(**h.to_dict()) for h in hints])  # type: ignore[arg-type]
