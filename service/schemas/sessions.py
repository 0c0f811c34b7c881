"""Tech-transfer sessions: the session, its participants, the schedule, agendas and
meeting outcomes.

Slots and tables are numbered from 0 in the API data (as in ``service.scheduling``); the
printed agenda and the calendar say "Table 1" for table 0.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator

from service.schemas.common import NotBool
from service.schemas.matches import PairOut
from service.schemas.reviews import Note
from service.textutil import clean

NAME_MAX = 200
VENUE_MAX = 200
UNAVAILABLE_MAX = 64


def _line(value: str) -> str:
    value = clean(value)
    if not value:
        raise ValueError("must not be empty")
    return value


def _optional_line(value: str | None) -> str | None:
    return clean(value) or None if value is not None else None


def _aware(value: datetime) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("give the time zone offset, e.g. 2026-12-05T08:30:00+07:00")
    return value


Name = Annotated[str, Field(min_length=1, max_length=NAME_MAX), AfterValidator(_line)]
Venue = Annotated[str, Field(max_length=VENUE_MAX), AfterValidator(_optional_line)]
Start = Annotated[
    datetime,
    AfterValidator(_aware),
    Field(description="ISO 8601 with offset, e.g. `2026-12-05T08:30:00+07:00`."),
]
SlotMinutes = Annotated[
    int, NotBool, Field(ge=5, le=240, description="Length of one slot, minutes.")
]
Slots = Annotated[int, NotBool, Field(ge=1, le=64, description="Number of time slots.")]
Tables = Annotated[int, NotBool, Field(ge=1, le=500, description="Number of tables.")]
MaxMeetings = Annotated[
    int, NotBool, Field(ge=1, le=64, description="Most meetings per participant.")
]
FairnessK = Annotated[
    int,
    NotBool,
    Field(ge=0, le=64, description="Fairness level k (0 = off); see `fairness_rule`."),
]

SESSION_EXAMPLE: dict[str, Any] = {
    "name": "Phiên kết nối cung–cầu công nghệ Techfest Hải Phòng 2026",
    "venue": "Trung tâm Hội nghị thành phố, Hải Phòng",
    "start": "2026-12-05T08:30:00+07:00",
    "slot_minutes": 20,
    "slots": 9,
    "tables": 30,
    "max_meetings_per_participant": 6,
    "fairness_k": 1,
}


class SessionCreate(BaseModel):
    """A new session."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [SESSION_EXAMPLE]})

    name: Name
    venue: Venue | None = None
    start: Start
    slot_minutes: SlotMinutes
    slots: Slots
    tables: Tables
    max_meetings_per_participant: MaxMeetings
    fairness_k: FairnessK = 1


class SessionUpdate(BaseModel):
    """Fields to change (only those present). ``null`` clears ``venue``."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"tables": 40}]})

    name: Name | None = None
    venue: Venue | None = None
    start: Start | None = None
    slot_minutes: SlotMinutes | None = None
    slots: Slots | None = None
    tables: Tables | None = None
    max_meetings_per_participant: MaxMeetings | None = None
    fairness_k: FairnessK | None = None

    @field_validator(
        "name",
        "start",
        "slot_minutes",
        "slots",
        "tables",
        "max_meetings_per_participant",
        "fairness_k",
        mode="before",
    )
    @classmethod
    def _not_null(cls, value: object) -> object:
        if value is None:
            raise ValueError("may not be null")
        return value


class SessionOut(BaseModel):
    """A session."""

    id: int
    name: str
    venue: str | None
    start: datetime = Field(description="Start of slot 0, in the offset it was given.")
    end: datetime = Field(description="End of the last slot.")
    slot_minutes: int
    slots: int
    tables: int
    max_meetings_per_participant: int
    fairness_k: int
    participants: int
    meetings: int
    scheduled_at: datetime | None
    created_by_org: str
    created_at: datetime
    updated_at: datetime


class SessionList(BaseModel):
    """Sessions, newest start first."""

    items: list[SessionOut]


def _slots(values: list[int]) -> list[int]:
    return sorted(set(values))


UnavailableSlots = Annotated[
    list[Annotated[int, NotBool, Field(ge=0)]],
    Field(
        max_length=UNAVAILABLE_MAX,
        description="Slots (0-based) the participant cannot attend.",
    ),
    AfterValidator(_slots),
]


class ParticipantIn(BaseModel):
    """Register a posting for a session."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"posting_id": 12, "unavailable_slots": [0, 1]}]},
    )

    posting_id: Annotated[int, NotBool] = Field(ge=1, le=2**62)
    unavailable_slots: UnavailableSlots = Field(default_factory=list)


