"""Pair reviews and interest marks: moderators decide on need–offer pairs, owners say
whether they want to meet.

The current decision on a pair lives in ``pair_reviews`` (keyed by need id and offer id,
so it survives re-indexing and edits) together with the content hashes of both postings
at review time; every decision is also appended to ``pair_review_log``. Interest marks
live in ``pair_interest``. Nothing here touches the match index: routes pass
:func:`rejected_pairs` to :meth:`service.matching.Matcher.pairs` as ``exclude``.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, func, not_, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased

import vocabulary
from service.auth.roles import Principal, can_view
from service.db.engine import Database
from service.db.models import PairInterestRow, PairReviewLogRow, PairReviewRow, PostingRow
from service.db.types import utcnow
from service.errors import Forbidden, Invalid, NotFound
from service.postings import to_out
from service.schemas.reviews import (
    AuditEntry,
    DecisionState,
    InterestIn,
    InterestOut,
    InterestState,
    ReviewIn,
    ReviewItem,
    ReviewState,
    Side,
)

_RETRIES = 3

Need = aliased(PostingRow, name="need")
Offer = aliased(PostingRow, name="offer")

#: Columns of the CSV export, in order.
CSV_COLUMNS = (
    "pair_id",
    "need_id",
    "offer_id",
    "need_title",
    "need_organization",
    "offer_title",
    "offer_organization",
    "decision",
    "reason",
    "note",
    "reviewed_at",
    "reviewer_org",
    "reviewer_key_id",
    "changed_since_review",
    "need_interested",
    "offer_interested",
    "mutual_interest",
)


pair_key = vocabulary.pair_id


def parse_pair_id(pair_id: str) -> tuple[int, int]:
    """``(need_id, offer_id)`` of ``"NEEDID-OFFERID"`` (422 naming the path otherwise)."""
    try:
        return vocabulary.parse_pair_id(pair_id)
    except ValueError as exc:
        raise Invalid(str(exc), ("path", "pair_id")) from exc


def _decision(row: PairReviewRow) -> dict[str, Any]:
    return {"decision": row.decision, "reason": row.reason, "note": row.note}


def _changed(row: PairReviewRow, need: PostingRow | None, offer: PostingRow | None) -> bool:
    return (
        need is None
        or offer is None
        or need.content_hash != row.need_hash
        or offer.content_hash != row.offer_hash
    )


def review_state(
    row: PairReviewRow | None, need: PostingRow | None, offer: PostingRow | None
) -> ReviewState | None:
    """The API view of a pair's review (``None`` when the pair was never reviewed)."""
    if row is None:
        return None
    return ReviewState(
        decision=row.decision,  # type: ignore[arg-type]
        reason=row.reason,  # type: ignore[arg-type]
        note=row.note,
        reviewed_at=row.reviewed_at,
        reviewer_org=row.reviewer_org,
        reviewer_key_id=row.reviewer_key_id,
        changed_since_review=_changed(row, need, offer),
    )


def interest_state(row: PairInterestRow | None) -> InterestState:
    """Each side's interest and whether it is mutual (all ``None`` when nobody said)."""
    if row is None:
        return InterestState()
    return InterestState(
        need=row.need_interested,
        offer=row.offer_interested,
        mutual=bool(row.need_interested and row.offer_interested),
    )


def _changed_sql() -> ColumnElement[bool]:
    return or_(
        Need.id.is_(None),
        Offer.id.is_(None),
        Need.content_hash != PairReviewRow.need_hash,
        Offer.content_hash != PairReviewRow.offer_hash,
    )


def _joined() -> Any:
    """Reviews with both postings and the interest marks (outer joins)."""
    return (
        select(PairReviewRow, Need, Offer, PairInterestRow)
        .outerjoin(Need, Need.id == PairReviewRow.need_id)
        .outerjoin(Offer, Offer.id == PairReviewRow.offer_id)
        .outerjoin(
            PairInterestRow,
            and_(
                PairInterestRow.need_id == PairReviewRow.need_id,
                PairInterestRow.offer_id == PairReviewRow.offer_id,
            ),
        )
    )


@dataclass(frozen=True)
class AcceptedPair:
    """An accepted pair and its interest marks (the meeting scheduler's input)."""

    need_id: int
    offer_id: int
    reason: str | None
    note: str | None
    reviewed_at: datetime
    changed_since_review: bool
    need_interested: bool | None
    offer_interested: bool | None

    @property
    def pair_id(self) -> str:
        """``"<need_id>-<offer_id>"``."""
        return pair_key(self.need_id, self.offer_id)

    @property
    def mutual_interest(self) -> bool:
        """Both sides said they are interested."""
        return bool(self.need_interested and self.offer_interested)


