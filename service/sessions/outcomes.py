"""What came of the meetings: each side (or staff) records an outcome per scheduled pair;
staff export them, as JSON or CSV, for evaluation."""

from __future__ import annotations

from collections.abc import Iterator

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from service.auth.roles import Principal
from service.csv_export import Column, header, write_csv, write_xlsx
from service.db.engine import Database
from service.db.models import MeetingOutcomeRow, PostingRow, SessionMeetingRow, SessionRow
from service.db.types import utcnow
from service.errors import Conflict, Forbidden, Invalid, NotFound
from service.pair_ids import parse_pair_id
from service.schemas.sessions import OutcomeIn, OutcomeOut
from service.sessions.rows import require_staff, session_row
from vocabulary import pair_id as make_pair_id


def record_outcome(
    database: Database, principal: Principal, session_id: int, pair_id: str, data: OutcomeIn
) -> OutcomeOut:
    """Record (or replace) what came of a scheduled meeting: staff, or the organization
    of its need or its offer (403 otherwise; 404 when the pair has no meeting)."""
    need_id, offer_id = parse_pair_id(pair_id)
    if data.follow_up is not None and data.outcome.value != "follow_up":
        raise Invalid("follow_up is only given with outcome 'follow_up'", ("body", "follow_up"))
    with database.session(write=True) as session:
        session_row(session, session_id)
        meeting = session.get(SessionMeetingRow, (session_id, need_id, offer_id))
        if meeting is None:
            raise NotFound(
                f"pair {pair_id} has no meeting in session {session_id}", ("path", "pair_id")
            )
        if not principal.is_staff:
            owners = [
                p.owner_org
                for p in (session.get(PostingRow, need_id), session.get(PostingRow, offer_id))
                if p is not None
            ]
            if not any(principal.owns(org) for org in owners):
                raise Forbidden("only the two sides of the meeting and staff record outcomes")
        row = session.get(MeetingOutcomeRow, (session_id, need_id, offer_id))
        if row is None:
            row = MeetingOutcomeRow(session_id=session_id, need_id=need_id, offer_id=offer_id)
            session.add(row)
        row.outcome = data.outcome.value
        row.follow_up = data.follow_up.value if data.follow_up else None
        row.note = data.note
        row.recorded_by_org = principal.organization
        row.recorded_by_role = principal.role.value
        row.recorded_at = utcnow()
        try:
            session.commit()
        except IntegrityError as exc:  # a concurrent first outcome of the same pair
            session.rollback()
            raise Conflict("the outcome was recorded concurrently; send it again") from exc
        return outcome_out(row)


def list_outcomes(
    database: Database, principal: Principal, session_id: int | None = None
) -> list[OutcomeOut]:
    """Every recorded outcome (staff), optionally of one session."""
    require_staff(principal, "export outcomes")
    with database.session() as session:
        return [outcome_out(row) for row, *_ in _outcome_rows(session, session_id)]


#: A row of the outcomes CSV: the outcome, its session's name, its need and offer (or None).
OutcomeLine = tuple[MeetingOutcomeRow, str, PostingRow | None, PostingRow | None]

#: The outcomes export (README: *Outcomes*).
OUTCOME_CSV: tuple[Column[OutcomeLine], ...] = (
    Column("session_id", lambda line: line[0].session_id),
    Column("session_name", lambda line: line[1]),
    Column("pair_id", lambda line: make_pair_id(line[0].need_id, line[0].offer_id)),
    Column("need_id", lambda line: line[0].need_id),
    Column("offer_id", lambda line: line[0].offer_id),
    Column("need_title", lambda line: line[2].title if line[2] else ""),
    Column("need_organization", lambda line: line[2].organization if line[2] else ""),
    Column("offer_title", lambda line: line[3].title if line[3] else ""),
    Column("offer_organization", lambda line: line[3].organization if line[3] else ""),
    Column("outcome", lambda line: line[0].outcome),
    Column("follow_up", lambda line: line[0].follow_up),
    Column("note", lambda line: line[0].note),
    Column("recorded_by_org", lambda line: line[0].recorded_by_org),
    Column("recorded_at", lambda line: line[0].recorded_at),
)

#: Columns of the outcomes CSV, in order.
OUTCOME_COLUMNS = header(OUTCOME_CSV)


def outcomes_csv(database: Database, principal: Principal, session_id: int | None = None) -> str:
    """Every recorded outcome (staff) as CSV text (columns :data:`OUTCOME_COLUMNS`)."""
    require_staff(principal, "export outcomes")
    with database.session() as session:
        return write_csv(OUTCOME_CSV, _outcome_rows(session, session_id))


def outcomes_xlsx(database: Database, principal: Principal, session_id: int | None = None) -> bytes:
    """The outcomes of :func:`outcomes_csv` as an XLSX workbook (same columns)."""
    require_staff(principal, "export outcomes")
    with database.session() as session:
        return write_xlsx(OUTCOME_CSV, _outcome_rows(session, session_id), "outcomes")


def _outcome_rows(session: Session, session_id: int | None) -> Iterator[OutcomeLine]:
    need = PostingRow.__table__.alias("need")
    offer = PostingRow.__table__.alias("offer")
    query = (
        select(MeetingOutcomeRow, SessionRow.name, need.c.id, offer.c.id)
        .join(SessionRow, SessionRow.id == MeetingOutcomeRow.session_id)
        .outerjoin(need, need.c.id == MeetingOutcomeRow.need_id)
        .outerjoin(offer, offer.c.id == MeetingOutcomeRow.offer_id)
        .order_by(
            MeetingOutcomeRow.session_id, MeetingOutcomeRow.need_id, MeetingOutcomeRow.offer_id
        )
    )
    if session_id is not None:
        query = query.where(MeetingOutcomeRow.session_id == session_id)
    rows = list(session.execute(query))
    ids = sorted({i for r in rows for i in (r[2], r[3]) if i is not None})
    postings = {p.id: p for p in session.scalars(select(PostingRow).where(PostingRow.id.in_(ids)))}
    for row, name, need_id, offer_id in rows:
        yield row, name, postings.get(need_id), postings.get(offer_id)


def outcome_out(row: MeetingOutcomeRow) -> OutcomeOut:
    """The API view of an outcome."""
    return OutcomeOut(
        session_id=row.session_id,
        pair_id=make_pair_id(row.need_id, row.offer_id),
        need_id=row.need_id,
        offer_id=row.offer_id,
        outcome=row.outcome,  # type: ignore[arg-type]
        follow_up=row.follow_up,  # type: ignore[arg-type]
        note=row.note,
        recorded_by_org=row.recorded_by_org,
        recorded_at=row.recorded_at,
    )
