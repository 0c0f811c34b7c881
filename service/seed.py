"""Load the bundled bilingual demo data set (``service/demo/*.jsonl``) and the demo
session, idempotently.

Each line is one API create payload. A posting gets the external id
``demo-<kind>-<hash of its title>`` unless it has one, so loading twice updates
instead of duplicating. Only the database is written; the service indexes the
postings when it starts (it reconciles the index with the database).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path

from pydantic import ValidationError

from service.auth.roles import Principal, Role
from service.db.engine import Database
from service.postings import PostingService
from service.schemas.postings import PostingCreate
from vocabulary import KINDS

DEMO_DIR = Path(__file__).parent / "demo"
DEMO_ORG = "techmatch demo"
#: Asia/Ho_Chi_Minh (no daylight saving time).
VIETNAM = timezone(timedelta(hours=7))


class DemoDataError(RuntimeError):
    """The demo files are missing or hold an invalid line."""


@dataclass
class SeedResult:
    """How many demo postings of each kind were created and updated."""

    created: dict[str, int]
    updated: dict[str, int]

    def total(self, kind: str) -> int:
        """Demo postings of ``kind`` now stored."""
        return self.created[kind] + self.updated[kind]


def demo_file(kind: str, directory: Path | None = None) -> Path:
    """The JSONL file of demo ``kind`` postings (in ``service/demo/`` by default)."""
    return (directory or DEMO_DIR) / f"{kind}s.jsonl"


def read_demo(kind: str, directory: Path | None = None) -> list[PostingCreate]:
    """Validated demo payloads of ``kind``; raises :class:`DemoDataError` on any bad line."""
    path = demo_file(kind, directory)
    if not path.exists():
        raise DemoDataError(f"demo data file {path} is missing")
    out = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
            if not data.get("external_id"):
                digest = hashlib.sha1(str(data.get("title", "")).encode("utf-8")).hexdigest()
                data["external_id"] = f"demo-{kind}-{digest[:12]}"
            out.append(PostingCreate.model_validate(data))
        except (json.JSONDecodeError, ValidationError, AttributeError) as exc:
            raise DemoDataError(f"{path}:{number}: {exc}") from exc
    return out


def load_demo(database: Database, directory: Path | None = None) -> SeedResult:
    """Store (or refresh) every demo posting; safe to run any number of times."""
    postings = PostingService(database, matcher=None)  # type: ignore[arg-type]
    principal = Principal(role=Role.admin, organization=DEMO_ORG)
    result = SeedResult(created={"need": 0, "offer": 0}, updated={"need": 0, "offer": 0})
    for kind in KINDS:
        payloads = read_demo(kind, directory)
        with database.session(write=True) as session:
            for data in payloads:
                _, created = postings.upsert_external(session, principal, kind, data)
                (result.created if created else result.updated)[kind] += 1
            session.commit()
    return result


#: The demo session's name (it is found again by this name and the demo organization).
DEMO_SESSION = "Phiên kết nối cung – cầu công nghệ (demo)"
#: Sectors whose demo postings are registered for the demo session.
DEMO_SESSION_SECTORS = (
    "ports_logistics",
    "shipbuilding_marine",
    "aquaculture_fisheries",
    "agriculture_food",
)


@dataclass(frozen=True)
class WalkThrough:
    """The postings README's "Running a session" registers: the first demo need and the
    first demo offer (their organizations get the demo's company and institute keys)."""

    need_id: int
    need_org: str
    offer_id: int
    offer_org: str


@dataclass(frozen=True)
class DemoSession:
    """The demo session, how many participants it has, and whether the walk-through
    postings are registered yet."""

    id: int
    name: str
    created: bool
    participants: int
    walk_through: WalkThrough
    need_registered: bool
    offer_registered: bool


def walk_through(database: Database) -> WalkThrough:
    """The first need and the first offer by id (:class:`DemoDataError` when none)."""
    from sqlalchemy import select

    from service.db.models import PostingRow

    with database.session() as session:
        first = {
            kind: session.scalar(
                select(PostingRow).where(PostingRow.kind == kind).order_by(PostingRow.id).limit(1)
            )
            for kind in KINDS
        }
    need, offer = first["need"], first["offer"]
    if need is None or offer is None:
        raise DemoDataError("the demo data holds no need or no offer")
    return WalkThrough(need.id, need.owner_org, offer.id, offer.owner_org)


def ensure_demo_session(database: Database, today: date | None = None) -> DemoSession:
    """The demo session, created on the first call: tomorrow from 08:30 (Asia/Ho_Chi_Minh),
    9 slots of 20 minutes, 10 tables, at most 4 meetings each, with the demo postings of
    :data:`DEMO_SESSION_SECTORS` registered except the walk-through need and offer (README
    registers those). Later calls change nothing and return it as it is."""
    from sqlalchemy import select

    from service.db.models import PostingRow, SessionRow
    from service.schemas.sessions import ParticipantIn, SessionCreate
    from service.sessions.crud import create_session
    from service.sessions.participants import add_participant, registered_ids

    staff = Principal(role=Role.admin, organization=DEMO_ORG)
    walk = walk_through(database)
    with database.session() as session:
        found = session.scalar(
            select(SessionRow.id)
            .where(SessionRow.name == DEMO_SESSION, SessionRow.created_by_org == DEMO_ORG)
            .order_by(SessionRow.id)
            .limit(1)
        )
        members = list(
            session.scalars(
                select(PostingRow.id)
                .where(
                    PostingRow.sector.in_(DEMO_SESSION_SECTORS),
                    PostingRow.external_id.like("demo-%"),
                    PostingRow.status == "published",
                    PostingRow.id.not_in([walk.need_id, walk.offer_id]),
                )
                .order_by(PostingRow.id)
            )
        )
    created = found is None
    if found is None:
        day = (today or datetime.now(VIETNAM).date()) + timedelta(days=1)
        data = SessionCreate(
            name=DEMO_SESSION,
            venue="Trung tâm Hội nghị thành phố Hải Phòng (demo)",
            start=datetime.combine(day, time(8, 30), tzinfo=VIETNAM),
            slot_minutes=20,
            slots=9,
            tables=10,
            max_meetings_per_participant=4,
            fairness_k=1,
        )
        found = create_session(database, staff, data).id
        for posting_id in members:
            add_participant(database, staff, found, ParticipantIn(posting_id=posting_id))
    needs, offers = registered_ids(database, found)
    return DemoSession(
        id=found,
        name=DEMO_SESSION,
        created=created,
        participants=len(needs) + len(offers),
        walk_through=walk,
        need_registered=walk.need_id in needs,
        offer_registered=walk.offer_id in offers,
    )
