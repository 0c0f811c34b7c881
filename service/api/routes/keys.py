"""``/keys`` (admins) and ``/me`` (any key)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Path, status

from service.api.deps import AdminDep, DatabaseDep, PrincipalDep, require_json
from service.auth import keys as key_store
from service.db.models import ApiKeyRow
from service.errors import NotFound
from service.schemas.common import ERROR_RESPONSES
from service.schemas.keys import KeyCreate, KeyOut, Me, NewKeyOut

router = APIRouter(tags=["keys"], responses=ERROR_RESPONSES)


def _out(row: ApiKeyRow) -> KeyOut:
    return KeyOut.model_validate(row, from_attributes=True)


@router.get("/me", response_model=Me, summary="Who am I")
def me(principal: PrincipalDep) -> Me:
    """The role and organization of the presented key."""
    return Me(role=principal.role, organization=principal.organization, key_id=principal.key_id)


@router.post(
    "/keys",
    response_model=NewKeyOut,
    status_code=status.HTTP_201_CREATED,
    summary="Create a key (admins)",
    dependencies=[Depends(require_json)],
)
def create_key(data: KeyCreate, principal: AdminDep, database: DatabaseDep) -> NewKeyOut:
    """A new key; its secret is in `key` and is never shown again."""
    with database.session(write=True) as session:
        new = key_store.create_key(session, data.role, data.organization, data.name)
    return NewKeyOut(**_out(new.row).model_dump(), key=new.secret)


@router.get("/keys", response_model=list[KeyOut], summary="List keys (admins)")
def list_keys(
    principal: AdminDep, database: DatabaseDep, include_revoked: bool = False
) -> list[KeyOut]:
    """Every key, oldest first (secrets are not stored, so never shown)."""
    with database.session() as session:
        return [_out(r) for r in key_store.list_keys(session, include_revoked)]


@router.delete("/keys/{key_id}", response_model=KeyOut, summary="Revoke a key (admins)")
def revoke_key(
    principal: AdminDep, database: DatabaseDep, key_id: int = Path(ge=1, le=2**62)
) -> KeyOut:
    """Revoke a key: it stops working at once. Revoking twice is harmless."""
    with database.session(write=True) as session:
        row = key_store.revoke_key(session, key_id)
    if row is None:
        raise NotFound(f"key {key_id} not found", ("path", "key_id"))
    return _out(row)
