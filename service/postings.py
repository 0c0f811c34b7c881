"""Posting use cases: create, read, list, update, delete — with the access policy applied.

Every write commits to the database and then syncs the match index before returning,
so a response never announces a change the index has not seen.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, and_, delete, func, or_, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from service.auth.roles import Principal, can_create, can_edit, can_see_contact, can_view
from service.db.engine import Database
from service.db.models import PostingRow, SessionMeetingRow
from service.db.types import utcnow
from service.errors import Conflict, Forbidden, Invalid, NotFound
from service.matching import Matcher, content_hash
from service.schemas.postings import PostingCreate, PostingOut, PostingUpdate
from service.textutil import clean, fold

KINDS = ("need", "offer")


def detect_language(text: str) -> str:
    """``vi``, ``en`` or ``other`` for ``text`` (the indexer's offline detector)."""
    from service.matching import detect_language as detect

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


class QuotaExceeded(Conflict):
    """The owning organization already has as many postings as it may (409)."""

    error_type = "quota_exceeded"

    def __init__(self, organization: str, count: int, limit: int) -> None:
        super().__init__(
            f"organization {organization!r} already has {count} postings, the most one "
            f"organization may have ({limit}, TECHMATCH_MAX_POSTINGS_PER_ORGANIZATION); "
            "delete postings it no longer needs first",
            (),
            msg_vi=f"Tổ chức “{organization}” đã có {count} tin đăng, mức tối đa cho một tổ "
            f"chức ({limit}); hãy xóa bớt các tin không còn cần trước khi đăng thêm.",
        )


class OrganizationMismatch(Invalid):
    """A company or institute key named another organization than its own (422)."""

    error_type = "organization_mismatch"

    def __init__(self, principal: Principal, given: str, loc: tuple[str | int, ...]) -> None:
        own = principal.organization
        super().__init__(
            f"a {principal.role.value} key posts for its own organization {own!r}, not "
            f"{given!r}; leave organization out or send {own!r} (only moderators and admins "
            "post for another organization)",
            loc,
            msg_vi=f"Khóa của “{own}” chỉ đăng tin cho chính tổ chức mình, không cho "
            f"“{given}”; hãy bỏ trống ô đơn vị hoặc ghi đúng “{own}” (chỉ ban tổ chức mới "
            "đăng thay tổ chức khác).",
        )


def check_organization(
    principal: Principal, given: str | None, loc: tuple[str | int, ...] = ("body", "organization")
) -> str | None:
    """The organization a posting may show: for a company or institute key always the
    key's own (``given`` must be absent or the same, ignoring case), for staff ``given``."""
    if principal.is_staff:
        return given
    if given is not None and not principal.owns(given):
        raise OrganizationMismatch(principal, given, loc)
    return principal.organization


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

    def __init__(
        self, database: Database, matcher: Matcher, max_postings_per_organization: int = 0
    ) -> None:
        self.database = database
        self.matcher = matcher
        self.max_postings_per_organization = max_postings_per_organization

    # -- writes ----------------------------------------------------------------

    def create(self, principal: Principal, kind: str, data: PostingCreate) -> PostingRow:
        """Store a new posting of ``kind`` owned by the caller's organization (or, for
        moderators and admins, by the posting's ``organization``) and index it.

        A company or institute naming another organization is refused (422), and so is a
        posting over the owner's quota (409)."""
        if not can_create(principal, kind):
            raise Forbidden(f"a {principal.role.value} key may not create {kind}s")
        with self.database.session(write=True) as session:
            row = self._new_row(session, principal, kind, data, ("body",))
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
            self._apply(row, principal, data, data.model_fields_set, ("body",))
            self._commit(session)
        self.matcher.sync([posting_id])
        return row

    def delete(self, principal: Principal, kind: str, posting_id: int) -> None:
        """Delete a posting the caller may edit, cancel its session meetings (its session
        registrations go with it), and drop it from the index. Of concurrent deletes of one
        posting exactly one succeeds; the others find it gone (404)."""
        with self.database.session(write=True) as session:
            self._get_for_edit(session, principal, kind, posting_id)
            session.execute(
                delete(SessionMeetingRow).where(
                    or_(
                        SessionMeetingRow.need_id == posting_id,
                        SessionMeetingRow.offer_id == posting_id,
                    )
                )
            )
            gone = session.execute(delete(PostingRow).where(PostingRow.id == posting_id))
            if getattr(gone, "rowcount", 1) != 1:
                session.rollback()
                raise NotFound(f"{kind} {posting_id} not found", ("path", "posting_id"))
            session.commit()
        self.matcher.sync([posting_id])

    def upsert_external(
        self,
        session: Session,
        principal: Principal,
        kind: str,
        data: PostingCreate,
        import_key: str | None = None,
    ) -> tuple[PostingRow, bool]:
        """Create, or update the posting with the same ``external_id`` (or, without one,
        the owner's posting imported with the same ``import_key``), inside ``session``
        (the caller commits and syncs). Returns the row and whether it was created.
        Error ``loc``s are relative to the row (``["organization"]``)."""
        existing = None
        if data.external_id:
            existing = session.scalar(
                select(PostingRow).where(PostingRow.external_id == data.external_id)
            )
        elif import_key:
            check_organization(principal, data.organization, ("organization",))
            existing = session.scalar(
                select(PostingRow).where(
                    PostingRow.owner_org == self._owner(principal, data),
                    PostingRow.import_key == import_key,
                )
            )
        if existing is None:
            if not can_create(principal, kind):
                raise Forbidden(f"a {principal.role.value} key may not create {kind}s")
            row = self._new_row(session, principal, kind, data, ())
            row.import_key = None if data.external_id else import_key
            session.add(row)
            session.flush()
            return row, True
        if existing.kind != kind:
            raise Conflict(
                f"external_id {data.external_id!r} belongs to a {existing.kind}",
                ("external_id",),
                msg_vi=f"Mã {data.external_id!r} đã dùng cho một "
                f"{'nhu cầu' if existing.kind == 'need' else 'công nghệ chào bán'}.",
            )
        if not can_edit(principal, existing.owner_org):
            raise Forbidden(
                "this posting belongs to another organization",
                ("external_id",),
                msg_vi="Tin đăng mang mã này thuộc về tổ chức khác.",
            )
        fields = set(PostingCreate.model_fields) - {"external_id"}
        fields = {f for f in fields if f in data.model_fields_set or f != "language"}
        self._apply(existing, principal, data, fields, ())
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

    @staticmethod
    def _owner(principal: Principal, data: PostingCreate) -> str:
        """Who owns a new posting: the key's organization, or for staff the posting's."""
        if principal.is_staff:
            return data.organization or principal.organization
        return principal.organization

    def _new_row(
        self,
        session: Session,
        principal: Principal,
        kind: str,
        data: PostingCreate,
        loc: tuple[str | int, ...],
    ) -> PostingRow:
        shown = check_organization(principal, data.organization, (*loc, "organization"))
        owner = self._owner(principal, data)
        self._check_quota(session, owner)
        now = utcnow()
        row = PostingRow(kind=kind, owner_org=owner, created_at=now, updated_at=now)
        values = _values(data, set(PostingCreate.model_fields))
        values["organization"] = shown or principal.organization
        for name, value in values.items():
            setattr(row, name, value)
        _refresh_derived(row, language_given=data.language is not None)
        return row

    def _check_quota(self, session: Session, owner: str) -> None:
        """Refuse (409) a new posting of ``owner`` once it has the most allowed. The count
        is read once per transaction and owner, then kept in ``session.info``; on
        PostgreSQL a transaction lock per owner makes concurrent creates count in turn
        (SQLite writers already queue on the database lock)."""
        limit = self.max_postings_per_organization
        if limit <= 0:
            return
        counts: dict[str, int] = session.info.setdefault("techmatch_owner_counts", {})
        if owner not in counts:
            if self.database.backend == "postgresql":
                session.execute(
                    text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"),
                    {"key": f"techmatch-quota:{owner}"},
                )
            counts[owner] = (
                session.scalar(
                    select(func.count())
                    .select_from(PostingRow)
                    .where(PostingRow.owner_org == owner)
                )
                or 0
            )
        if counts[owner] >= limit:
            raise QuotaExceeded(owner, counts[owner], limit)
        counts[owner] += 1

    def _apply(
        self,
        row: PostingRow,
        principal: Principal,
        data: PostingCreate | PostingUpdate,
        fields: set[str],
        loc: tuple[str | int, ...],
    ) -> None:
        values = _values(data, fields)
        if "organization" in values:
            shown = check_organization(principal, values["organization"], (*loc, "organization"))
            values["organization"] = shown if principal.is_staff else principal.organization
        for name, value in values.items():
            setattr(row, name, value)
        if principal.is_staff and values.get("organization"):
            if row.owner_org != values["organization"]:
                row.import_key = None  # the content key belongs to the old owner
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
