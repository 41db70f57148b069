"""Request and answer shapes of scheduled reports. Field-level rules live here (pydantic names the field in
its 422); rules across fields or against the database (weekday only for weekly, queues that exist, the
owner a supervisor may pick) are the service's, as FieldError naming the field."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from messaging.email import valid_address

Frequency = Literal["daily", "weekly", "monthly"]
Format = Literal["xlsx", "pdf", "csv"]
AudienceRole = Literal["supervisor", "admin"]
Address = Annotated[str, Field(max_length=254), AfterValidator(valid_address)]


def _unique(items: list) -> list:
    return list(dict.fromkeys(items))


Formats = Annotated[list[Format], Field(min_length=1, max_length=3), AfterValidator(_unique)]
Recipients = Annotated[list[Address], Field(min_length=1, max_length=50), AfterValidator(_unique)]
Queues = Annotated[list[Annotated[str, Field(min_length=1, max_length=64)]], Field(max_length=200)]
Name = Annotated[str, Field(min_length=1, max_length=100, pattern=r"^[^\x00-\x1f]+$")]
Filter = Annotated[str | None, Field(default=None, max_length=100)]


class ScheduleIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Name
    frequency: Frequency
    weekday: int | None = Field(None, ge=0, le=6, description="weekly: 0 = Monday … 6 = Sunday")
    day_of_month: int | None = Field(None, ge=1, le=31, description="monthly: the last day in shorter months")
    hour: int = Field(7, ge=0, le=23, description="local hour in the center's zone (CENTRALITA_REPORT_TIMEZONE)")
    minute: int = Field(0, ge=0, le=59)
    queues: Queues = Field(default_factory=list, description="empty: every queue")
    group_by: str = Field("queue", max_length=100, description="as GET /api/reports/kpi, e.g. queue or queue,day")
    agent: Filter = None
    did: Filter = None
    flow_version: Filter = None
    campaign: Filter = None
    formats: Formats = Field(default_factory=lambda: list[Format](["xlsx", "pdf"]))
    recipients: Recipients
    owner: str | None = Field(None, max_length=64, description="user name; admins only (default: you)")
    role: AudienceRole = Field("supervisor", description="lowest role that sees the runs besides the owner")
    enabled: bool = True


class ScheduleUpdate(BaseModel):
    """PATCH: only the fields given change; the result is checked as a whole."""

    model_config = ConfigDict(extra="forbid")

    name: Name | None = None
    frequency: Frequency | None = None
    weekday: int | None = Field(None, ge=0, le=6)
    day_of_month: int | None = Field(None, ge=1, le=31)
    hour: int | None = Field(None, ge=0, le=23)
    minute: int | None = Field(None, ge=0, le=59)
    queues: Queues | None = None
    group_by: str | None = Field(None, max_length=100)
    agent: Filter = None
    did: Filter = None
    flow_version: Filter = None
    campaign: Filter = None
    formats: Formats | None = None
    recipients: Recipients | None = None
    owner: str | None = Field(None, max_length=64)
    role: AudienceRole | None = None
    enabled: bool | None = None


class RunFileOut(BaseModel):
    format: str
    filename: str
    size: int
    url: str


class RunOut(BaseModel):
    id: int
    schedule_id: int
    schedule: str
    period_start: datetime
    period_end: datetime
    due_at: datetime
    status: str
    attempts: int
    error: str
    started_at: datetime
    finished_at: datetime | None
    rows: int
    refused: list[str]
    files: list[RunFileOut]


class ScheduleOut(BaseModel):
    id: int
    name: str
    frequency: str
    weekday: int | None
    day_of_month: int | None
    hour: int
    minute: int
    timezone: str
    queues: list[str]
    group_by: str
    filters: dict[str, str]
    formats: list[str]
    recipients: list[str]
    owner: str
    role: str
    enabled: bool
    created_at: datetime
    next_due_at: datetime
    last_run: RunOut | None = None


class TickOut(BaseModel):
    """What one check for due runs did (CLI and POST .../run)."""

    started: list[int] = Field(description="ids of the runs started (new periods and retries)")
    sent: list[int]
    failed: list[int]
