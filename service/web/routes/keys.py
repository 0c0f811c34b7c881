"""The admins' key page: create company and institute keys (each shown once, on a
printable welcome sheet per booth: organization, key, sign-in address) and revoke keys."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response

from service.api.deps import DatabaseDep
from service.auth import keys as key_store
from service.auth.roles import Principal, Role, can_manage_keys
from service.web.i18n import translate
from service.web.pages import WebError, checked_form, language, redirect, render, require_principal

router = APIRouter(include_in_schema=False)

#: Roles an admin hands out from the page.
PAGE_ROLES = (Role.company, Role.institute, Role.moderator)
#: Most keys created by one submission.
MAX_KEYS = 200


def require_admin_page(principal: Annotated[Principal, Depends(require_principal)]) -> Principal:
    """The signed-in admin (the 403 page for anyone else)."""
    if not can_manage_keys(principal):
        raise WebError(403, "error.403")
    return principal


AdminPageDep = Annotated[Principal, Depends(require_admin_page)]


def _list_page(request: Request, database: DatabaseDep, error: str | None = None) -> Response:
    with database.session() as session:
        rows = key_store.list_keys(session)
    context = {"keys": rows, "roles": [r.value for r in PAGE_ROLES], "error": error}
    return render(request, "keys.html", context, 422 if error else 200)


@router.get("/keys")
def keys_page(request: Request, principal: AdminPageDep, database: DatabaseDep) -> Response:
    """The keys in use and the form that creates more."""
    return _list_page(request, database)


@router.post("/keys")
async def create_keys(request: Request, principal: AdminPageDep, database: DatabaseDep) -> Response:
    """One key per organization line; the answer is the printable welcome sheets (the only
    time the keys are shown)."""
    form = await checked_form(request)
    lang = language(request)
    try:
        role = Role(str(form.get("role") or ""))
    except ValueError as exc:
        raise WebError(422, "error.title") from exc
    if role not in PAGE_ROLES:
        raise WebError(422, "error.title")
    orgs = [line.strip() for line in str(form.get("organizations") or "").splitlines()]
    orgs = list(dict.fromkeys(o for o in orgs if o))[:MAX_KEYS]
    if not orgs:
        return _list_page(request, database, translate("keys.no_orgs", lang))
    if any(len(o) > 200 for o in orgs):
        return _list_page(request, database, translate("keys.bad_org", lang))
    sheets = []
    with database.session(write=True) as session:
        for org in orgs:
            new = key_store.create_key(session, role, org, name="web")
            sheets.append({"organization": org, "role": role.value, "key": new.secret})
    address = str(request.base_url)
    return render(request, "keys_created.html", {"sheets": sheets, "address": address})


@router.post("/keys/{key_id:int}/revoke")
async def revoke(
    request: Request, key_id: int, principal: AdminPageDep, database: DatabaseDep
) -> Response:
    """Revoke a key: it stops working at once (its browser sessions too)."""
    await checked_form(request)
    with database.session(write=True) as session:
        row = key_store.revoke_key(session, key_id)
    if row is None:
        raise WebError(404, "error.404")
    return redirect(request, "/keys", translate("keys.revoked", language(request), id=key_id))
