"""API shapes of the dialer. Types only; the rules (ranges, consistency) live in the service."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from api.types import DB_INT_MAX, Timestamp

Mode = Literal["preview", "progressive", "predictive", "broadcast"]
REGION = r"^([A-Za-z]{2})?$"  # ISO 3166 alpha-2, or empty for the default region
# A campaign by name or id (true/false are neither).
CampaignKey = Annotated[str, Field(max_length=64)] | Annotated[int, Field(ge=1, le=DB_INT_MAX, strict=True)]


class CampaignSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    mode: Mode | None = None
    queue_name: str | None = Field(None, max_length=64)
    caller_id: str | None = Field(None, max_length=32)
    # Ranges as dialer.service.validate_campaign checks them; strict: true/false and "3" are not numbers.
    abandon_target: float | None = Field(None, gt=0, le=0.03, strict=True)
    max_attempts: int | None = Field(None, ge=1, le=20, strict=True)
    retry_delays: dict[str, Annotated[int, Field(ge=0, le=30 * 86400, strict=True)]] | None = None
    window_days: list[Annotated[int, Field(ge=0, le=6, strict=True)]] | None = Field(None, min_length=1, max_length=7)
    window_start: str | None = None
    window_end: str | None = None
    default_timezone: str | None = Field(None, max_length=64)
    priority: int | None = Field(None, ge=0, le=99, strict=True)
    dial_timeout: int | None = Field(None, ge=5, le=120, strict=True)
    amd_action: Literal["hangup", "message", "agent"] | None = None
    broadcast_message: str | None = Field(None, max_length=2000)
    broadcast_agent_digit: str | None = Field(None, max_length=1)

    def given(self) -> dict:
        return self.model_dump(exclude_none=True)


class CampaignCreate(CampaignSettings):
    name: str = Field(..., max_length=64)

    def given(self) -> dict:
        return self.model_dump(exclude_none=True, exclude={"name"})


class CampaignOut(BaseModel):
    id: int
    name: str
    mode: str
    state: str
    queue_name: str
    caller_id: str
    abandon_target: float
    max_attempts: int
    retry_delays: dict
    window_days: list
    window_start: str
    window_end: str
    default_timezone: str
    priority: int
    dial_timeout: int
    amd_action: str
    broadcast_message: str
    broadcast_agent_digit: str
    created_at: datetime
    updated_at: datetime
    started_at: datetime | None


class ListCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(..., max_length=64)
    campaign: CampaignKey | None = None
    region: str = Field("", pattern=REGION)


class ListUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    campaign: CampaignKey | None = None
    active: bool | None = Field(None, strict=True)  # strict: 0/1 and "yes" are not booleans


class ListOut(BaseModel):
    id: int
    name: str
    campaign_id: int | None
    region: str
    active: bool
    field_names: list[str]
    created_at: datetime
    contacts: dict[str, int] = {}


class ContactOut(BaseModel):
    id: int
    list_id: int
    phone: str
    name: str
    timezone: str
    fields: dict
    status: str
    attempts: int
    next_attempt_at: datetime | None
    last_outcome: str
    last_disposition: str
    source_row: int


class ContactPage(BaseModel):
    total: int
    limit: int
    offset: int
    items: list[ContactOut]


class Rejection(BaseModel):
    row: int
    reason: str
    value: str


class ImportOut(BaseModel):
    import_id: int | None
    list_id: int
    filename: str
    rows: int
    accepted: int
    rejected: int
    blank: int
    seconds: float
    rejections: list[Rejection]


class ImportSummary(BaseModel):
    id: int
    filename: str
    rows: int
    accepted: int
    rejected: int
    seconds: float
    username: str
    created_at: datetime
    rejections: list[Rejection]


class DncCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    phone: str = Field(..., max_length=40)
    reason: str = Field("", max_length=200)
    region: str = Field("", pattern=REGION)


class DncOut(BaseModel):
    phone: str
    reason: str
    created_at: datetime


class DncPage(BaseModel):
    total: int
    items: list[DncOut]


class WhatIfIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    agents: int = Field(20, ge=1, le=500)
    hours: float = Field(8.0, gt=0, le=12)
    answer_prob: float | None = Field(None, ge=0, le=1)
    ring_min: float = Field(5.0, ge=0, le=120)
    ring_max: float = Field(25.0, ge=0, le=120)
    talk_mean: float = Field(180.0, gt=0, le=7200)
    talk_sd: float = Field(90.0, ge=0, le=7200)
    wrapup: float = Field(10.0, ge=0, le=3600)
    machine_share: float = Field(0.0, ge=0, le=1)
    trunk_lines: int | None = Field(None, ge=1, le=10000)
    seeds: int = Field(3, ge=1, le=10)
    policy: Literal["preview", "progressive", "fixed_ratio", "adaptive", "adaptive_average", "predictive"] | None = None


class DispositionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    disposition: str = Field(
        ..., max_length=64, description="Result code; 'callback' reschedules, 'retry' dials again."
    )
    right_party: bool | None = Field(
        None, strict=True, description="Spoke with the person sought (default: yes unless wrong_party)."
    )
    callback_at: Timestamp | None = Field(None, description="For 'callback': when, with its time zone.")


class AttemptOut(BaseModel):
    id: int
    campaign_id: int
    contact_id: int
    phone: str
    started_at: datetime
    answered_at: datetime | None
    amd_status: str
    connected_at: datetime | None
    agent_name: str
    ended_at: datetime | None
    outcome: str
    disposition: str
    right_party: bool | None
    disposed_at: datetime | None
    linkedid: str


class AttemptPage(BaseModel):
    total: int
    items: list[AttemptOut]


class DispositionOut(BaseModel):
    attempt: AttemptOut
    contact: ContactOut
