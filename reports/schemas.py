"""The KPI query and the API shapes. Errors name the parameter (`queue`, `since`, `until`, `group_by`)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, Strict, ValidationError, field_validator, model_validator

from centralita.errors import FieldError

MAX_PERIOD = timedelta(days=400)
StrictFloatOrInt = Annotated[float, Strict()]  # a threshold is a number, not true/false or "0.8"
GROUPS = (
    "queue",
    "agent",
    "flow_version",
    "did",
    "campaign",
    "hour",
    "weekday",
    "day",
    "interval",
    "week",
    "month",
    "none",
)


class KpiQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    queue: list[str] = Field(default_factory=list, description="Queues (empty: all)")
    since: datetime
    until: datetime
    group_by: str = Field("queue", description="A comma list of: " + ", ".join(GROUPS))
    agent: str | None = None
    did: str | None = None
    flow_version: str | None = None
    campaign: str | None = None

    @field_validator("since", "until")
    @classmethod
    def _utc(cls, value: datetime) -> datetime:
        if not 1970 <= value.year <= 2200:
            raise ValueError("must be between the years 1970 and 2200")
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)

    @field_validator("group_by")
    @classmethod
    def _groups(cls, value: str) -> str:
        parts = [p.strip() for p in value.split(",") if p.strip()] or ["none"]
        unknown = [p for p in parts if p not in GROUPS]
        if unknown:
            raise ValueError(f"unknown grouping {unknown[0]!r}; one of {', '.join(GROUPS)}")
        if "none" in parts and len(parts) > 1:
            raise ValueError("'none' cannot be combined with another grouping")
        return ",".join(dict.fromkeys(parts))

    @model_validator(mode="after")
    def _period(self) -> KpiQuery:
        if self.until <= self.since:
            raise FieldError("until", "must be after since")
        if self.until - self.since > MAX_PERIOD:
            raise FieldError("until", f"the period may be at most {MAX_PERIOD.days} days")
        return self

    @property
    def groups(self) -> list[str]:
        return [] if self.group_by == "none" else self.group_by.split(",")


def parse_query(**params) -> KpiQuery:
    """KpiQuery from API/CLI parameters; the first problem becomes a FieldError naming the parameter."""
    try:
        return KpiQuery(**{k: v for k, v in params.items() if v is not None})
    except FieldError:
        raise
    except ValidationError as exc:
        err = exc.errors()[0]
        field = str(err["loc"][0]) if err["loc"] else "query"
        cause = (err.get("ctx") or {}).get("error")
        if isinstance(cause, FieldError):
            raise FieldError(cause.field, cause.message) from None
        raise FieldError(field, err["msg"].removeprefix("Value error, ")) from None


class KpiOut(BaseModel):
    rows: list[dict]
    definitions: str = "reports/KPIS.md"


class CallsOut(BaseModel):
    rows: list[dict]
    limit: int
    offset: int


class AbandonedOut(BaseModel):
    rows: list[dict]


class QueueSettingsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # strict: true/false or "20" are not numbers of seconds
    sl_threshold_s: int = Field(20, ge=1, le=3600, strict=True)
    short_abandon_s: int = Field(5, ge=0, le=600, strict=True)
    colours: dict[str, dict[str, StrictFloatOrInt]] = Field(
        default_factory=dict, description='{"<kpi>": {"warn": x, "alarm": y}}'
    )

    @field_validator("colours")
    @classmethod
    def _colours(cls, value: dict) -> dict:
        from reports.kpis import KPI_NAMES

        for kpi, levels in value.items():
            if kpi not in KPI_NAMES:
                raise ValueError(f"unknown KPI {kpi!r}")
            extra = set(levels) - {"warn", "alarm"}
            if extra:
                raise ValueError(f"{kpi}: only 'warn' and 'alarm' levels, not {sorted(extra)}")
        return value


class QueueSettingsOut(QueueSettingsIn):
    queue: str


class CallbackOut(BaseModel):
    callid: str
    queue: str
    number: str
    status: str