class ParticipantUpdate(BaseModel):
    """New unavailability of a participant (replaces the old list)."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"unavailable_slots": [4]}]}
    )

    unavailable_slots: UnavailableSlots


class ParticipantOut(BaseModel):
    """A registered posting."""

    posting_id: int
    kind: str
    title: str
    organization: str | None
    owner_org: str
    unavailable_slots: list[int] | None = Field(
        description="0-based slots it cannot attend; `null` (hidden) for keys of other "
        "organizations (staff and the posting's organization see them)."
    )
    registered_by_org: str
    created_at: datetime


class Participants(BaseModel):
    """A session's participants, by posting id."""

    items: list[ParticipantOut]


class SessionPairs(BaseModel):
    """Pairs between the session's participants, best first (as ``GET /pairs``)."""

    items: list[PairOut]


class ScheduleIn(BaseModel):
    """How to schedule."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"include_suggested": False, "min_score": 0.6, "time_limit_s": 20}]
        },
    )

    include_suggested: bool = Field(
        default=False,
        description="Also schedule pairs not yet accepted (unreviewed or `maybe`) that both "
        "sides marked as interesting and that score at least `min_score`.",
    )
    min_score: Annotated[float, NotBool] = Field(default=0.6, ge=0.0, le=1.0)
    time_limit_s: Annotated[float, NotBool] = Field(default=20.0, gt=0.0, le=120.0)
    reset: bool = Field(
        default=False,
        description="Ignore the stored schedule (otherwise its still-valid meetings stay "
        "at their slot and table).",
    )


class MeetingOut(BaseModel):
    """A scheduled meeting."""

    pair_id: str
    need_id: int
    offer_id: int
    slot: int = Field(description="0-based slot.")
    table: int = Field(description="0-based table (printed as 'Table table+1').")
    start: datetime
    end: datetime
    value: float = Field(description="What the scheduler counted this meeting as worth.")
    source: str = Field(description="`accepted` or `suggested`.")


class ScheduleOut(BaseModel):
    """The new schedule and how good it is."""

    session_id: int
    meetings: list[MeetingOut]
    objective: float
    bound: float | None
    gap: float | None
    status: str = Field(description="`optimal`, `feasible` (time limit) or `empty`.")
    unscheduled: list[str]
    kept: int
    dropped: list[str]
    candidates: int
    solve_seconds: float
    fairness_levels: list[int]
    fairness_rule: str
    value_rule: str
    note: str | None = None


class Outcome(StrEnum):
    """What happened at a meeting."""

    held = "held"
    no_show = "no_show"
    follow_up = "follow_up"


class FollowUp(StrEnum):
    """The follow-up the two sides agreed on."""

    mou = "mou"
    contract = "contract"
    pilot = "pilot"
    other = "other"


class OutcomeIn(BaseModel):
    """The outcome of one meeting."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"outcome": "follow_up", "follow_up": "pilot", "note": "Thử nghiệm 3 ao."}]
        },
    )

    outcome: Outcome
    follow_up: FollowUp | None = None
    note: Note | None = None


class OutcomeOut(BaseModel):
    """A recorded outcome."""

    session_id: int
    pair_id: str
    need_id: int
    offer_id: int
    outcome: Outcome
    follow_up: FollowUp | None
    note: str | None
    recorded_by_org: str
    recorded_at: datetime


class Outcomes(BaseModel):
    """Recorded outcomes."""

    items: list[OutcomeOut]