def accepted_pairs(
    session: Session,
    need_ids: Collection[int] | None = None,
    offer_ids: Collection[int] | None = None,
) -> list[AcceptedPair]:
    """Accepted pairs (optionally only those of ``need_ids`` / ``offer_ids``) with their
    interest marks, ordered by need id then offer id. Pairs whose need or offer was
    deleted are left out."""
    query = _joined().where(
        PairReviewRow.decision == "accepted", Need.id.is_not(None), Offer.id.is_not(None)
    )
    if need_ids is not None:
        query = query.where(PairReviewRow.need_id.in_(list(need_ids)))
    if offer_ids is not None:
        query = query.where(PairReviewRow.offer_id.in_(list(offer_ids)))
    query = query.order_by(PairReviewRow.need_id, PairReviewRow.offer_id)
    out = []
    for review, need, offer, interest in session.execute(query):
        out.append(
            AcceptedPair(
                need_id=review.need_id,
                offer_id=review.offer_id,
                reason=review.reason,
                note=review.note,
                reviewed_at=review.reviewed_at,
                changed_since_review=_changed(review, need, offer),
                need_interested=interest.need_interested if interest else None,
                offer_interested=interest.offer_interested if interest else None,
            )
        )
    return out


def rejected_pairs(session: Session) -> set[tuple[int, int]]:
    """``(need_id, offer_id)`` of every rejected pair."""
    query = select(PairReviewRow.need_id, PairReviewRow.offer_id).where(
        PairReviewRow.decision == "rejected"
    )
    return {(n, o) for n, o in session.execute(query)}


@dataclass
class ReviewQuery:
    """Filters and page of ``GET /reviews``."""

    decision: str | None = None
    reason: str | None = None
    need_id: int | None = None
    offer_id: int | None = None
    changed: bool | None = None
    limit: int = 50
    offset: int = 0

    def conditions(self) -> list[ColumnElement[bool]]:
        """SQL conditions of the filters that are set (over :func:`_joined`)."""
        out: list[ColumnElement[bool]] = []
        if self.decision:
            out.append(PairReviewRow.decision == self.decision)
        if self.reason:
            out.append(PairReviewRow.reason == self.reason)
        if self.need_id is not None:
            out.append(PairReviewRow.need_id == self.need_id)
        if self.offer_id is not None:
            out.append(PairReviewRow.offer_id == self.offer_id)
        if self.changed is True:
            out.append(_changed_sql())
        elif self.changed is False:
            out.append(not_(_changed_sql()))
        return out


