"""All postings for moderators and admins, with filters (kind, sector, language, status,
organization, words)."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from service.api.deps import PostingsDep
from service.postings import ListQuery
from service.web.pages import SignedInStaffDep, render
from vocabulary import KINDS

router = APIRouter(include_in_schema=False)

PAGE = 100
STATUSES = ("published", "draft", "archived")


@router.get("/postings/all")
def all_postings(request: Request, principal: SignedInStaffDep, postings: PostingsDep) -> Response:
    """Every posting matching the filters, newest first (at most :data:`PAGE` per kind)."""
    params = request.query_params
    kind = params.get("kind") or ""
    filters = {
        "kind": kind if kind in KINDS else "",
        "sector": params.get("sector") or "",
        "language": params.get("language") if params.get("language") in ("vi", "en") else "",
        "status": params.get("status") if params.get("status") in STATUSES else "",
        "organization": (params.get("organization") or "").strip()[:200],
        "q": (params.get("q") or "").strip()[:200],
    }
    query = ListQuery(
        sector=filters["sector"] or None,
        language=filters["language"] or None,
        status=filters["status"] or None,
        organization=filters["organization"] or None,
        q=filters["q"] or None,
        include_expired=True,
        limit=PAGE,
    )
    groups = []
    for k in KINDS:
        if filters["kind"] and k != filters["kind"]:
            continue
        rows, total = postings.search(principal, k, query)
        groups.append({"kind": k, "rows": rows, "total": total})
    context = {"groups": groups, "filters": filters, "statuses": STATUSES, "kinds": KINDS}
    return render(request, "all_postings.html", context)
