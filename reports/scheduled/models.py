"""Schedules, their runs (one per schedule × period, by a UNIQUE key) and the files each run produced.

The schedule row is the persisted job: due times are computed from it (service.latest_due), and the
run row's unique key is what makes a catch-up exactly-once whoever ticks (see runtime.py)."""

from datetime import datetime

from sqlalchemy import JSON, Column, LargeBinary, UniqueConstraint
from sqlmodel import Field, SQLModel

from centralita.timeutil import utcnow


class ReportSchedule(SQLModel, table=True):
    __tablename__ = "report_schedules"
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(index=True, unique=True, max_length=100)
    frequency: str = Field(max_length=10)  # daily | weekly | monthly
    weekday: int | None = None  # weekly: 0 = Monday … 6 = Sunday
    day_of_month: int | None = None  # monthly: 1..31, the month's last day when it is shorter
    hour: int = 7  # local time of the run in the center's zone (settings.report_timezone)
    minute: int = 0
    queues: list = Field(default_factory=list, sa_column=Column(JSON, nullable=False))  # [] = all
    group_by: str = Field(default="queue", max_length=100)
    filters: dict = Field(
        default_factory=dict, sa_column=Column(JSON, nullable=False)
    )  # agent/did/flow_version/campaign
    formats: list = Field(default_factory=list, sa_column=Column(JSON, nullable=False))  # xlsx, pdf, csv
    recipients: list = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    owner_id: int = Field(foreign_key="users.id", index=True)
    role: str = Field(default="supervisor", max_length=16)  # lowest role that sees its runs besides the owner
    enabled: bool = True
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
    # Due times before this never run: set at creation, and again when the rule changes or the schedule
    # is enabled again (turning a daily report weekly must not send last week's at once).
    active_since: datetime = Field(default_factory=utcnow)


class ReportRun(SQLModel, table=True):
    """One period of one schedule. status: running (claimed) → sent, or failed (retried at the next ticks
    until settings.report_schedule_max_attempts; `error` says why)."""

    __tablename__ = "report_runs"
    __table_args__ = (UniqueConstraint("schedule_id", "period_start", name="uq_report_run_schedule_period"),)
    id: int | None = Field(default=None, primary_key=True)
    schedule_id: int = Field(foreign_key="report_schedules.id", index=True)
    period_start: datetime
    period_end: datetime
    due_at: datetime  # the due time this run is for (earlier than started_at when it was caught up)
    status: str = Field(default="running", index=True, max_length=10)
    attempts: int = 0
    error: str = Field(default="", max_length=500)
    started_at: datetime = Field(default_factory=utcnow)
    finished_at: datetime | None = None
    message_id: str = Field(default="", max_length=255)
    refused: list = Field(default_factory=list, sa_column=Column(JSON, nullable=False))  # recipients refused
    rows: int = 0


class ReportRunFile(SQLModel, table=True):
    """A run's attachment, kept for download; written in the same transaction that marks the run sent."""

    __tablename__ = "report_run_files"
    __table_args__ = (UniqueConstraint("run_id", "format", name="uq_report_run_file_format"),)
    id: int | None = Field(default=None, primary_key=True)
    run_id: int = Field(foreign_key="report_runs.id", index=True)
    format: str = Field(max_length=8)
    filename: str = Field(max_length=200)
    content_type: str = Field(max_length=100)
    size: int = 0
    content: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
