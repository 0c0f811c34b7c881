"""Roles, the authenticated principal, and the access policy.

| role        | posts needs | posts offers | edits/deletes                 | /pairs | keys |
|-------------|-------------|--------------|-------------------------------|--------|------|
| company     | yes         | no           | its organization's postings   | no     | no   |
| institute   | no          | yes          | its organization's postings   | no     | no   |
| moderator   | yes         | yes          | every posting                 | yes    | no   |
| admin       | yes         | yes          | every posting                 | yes    | yes  |

Every key may read published postings and their matches; drafts and archived postings
are visible to their own organization, moderators and admins only, and a posting's
contact is shown only to its own organization, moderators and admins.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    """What a key may do."""

    company = "company"
    institute = "institute"
    moderator = "moderator"
    admin = "admin"


STAFF: frozenset[Role] = frozenset({Role.moderator, Role.admin})

#: Which roles may create postings of each kind.
CREATORS: dict[str, frozenset[Role]] = {
    "need": frozenset({Role.company, Role.moderator, Role.admin}),
    "offer": frozenset({Role.institute, Role.moderator, Role.admin}),
}


@dataclass(frozen=True)
class Principal:
    """The caller behind a valid API key."""

    role: Role
    organization: str
    key_id: int | None = None

    @property
    def is_staff(self) -> bool:
        """Moderators and admins."""
        return self.role in STAFF

    def owns(self, owner_org: str) -> bool:
        """True when a posting owned by ``owner_org`` belongs to this caller's organization."""
        return self.organization.casefold() == owner_org.casefold()


def can_create(principal: Principal, kind: str) -> bool:
    """May ``principal`` create a posting of ``kind``?"""
    return principal.role in CREATORS[kind]


def can_edit(principal: Principal, owner_org: str) -> bool:
    """May ``principal`` update or delete a posting owned by ``owner_org``?"""
    return principal.is_staff or principal.owns(owner_org)


def can_view(principal: Principal, owner_org: str, status: str) -> bool:
    """May ``principal`` read a posting with this owner and status?"""
    return status == "published" or can_edit(principal, owner_org)


def can_see_contact(principal: Principal, owner_org: str) -> bool:
    """May ``principal`` see the posting's contact details?"""
    return can_edit(principal, owner_org)


def can_manage_keys(principal: Principal) -> bool:
    """May ``principal`` create, list and revoke API keys?"""
    return principal.role == Role.admin
