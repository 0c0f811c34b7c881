"""Posting use cases: create, read, list, update, delete — with the access policy applied.

Every write commits to the database and then syncs the match index before returning,
so a response never announces a change the index has not seen.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from service.auth.roles import Principal, can_create, can_edit, can_see_contact, can_view
from service.db.engine import Database
from service.db.models import PostingRow
from service.db.types import utcnow
from service.errors import Conflict, Forbidden, NotFound
from service.matching import Matcher, content_hash
from service.schemas.postings import PostingCreate, PostingOut, PostingUpdate
from service.textutil import clean, fold

KINDS = ("need", "offer")


def detect_language(text: str) -> str:
    """``vi``, ``en`` or ``other`` for ``text`` (the indexer's offline detector)."""
    from indexer.text import detect_language as detect

    return detect(text)


def _search_text(row: PostingRow) -> str:
    parts = [row.title, " ".join(row.keywords or []), row.description]
    parts += [row.organization or "", row.province or "", row.sector or ""]
    return fold(" ".join(parts))


def _refresh_derived(row: PostingRow, language_given: bool) -> None:
    if not language_given:
        row.language = detect_language(f"{row.title}\n{row.description}")
    row.province_key = fold(row.province)[:100] if row.province else None
    row.search_text = _search_text(row)
    row.content_hash = content_hash(row)


def _values(data: PostingCreate | PostingUpdate, fields: set[str]) -> dict[str, Any]:
    out = data.model_dump(mode="json", include=fields)
    if "expires_on" in out:
        out["expires_on"] = data.expires_on
    return out


def _is_expired(row: PostingRow, today: date | None = None) -> bool:
    return row.expires_on is not None and row.expires_on < (today or date.today())


def to_out(row: PostingRow, principal: Principal | None) -> PostingOut:
    """The API view of ``row`` for ``principal`` (contact hidden unless allowed)."""
    show_contact = principal is not None and can_see_contact(principal, row.owner_org)
    return PostingOut(
        id=row.id,
        kind=row.kind,  # type: ignore[arg-type]
        title=row.title,
        description=row.description,
        language=row.language,  # type: ignore[arg-type]
        sector=row.sector,
        keywords=list(row.keywords or []),
        trl=row.trl,
        ip_status=row.ip_status,  # type: ignore[arg-type]
        transfer_modes=list(row.transfer_modes or []),  # type: ignore[arg-type]
        province=row.province,
        organization=row.organization,
        contact=row.contact if show_contact else None,  # type: ignore[arg-type]
        status=row.status,  # type: ignore[arg-type]
        expires_on=row.expires_on,
        expired=_is_expired(row),
        external_id=row.external_id,
        owner_org=row.owner_org,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


class PostingService:
    """Posting operations over one database and its matcher."""

    def __init__(self, database: Database, matcher: Matcher) -> None:
        self.database = database
        self.matcher = matcher

    # -- writes ----------------------------------------------------------------

    def create(self, principal: Principal, kind: str, data: PostingCreate) -> PostingRow:
        """Store a new posting of ``kind`` owned by the caller's organization (or, for
        moderators and admins, by the posting's ``organization``) and index it."""
        if not can_create(principal, kind):
            raise Forbidden(f"a {principal.role.value} key may not create {kind}s")
        with self.database.session(write=True) as session:
            row = self._new_row(principal, kind, data)
            session.add(row)
            self._commit(session)
        self.matcher.sync([row.id])
        return row

    def update(
        self, principal: Principal, kind: str, posting_id: int, data: PostingUpdate
    ) -> PostingRow:
        """Apply the fields present in ``data`` to a posting the caller may edit."""
        with self.database.session(write=True) as session:
            row = self._get_for_edit(session, principal, kind, posting_id)
            self._apply(row, principal, data, data.model_fields_set)
            self._commit(session)
        self.matcher.sync([posting_id])
        return row

    def delete(self, principal: Principal, kind: str, posting_id: int) -> None:
        """Delete a posting the caller may edit, and drop it from the index."""
        with self.database.session(write=True) as session:
            row = self._get_for_edit(session, principal, kind, posting_id)
            session.delete(row)
            session.commit()
        self.matcher.sync([posting_id])

    def upsert_external(
        self, session: Session, principal: Principal, kind: str, data: PostingCreate
    ) -> tuple[PostingRow, bool]:
        """Create, or update the posting with the same ``external_id``, inside ``session``
        (the caller commits and syncs). Returns the row and whether it was created."""
        existing = None
        if data.external_id:
            existing = session.scalar(
                select(PostingRow).where(PostingRow.external_id == data.external_id)
            )
        if existing is None:
            if not can_create(principal, kind):
                raise Forbidden(f"a {principal.role.value} key may not create {kind}s")
            row = self._new_row(principal, kind, data)
            session.add(row)
            session.flush()
            return row, True
        if existing.kind != kind:
            raise Conflict(
                f"external_id {data.external_id!r} belongs to a {existing.kind}", ("external_id",)
            )
        if not can_edit(principal, existing.owner_org):
            raise Forbidden("this posting belongs to another organization", ("external_id",))
        fields = set(PostingCreate.model_fields) - {"external_id"}
        fields = {f for f in fields if f in data.model_fields_set or f != "language"}
        self._apply(existing, principal, data, fields)
        session.flush()
        return existing, False

    # -- reads -----------------------------------------------------------------

    def get(self, principal: Principal, kind: str, posting_id: int) -> PostingRow:
        """A posting the caller may read (404 otherwise, so hidden drafts stay hidden)."""
        with self.database.session() as session:
            row = session.get(PostingRow, posting_id)
        if row is None or row.kind != kind or not can_view(principal, row.owner_org, row.status):
            raise NotFound(f"{kind} {posting_id} not found", ("path", "posting_id"))
        return row

    def get_many(self, ids: list[int]) -> dict[int, PostingRow]:
        """Rows by id (missing ids are left out)."""
        if not ids:
            return {}
        with self.database.session() as session:
            rows = session.scalars(select(PostingRow).where(PostingRow.id.in_(ids)))
            return {row.id: row for row in rows}

    def search(
        self, principal: Principal, kind: str, query: ListQuery
    ) -> tuple[list[PostingRow], int]:
        """A page of postings the caller may read, newest first, and the total matched."""
        conditions = [PostingRow.kind == kind, *query.conditions()]
        if not principal.is_staff:
            conditions.append(
                or_(
                    PostingRow.status == "published", PostingRow.owner_org == principal.organization
                )
            )
        where = and_(*conditions)
        with self.database.session() as session:
            total = session.scalar(select(func.count()).select_from(PostingRow).where(where)) or 0
            rows = list(
                session.scalars(
                    select(PostingRow)
                    .where(where)
                    .order_by(PostingRow.created_at.desc(), PostingRow.id.desc())
                    .limit(query.limit)
                    .offset(query.offset)
                )
            )
        return rows, total

    # -- internals -------------------------------------------------------------

    def _new_row(self, principal: Principal, kind: str, data: PostingCreate) -> PostingRow:
        if principal.is_staff:
            owner = data.organization or principal.organization
        else:
            owner = principal.organization
        now = utcnow()
        row = PostingRow(kind=kind, owner_org=owner, created_at=now, updated_at=now)
        values = _values(data, set(PostingCreate.model_fields))
        values["organization"] = values.get("organization") or principal.organization
        for name, value in values.items():
            setattr(row, name, value)
        _refresh_derived(row, language_given=data.language is not None)
        return row

    def _apply(
        self,
        row: PostingRow,
        principal: Principal,
        data: PostingCreate | PostingUpdate,
        fields: set[str],
    ) -> None:
        values = _values(data, fields)
        for name, value in values.items():
            setattr(row, name, value)
        if principal.is_staff and values.get("organization"):
            row.owner_org = values["organization"]
        text_changed = bool({"title", "description"} & fields)
        detect = data.language is None if "language" in fields else text_changed
        _refresh_derived(row, language_given=not detect)
        row.updated_at = utcnow()

    def _get_for_edit(
        self, session: Session, principal: Principal, kind: str, posting_id: int
    ) -> PostingRow:
        row = session.get(PostingRow, posting_id)
        if row is None or row.kind != kind or not can_view(principal, row.owner_org, row.status):
            raise NotFound(f"{kind} {posting_id} not found", ("path", "posting_id"))
        if not can_edit(principal, row.owner_org):
            raise Forbidden(f"{kind} {posting_id} belongs to another organization")
        return row

    @staticmethod
    def _commit(session: Session) -> None:
        try:
            session.commit()
        except IntegrityError as exc:
            session.rollback()
            raise Conflict(
                "external_id is already used by another posting", ("body", "external_id")
            ) from exc


@dataclass
class ListQuery:
    """Filters and page of a posting listing."""

    sector: str | None = None
    language: str | None = None
    province: str | None = None
    status: str | None = None
    q: str | None = None
    organization: str | None = None
    include_expired: bool = False
    limit: int = 20
    offset: int = 0

    def conditions(self) -> list[ColumnElement[bool]]:
        """SQL conditions for the filters that are set."""
        province, q, organization = (_plain(v) for v in (self.province, self.q, self.organization))
        out: list[ColumnElement[bool]] = []
        if self.sector:
            out.append(PostingRow.sector == self.sector)
        if self.language:
            out.append(PostingRow.language == self.language)
        if province:
            out.append(PostingRow.province_key == fold(province)[:100])
        if self.status:
            out.append(PostingRow.status == self.status)
        if organization:
            out.append(PostingRow.owner_org == organization)
        if not self.include_expired:
            out.append(or_(PostingRow.expires_on.is_(None), PostingRow.expires_on >= date.today()))
        for word in fold(q).split():
            escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            out.append(PostingRow.search_text.like(f"%{escaped}%", escape="\\"))
        return out


def _plain(value: str | None) -> str:
    """A query-string filter without the characters no database column can hold."""
    if not value:
        return ""
    try:
        return clean(value)
    except ValueError:
        return clean(value.encode("utf-8", "replace").decode("utf-8"))
