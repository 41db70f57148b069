"""Flows and their immutable versions, DIDs, prompts, known contacts, survey answers, hours overrides."""

from datetime import datetime

from sqlalchemy import JSON, Column, Index, LargeBinary, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from centralita.timeutil import utcnow


class Flow(SQLModel, table=True):
    """A flow by name: its working draft and which version callers get now."""

    __tablename__ = "flows"
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(index=True, unique=True, max_length=64)
    definition: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    published_version: int | None = None
    updated_at: datetime | None = None


class FlowVersion(SQLModel, table=True):
    """Saved once, never changed: publishing and rollback only move `Flow.published_version`."""

    __tablename__ = "ivr_flow_versions"
    __table_args__ = (UniqueConstraint("flow_id", "version", name="uq_ivr_flow_version"),)
    id: int | None = Field(default=None, primary_key=True)
    flow_id: int = Field(foreign_key="flows.id", index=True)
    version: int
    definition: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    comment: str = Field(default="", max_length=200)
    created_by: str = Field(default="", max_length=64)
    created_at: datetime = Field(default_factory=utcnow)
    published_at: datetime | None = None


class FlowSplit(SQLModel, table=True):
    """An A/B test: `version` takes `share` % of the flow's calls beside the published `base_version`,
    assigned per call or per caller (sticky). Kept after it ends so its period can still be compared;
    at most one runs per flow (the partial unique index), `ended_at` NULL while it runs."""

    __tablename__ = "ivr_flow_splits"
    __table_args__ = (
        Index(
            "uq_ivr_flow_splits_running",
            "flow_id",
            unique=True,
            sqlite_where=text("ended_at IS NULL"),
            postgresql_where=text("ended_at IS NULL"),
        ),
    )
    id: int | None = Field(default=None, primary_key=True)
    flow_id: int = Field(foreign_key="flows.id", index=True)
    version: int
    base_version: int
    share: int  # percent of calls for `version`, 1..99
    by: str = Field(max_length=8)  # call | caller
    started_at: datetime = Field(default_factory=utcnow)
    started_by: str = Field(default="", max_length=64)
    ended_at: datetime | None = None
    ended_by: str = Field(default="", max_length=64)
    outcome: str = Field(default="", max_length=16)  # ended | promoted | superseded (another publish)


class Did(SQLModel, table=True):
    __tablename__ = "dids"
    id: int | None = Field(default=None, primary_key=True)
    number: str = Field(index=True, unique=True, max_length=32)
    flow_id: int = Field(foreign_key="flows.id", index=True)


class Prompt(SQLModel, table=True):
    """Audio callers hear, referenced by name: uploaded (converted to 8 kHz) or spoken from text."""

    __tablename__ = "ivr_prompts"
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(index=True, unique=True, max_length=64)
    source: str = Field(default="tts", max_length=16)  # tts | upload
    text: str = Field(default="", max_length=2000)
    language: str = Field(default="es", max_length=8)
    audio: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    sha1: str = Field(default="", max_length=40)
    created_at: datetime = Field(default_factory=utcnow)


class Contact(SQLModel, table=True):
    """A caller we know, by E.164 number."""

    __tablename__ = "ivr_contacts"
    id: int | None = Field(default=None, primary_key=True)
    phone: str = Field(index=True, unique=True, max_length=20)
    name: str = Field(default="", max_length=160)
    national_id: str = Field(default="", max_length=32)
    note: str = Field(default="", max_length=500)


class SurveyAnswer(SQLModel, table=True):
    __tablename__ = "ivr_survey_answers"
    id: int | None = Field(default=None, primary_key=True)
    linkedid: str = Field(index=True, max_length=64)
    flow: str = Field(default="", max_length=64)
    version: int = 0
    question: int
    answer: int
    agent: str = Field(default="", max_length=160)
    queue: str = Field(default="", max_length=64)
    caller: str = Field(default="", max_length=80)
    at: datetime = Field(default_factory=utcnow)


class HoursOverride(SQLModel, table=True):
    """A manual open/closed switch for one hours node, applied at once (no publish needed)."""

    __tablename__ = "ivr_hours_overrides"
    __table_args__ = (UniqueConstraint("flow", "node", name="uq_ivr_hours_override"),)
    id: int | None = Field(default=None, primary_key=True)
    flow: str = Field(max_length=64)
    node: str = Field(max_length=24)
    state: str = Field(max_length=8)  # open | closed
    set_by: str = Field(default="", max_length=64)
    at: datetime = Field(default_factory=utcnow)


class HolidayList(SQLModel, table=True):
    """Named dates closed all day (e.g. `feriados-panama`), shared by calendars and hours nodes: a date
    added here closes every flow that uses the list at once, without republishing."""

    __tablename__ = "ivr_holiday_lists"
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(index=True, unique=True, max_length=64)
    description: str = Field(default="", max_length=200)
    days: list = Field(default_factory=list, sa_column=Column(JSON, nullable=False))  # [{date, name}], sorted
    updated_at: datetime = Field(default_factory=utcnow)
    updated_by: str = Field(default="", max_length=64)


class BusinessCalendar(SQLModel, table=True):
    """Named business hours: a time zone, a weekly schedule in the hours node's format, and the names
    of the holiday lists it closes on. Hours nodes name it; it is read at call time."""

    __tablename__ = "ivr_calendars"
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(index=True, unique=True, max_length=64)
    description: str = Field(default="", max_length=200)
    timezone: str = Field(max_length=64)
    schedule: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    holiday_lists: list = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    updated_at: datetime = Field(default_factory=utcnow)
    updated_by: str = Field(default="", max_length=64)
