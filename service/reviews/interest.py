"""Interest marks: the need's and the offer's organizations say whether they want to meet."""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError

from service.auth.roles import Principal, can_view
from service.db.engine import Database
from service.db.models import PairInterestRow, PostingRow
from service.db.types import utcnow
from service.errors import Forbidden, Invalid, NotFound
from service.pair_ids import parse_pair_id
from service.reviews.decisions import RETRIES
from service.reviews.state import interest_state, pair_rows
from service.schemas.reviews import InterestIn, InterestOut, Side
from vocabulary import pair_id as make_pair_id


def set_interest(
    database: Database, principal: Principal, pair_id: str, data: InterestIn
) -> InterestOut:
    """Mark one side's interest in a pair. Owners of either posting mark their own side
    (inferred when ``side`` is absent); moderators and admins either side. A pair with a
    posting the caller may not see is 404; a side of another organization 403."""
    need_id, offer_id = parse_pair_id(pair_id)
    for attempt in range(RETRIES):
        with database.session(write=True) as session:
            need, offer = pair_rows(session, need_id, offer_id)
            if not (
                can_view(principal, need.owner_org, need.status)
                and can_view(principal, offer.owner_org, offer.status)
            ):
                raise NotFound(f"pair {pair_id} not found", ("path", "pair_id"))
            side = side_for(principal, need, offer, data.side)
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
                if attempt + 1 == RETRIES:
                    raise
                continue
            return InterestOut(
                pair_id=make_pair_id(need_id, offer_id),
                need_id=need_id,
                offer_id=offer_id,
                interest=interest_state(row),
            )
    raise AssertionError("unreachable")  # pragma: no cover


def side_for(principal: Principal, need: PostingRow, offer: PostingRow, side: Side | None) -> Side:
    """The side ``principal`` marks: the one asked for if allowed (403 otherwise), else the
    one its organization owns (422 when it owns both or staff did not say)."""
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
