"""What staffing keeps: forecast overrides (holidays, events) uploaded as CSV, and saved week plans."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Column, UniqueConstraint
from sqlmodel import Field, SQLModel

from centralita.timeutil import utcnow


class StaffingOverride(SQLModel, table=True):
    """One CSV row: on `day` (local), from `start_minute` to `end_minute` (minutes after local midnight),
    the forecast is multiplied by `factor` or replaced by `calls` per 15-minute interval."""

    __tablename__ = "staffing_overrides"
    id: int | None = Field(default=None, primary_key=True)
    queue: str = Field(default="", index=True, max_length=64)  # empty: every queue
    day: date = Field(index=True)
    start_minute: int = 0
    end_minute: int = 1440
    factor: float | None = None
    calls: float | None = None
    label: str = Field(default="", max_length=200)
    source: str = Field(default="", max_length=200)  # the uploaded file's name
    created_at: datetime = Field(default_factory=utcnow)
    created_by: str = Field(default="", max_length=64)


class StaffingPlan(SQLModel, table=True):
    """A week plan as saved by a supervisor: its parameters and, per interval, the forecast and the agents."""

    __tablename__ = "staffing_plans"
    __table_args__ = (UniqueConstraint("queue", "week_start", name="uq_staffing_plans_queue_week"),)
    id: int | None = Field(default=None, primary_key=True)
    queue: str = Field(index=True, max_length=64)
    week_start: date
    method: str = Field(max_length=32)
    model: str = Field(max_length=16)  # erlang_c | erlang_a: which one `agents` follows
    target_sl: float
    threshold_s: float
    shrinkage: float
    aht_s: float
    patience_s: float | None = None
    timezone: str = Field(max_length=64)
    # [{"start": iso UTC, "calls": f, "agents_c": n, "agents_a": n, "agents": n, "scheduled": n}, ...]
    intervals: list = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    created_at: datetime = Field(default_factory=utcnow)
    created_by: str = Field(default="", max_length=64)
