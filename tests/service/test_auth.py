"""The access policy and API keys as units: each rule of ``service.auth.roles`` for every
role, and key creation, listing, revocation and authentication on a bare database (SQLite
and PostgreSQL; no app, no index, no model)."""

from __future__ import annotations

import hashlib
import string
from collections.abc import Iterator
from datetime import datetime

import pytest
from sqlalchemy.orm import Session

from service.auth.keys import (
    KEY_PREFIX,
    PREFIX_LENGTH,
    authenticate,
    create_key,
    generate_key,
    hash_key,
    list_keys,
    revoke_key,
)
from service.auth.roles import (
    CREATORS,
    STAFF,
    Principal,
    Role,
    can_create,
    can_edit,
    can_manage_keys,
    can_see_contact,
    can_view,
)
from service.db.engine import Database
from service.db.migrate import upgrade
from service.db.models import ApiKeyRow
from tests.service.conftest import BACKENDS, database_url_for

ROLES = list(Role)
#: Which roles may create which kind (the README's table).
MAY_CREATE = {
    (Role.company, "need"),
    (Role.moderator, "need"),
    (Role.admin, "need"),
    (Role.institute, "offer"),
    (Role.moderator, "offer"),
    (Role.admin, "offer"),
}


def principal(role: Role, organization: str = "Công ty A") -> Principal:
    return Principal(role=role, organization=organization, key_id=7)


def test_roles_are_the_documented_strings() -> None:
    assert [r.value for r in Role] == ["company", "institute", "moderator", "admin"]
    assert Role("moderator") is Role.moderator
    assert set(STAFF) == {Role.moderator, Role.admin}
    assert Principal(Role.company, "A").key_id is None


@pytest.mark.parametrize("role", ROLES)
def test_staff_are_moderators_and_admins(role: Role) -> None:
    assert principal(role).is_staff is (role in (Role.moderator, Role.admin))


def test_owning_ignores_case_only() -> None:
    caller = principal(Role.company, "Công ty Thủy sản Đồ Sơn")
    assert caller.owns("Công ty Thủy sản Đồ Sơn")
    assert caller.owns("CÔNG TY THỦY SẢN ĐỒ SƠN")
    assert caller.owns("công ty thủy sản đồ sơn")
    assert not caller.owns("Công ty Thủy sản Đồ Sơn 2")
    assert not caller.owns("Công ty Thủy sản")


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("kind", ["need", "offer"])
def test_who_creates_what(role: Role, kind: str) -> None:
    assert can_create(principal(role), kind) is ((role, kind) in MAY_CREATE)
    assert (role in CREATORS[kind]) is ((role, kind) in MAY_CREATE)


@pytest.mark.parametrize("role", ROLES)
def test_edit_view_and_contact(role: Role) -> None:
    caller = principal(role, "Org A")
    staff = role in (Role.moderator, Role.admin)
    assert can_edit(caller, "Org A") is True
    assert can_edit(caller, "org a") is True
    assert can_edit(caller, "Org B") is staff
    assert can_see_contact(caller, "Org A") is True
    assert can_see_contact(caller, "Org B") is staff
    for status in ("published", "draft", "archived"):
        assert can_view(caller, "Org A", status) is True
        assert can_view(caller, "Org B", status) is (status == "published" or staff)


@pytest.mark.parametrize("role", ROLES)
def test_only_admins_manage_keys(role: Role) -> None:
    assert can_manage_keys(principal(role)) is (role is Role.admin)


# -- keys ------------------------------------------------------------------------------


@pytest.fixture(scope="module", params=BACKENDS)
def database(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Database]:
    """A migrated database per backend (PostgreSQL returns unordered rows in heap order, so
    ``ORDER BY`` is really tested there)."""
    url = database_url_for(request.param, tmp_path_factory.mktemp("keys"), request)
    database = Database(url)
    upgrade(database)
    yield database
    database.dispose()


