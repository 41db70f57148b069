"""API (and CLI file) input and output of shared calendars and holiday lists. Every string and list
is bounded; the time zone, the schedule's ranges and the lists named are checked by ivr/calendars.py."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, WithJsonSchema, model_validator

from ivr.flowdef import CALENDAR_NAME

Name = Annotated[str, StringConstraints(pattern=CALENDAR_NAME, max_length=64)]
Range = Annotated[str, StringConstraints(max_length=11)]  # HH:MM-HH:MM
Day = Annotated[str, StringConstraints(max_length=3)]  # mon..sun
_SHORT = re.compile(r"(\d{4}-\d{2}-\d{2})(?: (.{0,120}))?")  # fullmatch: no newline, no leading space


class HolidayIn(BaseModel):
    """One date closed all day. Also written as one text, `2026-11-03 Separación de Panamá de
    Colombia` (a date, then its optional name), the short form of the YAML files."""

    model_config = ConfigDict(extra="forbid")
    date: str = Field(pattern=r"^\d{4}-\d{2}-\d{2}$", max_length=10, description="YYYY-MM-DD")
    name: str = Field("", max_length=120)

    @model_validator(mode="before")
    @classmethod
    def _short_form(cls, value: Any) -> Any:
        if isinstance(value, date):  # YAML reads a bare 2026-11-03 as a date
            return {"date": value.isoformat()}
        if isinstance(value, str) and (m := _SHORT.fullmatch(value)):
            return {"date": m.group(1), "name": m.group(2) or ""}
        if isinstance(value, dict) and isinstance(value.get("date"), date):
            return {**value, "date": value["date"].isoformat()}
        return value


# The OpenAPI document shows both forms a holiday may take, so clients (and the fuzzer) know the text one.
_HOLIDAY_SCHEMA = {
    "anyOf": [
        {
            "type": "object",
            "properties": {
                "date": {"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2}$", "maxLength": 10},
                "name": {"type": "string", "maxLength": 120, "default": ""},
            },
            "required": ["date"],
            "additionalProperties": False,
        },
        {"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2}( .{0,120})?$", "maxLength": 131},
    ]
}


class HolidayListIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    description: str = Field("", max_length=200)
    holidays: list[Annotated[HolidayIn, WithJsonSchema(_HOLIDAY_SCHEMA)]] = Field(default_factory=list, max_length=500)


class HolidayListOut(BaseModel):
    name: str
    description: str
    holidays: list[dict]
    updated_at: datetime
    updated_by: str


class CalendarIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    description: str = Field("", max_length=200)
    timezone: str = Field(max_length=64, description="IANA zone, e.g. America/Panama")
    schedule: dict[Day, Annotated[list[Range], Field(max_length=8)]] = Field(
        default_factory=dict, max_length=7, description="mon..sun → ['08:00-16:30']"
    )
    holiday_lists: list[Name] = Field(default_factory=list, max_length=20)


class CalendarOut(BaseModel):
    name: str
    description: str
    timezone: str
    schedule: dict[str, list[str]]
    holiday_lists: list[str]
    updated_at: datetime
    updated_by: str
