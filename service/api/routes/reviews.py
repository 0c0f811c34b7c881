"""Pair reviews for moderators and admins: ``POST /pairs/{pair_id}/review``,
``GET /reviews`` (JSON or CSV) and ``GET /reviews/audit``."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response

from service.api.deps import ReviewsDep, StaffDep, require_json
from service.api.downloads import TABLE_CONTENT, download
from service.api.params import PairIdPath
from service.csv_export import XLSX
from service.reviews import ReviewQuery
from service.schemas.common import ERROR_RESPONSES
from service.schemas.reviews import AuditLog, Decision, ReviewIn, ReviewItem, ReviewReason, Reviews

router = APIRouter(tags=["reviews"], responses=ERROR_RESPONSES)


@router.post(
    "/pairs/{pair_id}/review",
    response_model=ReviewItem,
    summary="Accept, reject or defer a pair (moderators)",
    dependencies=[Depends(require_json)],
)
def review_pair(
    pair_id: PairIdPath, data: ReviewIn, principal: StaffDep, reviews: ReviewsDep
) -> ReviewItem:
    """Record the decision on a pair (it replaces the previous one; every decision is kept
    in the audit log). A rejected pair is never suggested by `GET /pairs` again."""
    return reviews.review(principal, pair_id, data)


@router.get(
    "/reviews",
    response_model=Reviews,
    summary="Reviewed pairs, JSON, CSV or XLSX (moderators)",
    responses={200: {"content": TABLE_CONTENT, "description": "JSON page, CSV or XLSX"}},
)
def list_reviews(
    principal: StaffDep,
    reviews: ReviewsDep,
    decision: Decision | None = None,
    reason: ReviewReason | None = None,
    need_id: Annotated[int | None, Query(ge=1, le=2**62)] = None,
    offer_id: Annotated[int | None, Query(ge=1, le=2**62)] = None,
    changed: Annotated[
        bool | None, Query(description="Only pairs whose need or offer changed since review.")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 50,
    offset: Annotated[int, Query(ge=0, le=2**31)] = 0,
    format: Annotated[
        Literal["json", "csv", "xlsx"],
        Query(description="`csv` or `xlsx`: every matching row, no paging."),
    ] = "json",
) -> Reviews | Response:
    """Reviewed pairs, most recently reviewed first, with both postings, the review
    (`changed_since_review`) and the interest marks."""
    query = ReviewQuery(
        decision=decision.value if decision else None,
        reason=reason.value if reason else None,
        need_id=need_id,
        offer_id=offer_id,
        changed=changed,
        limit=limit,
        offset=offset,
    )
    if format == "csv":
        return download(reviews.export_csv(query), "reviews.csv")
    if format == "xlsx":
        return download(reviews.export_xlsx(query), "reviews.xlsx", XLSX)
    items, total = reviews.search(principal, query)
    return Reviews(items=items, total=total, limit=limit, offset=offset)


@router.get(
    "/reviews/audit",
    response_model=AuditLog,
    summary="Review audit log, JSON, CSV or XLSX (moderators)",
    responses={200: {"content": TABLE_CONTENT, "description": "JSON page, CSV or XLSX"}},
)
def audit_log(
    principal: StaffDep,
    reviews: ReviewsDep,
    need_id: Annotated[int | None, Query(ge=1, le=2**62)] = None,
    offer_id: Annotated[int | None, Query(ge=1, le=2**62)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 50,
    offset: Annotated[int, Query(ge=0, le=2**31)] = 0,
    format: Annotated[
        Literal["json", "csv", "xlsx"],
        Query(description="`csv` or `xlsx`: every matching entry, no paging."),
    ] = "json",
) -> AuditLog | Response:
    """Every decision ever taken, newest first: who, when, and the decision, reason and
    note before and after."""
    if format == "csv":
        return download(reviews.audit_export("csv", need_id, offer_id), "audit.csv")
    if format == "xlsx":
        return download(reviews.audit_export("xlsx", need_id, offer_id), "audit.xlsx", XLSX)
    items, total = reviews.audit(limit=limit, offset=offset, need_id=need_id, offer_id=offer_id)
    return AuditLog(items=items, total=total, limit=limit, offset=offset)