@pytest.fixture
def session(database: Database) -> Iterator[Session]:
    with database.session(write=True) as session:
        yield session


def test_generated_keys_are_random_url_safe_and_prefixed() -> None:
    keys = {generate_key() for _ in range(50)}
    assert len(keys) == 50
    alphabet = set(string.ascii_letters + string.digits + "-_")
    for key in keys:
        assert key.startswith("tm_") and KEY_PREFIX == "tm_"
        assert len(key) == 3 + 43 and set(key[3:]) <= alphabet


def test_hash_is_the_sha256_of_the_utf8_key() -> None:
    assert hash_key("tm_khóa") == hashlib.sha256("tm_khóa".encode()).hexdigest()
    assert hash_key("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"


def test_create_key_stores_hash_prefix_role_and_organization(
    database: Database, session: Session
) -> None:
    new = create_key(session, Role.institute, "  Viện Hải sản  ", name="booth import")
    assert new.secret.startswith("tm_") and len(new.secret) == 46
    with database.session() as other:  # committed: another session sees it
        row = other.get(ApiKeyRow, new.row.id)
        assert row is not None
        assert row.key_hash == hash_key(new.secret) and new.secret not in row.key_hash
        assert row.prefix == new.secret[:10] and PREFIX_LENGTH == 10
        assert (row.role, row.organization, row.name) == (
            "institute",
            "Viện Hải sản",
            "booth import",
        )
        assert row.revoked_at is None and isinstance(row.created_at, datetime)
    assert create_key(session, Role.company, "Org").row.name is None


@pytest.mark.parametrize("organization", ["", "   ", "x" * 201])
def test_create_key_refuses_a_bad_organization(session: Session, organization: str) -> None:
    with pytest.raises(ValueError, match="^organization must have 1 to 200 characters$"):
        create_key(session, Role.company, organization)


def test_create_key_takes_200_characters(session: Session) -> None:
    assert create_key(session, Role.company, "x" * 200).row.organization == "x" * 200
    assert create_key(session, Role.company, "x").row.organization == "x"


def test_list_and_revoke(session: Session) -> None:
    first = create_key(session, Role.company, "Listing")
    second = create_key(session, Role.moderator, "Listing")
    ours = {first.row.id, second.row.id}
    listed = [row.id for row in list_keys(session) if row.id in ours]
    assert listed == sorted(ours)
    revoked = revoke_key(session, first.row.id)
    assert revoked is not None and revoked.id == first.row.id
    stamp = revoked.revoked_at
    assert stamp is not None
    assert [r.id for r in list_keys(session) if r.id in ours] == [second.row.id]
    assert [r.id for r in list_keys(session, include_revoked=True) if r.id in ours] == listed
    again = revoke_key(session, first.row.id)  # twice is harmless and keeps the first time
    assert again is not None and again.revoked_at == stamp
    assert revoke_key(session, 10**12) is None
    ids = [row.id for row in list_keys(session, include_revoked=True)]
    assert ids == sorted(ids)


def test_authenticate(session: Session) -> None:
    new = create_key(session, Role.moderator, "Ban tổ chức")
    found = authenticate(session, new.secret, None)
    assert found == Principal(role=Role.moderator, organization="Ban tổ chức", key_id=new.row.id)
    assert authenticate(session, new.secret, "other-admin-key") == found
    assert authenticate(session, new.secret[:-1], None) is None
    assert authenticate(session, new.secret + "x", None) is None
    assert authenticate(session, "", None) is None
    assert authenticate(session, "", "") is None
    admin = authenticate(session, "admin-secret", "admin-secret")
    assert admin == Principal(role=Role.admin, organization="admin", key_id=None)
    assert authenticate(session, "admin-secret", "admin-secreT") is None
    assert authenticate(session, "admin-secre", "admin-secret") is None
    assert authenticate(session, "admin-secret", None) is None
    revoke_key(session, new.row.id)
    assert authenticate(session, new.secret, None) is None