class ReviewService:
    """Reviews, the audit log and interest marks over one database."""

    def __init__(self, database: Database) -> None:
        self.database = database

    # -- writes ----------------------------------------------------------------

    def review(self, principal: Principal, pair_id: str, data: ReviewIn) -> ReviewItem:
        """Record a staff decision on a pair (and append it to the audit log)."""
        if not principal.is_staff:
            raise Forbidden("only moderators and admins may review pairs")
        need_id, offer_id = parse_pair_id(pair_id)
        decision = data.decision.value
        reason = data.reason.value if data.reason else None
        after = {"decision": decision, "reason": reason, "note": data.note}
        for attempt in range(_RETRIES):
            with self.database.session(write=True) as session:
                need, offer = _pair_rows(session, need_id, offer_id)
                row = session.get(PairReviewRow, (need_id, offer_id), with_for_update=True)
                before = _decision(row) if row is not None else None
                if row is None:
                    row = PairReviewRow(need_id=need_id, offer_id=offer_id)
                    session.add(row)
                now = utcnow()
                row.decision = decision
                row.reason = reason
                row.note = data.note
                row.need_hash = need.content_hash
                row.offer_hash = offer.content_hash
                row.reviewer_key_id = principal.key_id
                row.reviewer_org = principal.organization
                row.reviewer_role = principal.role.value
                row.reviewed_at = now
                session.add(
                    PairReviewLogRow(
                        need_id=need_id,
                        offer_id=offer_id,
                        reviewer_key_id=principal.key_id,
                        reviewer_org=principal.organization,
                        reviewer_role=principal.role.value,
                        before=before,
                        after=after,
                        created_at=now,
                    )
                )
                try:
                    session.commit()
                except IntegrityError:  # a concurrent first review of the same pair
                    session.rollback()
                    if attempt + 1 == _RETRIES:
                        raise
                    continue
                interest = session.get(PairInterestRow, (need_id, offer_id))
                return _item(row, need, offer, interest, principal)
        raise AssertionError("unreachable")  # pragma: no cover

    def set_interest(self, principal: Principal, pair_id: str, data: InterestIn) -> InterestOut:
        """Mark one side's interest in a pair. Owners of either posting may mark their own
        side (inferred when ``side`` is absent); moderators and admins either side."""
        need_id, offer_id = parse_pair_id(pair_id)
        for attempt in range(_RETRIES):
            with self.database.session(write=True) as session:
                need, offer = _pair_rows(session, need_id, offer_id)
                if not (
                    can_view(principal, need.owner_org, need.status)
                    and can_view(principal, offer.owner_org, offer.status)
                ):
                    raise NotFound(f"pair {pair_id} not found", ("path", "pair_id"))
                side = _side_for(principal, need, offer, data.side)
                row = session.get(PairInterestRow, (need_id, offer_id), with_for_update=True)
                if row is None:
                    row = PairInterestRow(need_id=need_id, offer_id=offer_id)
                    session.add(row)
                if side is Side.need:
                    row.need_interested = data.interested
                    row.need_marked_by = principal.organization
                else:
                    row.offer_interested = data.interested
                    row.offer_marked_by = principal.organization
                row.updated_at = utcnow()
                try:
                    session.commit()
                except IntegrityError:
                    session.rollback()
                    if attempt + 1 == _RETRIES:
                        raise
                    continue
                return InterestOut(
                    pair_id=pair_key(need_id, offer_id),
                    need_id=need_id,
                    offer_id=offer_id,
                    interest=interest_state(row),
                )
        raise AssertionError("unreachable")  # pragma: no cover

    # -- reads -----------------------------------------------------------------

    def search(self, principal: Principal, query: ReviewQuery) -> tuple[list[ReviewItem], int]:
        """A page of reviews, most recently reviewed first, and the total matched."""
        conditions = query.conditions()
        with self.database.session() as session:
            count = (
                select(func.count())
                .select_from(PairReviewRow)
                .outerjoin(Need, Need.id == PairReviewRow.need_id)
                .outerjoin(Offer, Offer.id == PairReviewRow.offer_id)
                .where(*conditions)
            )
            total = session.scalar(count) or 0
            rows = session.execute(
                _joined()
                .where(*conditions)
                .order_by(
                    PairReviewRow.reviewed_at.desc(),
                    PairReviewRow.need_id,
                    PairReviewRow.offer_id,
                )
                .limit(query.limit)
                .offset(query.offset)
            )
            items = [_item(r, n, o, i, principal) for r, n, o, i in rows]
        return items, total

    def export_csv(self, query: ReviewQuery) -> str:
        """Every review matching the filters (no paging) as CSV text with a header row."""
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(CSV_COLUMNS)
        with self.database.session() as session:
            rows = session.execute(
                _joined()
                .where(*query.conditions())
                .order_by(
                    PairReviewRow.reviewed_at.desc(),
                    PairReviewRow.need_id,
                    PairReviewRow.offer_id,
                )
            )
            for review, need, offer, interest in rows:
                state = interest_state(interest)
                writer.writerow(
                    [
                        pair_key(review.need_id, review.offer_id),
                        review.need_id,
                        review.offer_id,
                        need.title if need else "",
                        need.organization or "" if need else "",
                        offer.title if offer else "",
                        offer.organization or "" if offer else "",
                        review.decision,
                        review.reason or "",
                        review.note or "",
                        review.reviewed_at.isoformat(),
                        review.reviewer_org,
                        "" if review.reviewer_key_id is None else review.reviewer_key_id,
                        _flag(_changed(review, need, offer)),
                        _flag(state.need),
                        _flag(state.offer),
                        _flag(state.mutual),
                    ]
                )
        return buffer.getvalue()

    def audit(
        self,
        limit: int = 50,
        offset: int = 0,
        need_id: int | None = None,
        offer_id: int | None = None,
    ) -> tuple[list[AuditEntry], int]:
        """A page of the audit log, newest first, and its total."""
        conditions: list[ColumnElement[bool]] = []
        if need_id is not None:
            conditions.append(PairReviewLogRow.need_id == need_id)
        if offer_id is not None:
            conditions.append(PairReviewLogRow.offer_id == offer_id)
        with self.database.session() as session:
            total = (
                session.scalar(
                    select(func.count()).select_from(PairReviewLogRow).where(*conditions)
                )
                or 0
            )
            rows = session.scalars(
                select(PairReviewLogRow)
                .where(*conditions)
                .order_by(PairReviewLogRow.created_at.desc(), PairReviewLogRow.id.desc())
                .limit(limit)
                .offset(offset)
            )
            items = [
                AuditEntry(
                    id=row.id,
                    pair_id=pair_key(row.need_id, row.offer_id),
                    need_id=row.need_id,
                    offer_id=row.offer_id,
                    at=row.created_at,
                    reviewer={
                        "key_id": row.reviewer_key_id,
                        "organization": row.reviewer_org,
                        "role": row.reviewer_role,
                    },  # type: ignore[arg-type]
                    before=DecisionState(**row.before) if row.before else None,
                    after=DecisionState(**row.after),
                )
                for row in rows
            ]
        return items, total

    def rejected(self) -> set[tuple[int, int]]:
        """``(need_id, offer_id)`` of every rejected pair."""
        with self.database.session() as session:
            return rejected_pairs(session)

    def states(
        self, pairs: Iterable[tuple[int, int]]
    ) -> tuple[dict[tuple[int, int], PairReviewRow], dict[tuple[int, int], PairInterestRow]]:
        """Reviews and interest marks of ``pairs``, by ``(need_id, offer_id)``."""
        wanted = set(pairs)
        if not wanted:
            return {}, {}
        needs = sorted({n for n, _ in wanted})
        offers = sorted({o for _, o in wanted})
        reviews: dict[tuple[int, int], PairReviewRow] = {}
        interests: dict[tuple[int, int], PairInterestRow] = {}
        with self.database.session() as session:
            for chunk in _chunks(needs):
                for review in session.scalars(
                    select(PairReviewRow).where(
                        PairReviewRow.need_id.in_(chunk), PairReviewRow.offer_id.in_(offers)
                    )
                ):
                    key = (review.need_id, review.offer_id)
                    if key in wanted:
                        reviews[key] = review
                for interest in session.scalars(
                    select(PairInterestRow).where(
                        PairInterestRow.need_id.in_(chunk), PairInterestRow.offer_id.in_(offers)
                    )
                ):
                    key = (interest.need_id, interest.offer_id)
                    if key in wanted:
                        interests[key] = interest
        return reviews, interests


