"""Booking API in and out."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator

from booking.slots import WEEKDAYS, parse_span

NAME = r"^[a-z0-9][a-z0-9_-]{0,99}$"


class ServiceIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(pattern=NAME, description="Lower case, digits, '-' or '_', e.g. retiro-de-placa.")
    timezone: str = "America/Panama"
    slot_minutes: int = Field(60, ge=5, le=720)
    capacity: int = Field(ge=1, le=100_000, description="Places per slot.")
    opening: dict[str, list[str]] = Field(description="mon..sun → ['08:00-16:00', ...]")
    days_ahead: int = Field(30, ge=0, le=366)
    min_notice_minutes: int = Field(0, ge=0, le=60 * 24 * 30)
    closed_dates: list[date] = Field(default_factory=list, description="Holidays: YYYY-MM-DD dates closed all day.")
    identity_min_digits: int = Field(1, ge=1, le=20)
    identity_max_digits: int = Field(20, ge=1, le=20)
    identity_check: Literal["none", "luhn", "mod11"] = "none"

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone '{value}' (e.g. America/Panama)") from None
        return value

    @field_validator("opening")
    @classmethod
    def _opening(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        for day, spans in value.items():
            if day not in WEEKDAYS:
                raise ValueError(f"'{day}' is not one of {', '.join(WEEKDAYS)}")
            for span in spans:
                parse_span(span)
        if not any(value.values()):
            raise ValueError("no opening hours on any day")
        return value


class ServiceOut(BaseModel):
    id: int
    name: str
    timezone: str
    slot_minutes: int
    capacity: int
    opening: dict[str, list[str]]
    days_ahead: int
    min_notice_minutes: int
    closed_dates: list[str]
    identity_min_digits: int
    identity_max_digits: int
    identity_check: str


class ExceptionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    closed: bool = False
    capacity: int | None = Field(None, ge=0, le=100_000, description="Places per slot that day (extra or reduced).")


class SlotOut(BaseModel):
    start: datetime
    capacity: int
    booked: int


class BookingIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    service: str
    identity: str = Field(description="Digits only (cédula, taxpayer number, plate).")
    start: datetime = Field(description="A slot start; without an offset it is read in the service's zone.")
    hold: str | None = Field(None, description="The token of a hold on this slot, to confirm it.")
    phone: str = Field("", max_length=32, description="Mobile for SMS reminders (E.164, or national).")
    email: str = Field("", max_length=200, description="Address for email reminders.")


class HoldIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    service: str
    start: datetime
    identity: str = ""


class HoldOut(BaseModel):
    token: str
    start: datetime
    expires_at: datetime


class BookingCreated(BaseModel):
    id: int
    code: str
    start: datetime


class BookingOut(BaseModel):
    id: int
    service: str
    code: str
    day: str
    start: datetime
    identity: str
    status: str
    moved_from: int | None
    phone: str = ""
    email: str = ""


class MoveIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    start: datetime


class StatusIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    status: Literal["attended", "no_show"]


class WaitlistIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    service: str
    date: date
    identity: str
    phone: str = Field("", max_length=32)
    email: str = Field("", max_length=200)


class WaitlistOut(BaseModel):
    id: int
    position: int
    date: str
    identity: str
    phone: str
    email: str
    created_at: datetime
    status: str = Field("waiting", description="waiting, or booked: a freed place was booked for them.")
    booking_id: int | None = None


class NotificationOut(BaseModel):
    id: int
    booking_id: int
    code: str
    kind: str = Field(description="waitlist (a freed place booked for them) or reminder.")
    offset_minutes: int
    channel: str = Field(description="sms or email.")
    recipient: str
    status: str = Field(description="pending, sending, sent or failed.")
    attempts: int
    error: str
    created_at: datetime
    sent_at: datetime | None


class ReminderRunOut(BaseModel):
    queued: int = Field(description="Messages queued by this run (reminders that became due).")
    sent: int
    failed: int
    retry: int = Field(description="Messages refused for now, tried again at a later tick.")
