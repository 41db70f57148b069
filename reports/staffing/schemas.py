"""Staffing's inputs, validated once (the API's query and body, the CLI's options): every error names its
field. Outputs are plain dicts (documented in the README), the same from the API and the CLI."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from api.types import Day
from centralita.errors import FieldError, FieldErrors

Method = Literal["holt_winters", "seasonal_average"]
Model = Literal["erlang_a", "erlang_c"]
MAX_PERIOD_DAYS = 31
FIRST_YEAR, LAST_YEAR = 2000, 2100  # history and plans live here; keeps date arithmetic far from its limits


def check_day(field: str, value: date) -> date:
    if not FIRST_YEAR <= value.year <= LAST_YEAR:
        raise FieldError(field, f"must be between {FIRST_YEAR} and {LAST_YEAR}")
    return value


class Targets(BaseModel):
    """What the plan must reach, and what the agents lose to breaks, training and absence."""

    model_config = ConfigDict(extra="forbid")
    target_sl: float = Field(0.8, gt=0, lt=1, description="Service level to reach, 0..1 (exclusive), e.g. 0.8")
    threshold_s: float = Field(20, ge=0, le=3600, description="Seconds within which a call counts as answered in time")
    shrinkage: float = Field(0.3, ge=0, lt=1, description="Share of paid time not on the phones, 0 <= s < 1")
    aht_s: float | None = Field(
        None, ge=1, le=7200, description="Handle time (talk + wrap-up), seconds; empty: measured from the history"
    )
    patience_s: float | None = Field(
        None, ge=1, le=36000, description="Callers' mean patience, seconds; empty: measured from the abandons"
    )
    max_occupancy: float | None = Field(
        None, ge=0.1, le=1, description="Erlang C: keep agents at most this busy, 0.1..1"
    )
    model: Model = Field("erlang_a", description="Which model's agents the plan follows (both are shown)")


class ForecastParams(BaseModel):
    model_config = ConfigDict(extra="forbid")
    queue: str = Field(min_length=1, max_length=64)
    method: Method = "holt_winters"
    history_weeks: int = Field(12, ge=2, le=104, description="Weeks of history before the forecast period")


class PlanParams(ForecastParams, Targets):
    week_start: Day = Field(description="First day (local) of the 7-day plan, e.g. a Monday")

    @field_validator("week_start")
    @classmethod
    def _week(cls, value: date) -> date:
        if not FIRST_YEAR <= value.year <= LAST_YEAR:
            raise ValueError(f"must be between {FIRST_YEAR} and {LAST_YEAR}")
        return value


class PlanBody(PlanParams):
    """The same fields as a JSON body: numbers are strict there (true/false or "0.8" are refused, as
    api/types.py asks of every body), while the query form of PlanParams reads them from strings."""

    target_sl: float = Field(0.8, gt=0, lt=1, strict=True, description="Service level to reach, 0..1 (exclusive)")
    threshold_s: float = Field(20, ge=0, le=3600, strict=True, description="Seconds to count as answered in time")
    shrinkage: float = Field(0.3, ge=0, lt=1, strict=True, description="Share of paid time not on the phones")
    aht_s: float | None = Field(None, ge=1, le=7200, strict=True, description="Handle time, seconds; empty: measured")
    patience_s: float | None = Field(None, ge=1, le=36000, strict=True, description="Mean patience, seconds")
    max_occupancy: float | None = Field(None, ge=0.1, le=1, strict=True, description="Erlang C: at most this busy")
    history_weeks: int = Field(12, ge=2, le=104, strict=True, description="Weeks of history before the period")


class PeriodParams(ForecastParams):
    since: Day = Field(description="First local day")
    until: Day = Field(description="Last local day (inclusive); at most 31 days after since")

    @field_validator("since", "until")
    @classmethod
    def _years(cls, value: date) -> date:
        if not FIRST_YEAR <= value.year <= LAST_YEAR:
            raise ValueError(f"must be between {FIRST_YEAR} and {LAST_YEAR}")
        return value


def period_check(since: date, until: date) -> None:
    check_day("since", since)
    check_day("until", until)
    if until < since:
        raise FieldError("until", "must not be before since")
    if (until - since).days + 1 > MAX_PERIOD_DAYS:
        raise FieldError("until", f"the period is longer than {MAX_PERIOD_DAYS} days")


class ErlangParams(Targets):
    calls: float = Field(ge=0, le=1_000_000, description="Calls offered in the interval")
    interval_s: float = Field(900, ge=60, le=86400, description="Interval length, seconds")
    aht_s: float | None = Field(180, ge=1, le=7200, description="Handle time (talk + wrap-up), seconds")


def parse(schema: type[BaseModel], /, **values):
    """Build a params model, turning pydantic's errors into our FieldError (CLI and services alike)."""
    try:
        return schema(**{k: v for k, v in values.items() if v is not None})
    except ValidationError as exc:
        items = []
        for e in exc.errors():
            loc = [str(p) for p in e["loc"]] or ["params"]
            ctx = e.get("ctx", {}).get("error")
            if isinstance(ctx, FieldError):  # raised by a validator: keep its own field
                loc = [ctx.field]
                msg = ctx.message
            else:
                msg = e["msg"]
            items.append({"loc": loc, "msg": f"{loc[-1]}: {msg}"})
        raise FieldErrors(items[0]["loc"][-1], items) from None