def _flag(value: bool | None) -> str:
    return "" if value is None else ("true" if value else "false")


def _chunks(items: Sequence[int], size: int = 500) -> Iterable[Sequence[int]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _pair_rows(session: Session, need_id: int, offer_id: int) -> tuple[PostingRow, PostingRow]:
    need = session.get(PostingRow, need_id)
    offer = session.get(PostingRow, offer_id)
    if need is None or need.kind != "need":
        raise NotFound(f"need {need_id} not found", ("path", "pair_id"))
    if offer is None or offer.kind != "offer":
        raise NotFound(f"offer {offer_id} not found", ("path", "pair_id"))
    return need, offer


def _side_for(principal: Principal, need: PostingRow, offer: PostingRow, side: Side | None) -> Side:
    owned = [
        s for s, row in ((Side.need, need), (Side.offer, offer)) if principal.owns(row.owner_org)
    ]
    allowed = [Side.need, Side.offer] if principal.is_staff else owned
    if not allowed:
        raise Forbidden("only the organizations of the need and the offer may mark interest")
    if side is not None:
        if side not in allowed:
            raise Forbidden(f"the {side.value} of this pair belongs to another organization")
        return side
    if len(owned) == 1:
        return owned[0]
    raise Invalid("say which side you mark: 'need' or 'offer'", ("body", "side"))


def _item(
    review: PairReviewRow,
    need: PostingRow | None,
    offer: PostingRow | None,
    interest: PairInterestRow | None,
    principal: Principal,
) -> ReviewItem:
    state = review_state(review, need, offer)
    assert state is not None
    return ReviewItem(
        pair_id=pair_key(review.need_id, review.offer_id),
        need_id=review.need_id,
        offer_id=review.offer_id,
        need=to_out(need, principal) if need is not None else None,
        offer=to_out(offer, principal) if offer is not None else None,
        review=state,
        interest=interest_state(interest),
    )
