"""API input and output of the IVR (validation of flows themselves is in ivr/validation.py)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from api.types import DB_INT_MAX, Timestamp


class FlowIn(BaseModel):
    definition: dict
    comment: str = Field("", max_length=200)


class FlowSummary(BaseModel):
    name: str
    published_version: int | None
    latest_version: int | None
    updated_at: datetime | None


class FlowOut(FlowSummary):
    definition: dict


class VersionOut(BaseModel):
    version: int
    comment: str
    created_by: str
    created_at: datetime
    published_at: datetime | None
    definition: dict | None = None


class PublishIn(BaseModel):
    version: int | None = Field(
        None, ge=1, le=DB_INT_MAX, strict=True, description="Default: the newest saved version."
    )


class RollbackIn(BaseModel):
    version: int = Field(ge=1, le=DB_INT_MAX, strict=True)


class PublishOut(BaseModel):
    flow: str
    published_version: int
    dialplan_reloaded: bool


class ValidationOut(BaseModel):
    valid: bool
    errors: list[dict]


class SimulateIn(BaseModel):
    digits: list[str] = Field(
        default_factory=list, max_length=50, description="What the caller keys at each input; '' is silence."
    )
    at: Timestamp | None = Field(None, description="Pretend it is this time (business hours).")
    version: int | None = Field(
        None, ge=1, le=DB_INT_MAX, strict=True, description="Default: the newest saved version."
    )
    known_caller: bool = Field(False, strict=True)  # strict: 0/1 and "yes" are not booleans
    lookups: bool = Field(True, strict=True, description="Call the lookup services for real.")


class SimulateOut(BaseModel):
    path: str
    outcome: str
    said: list[str]


class OverrideIn(BaseModel):
    state: Literal["open", "closed", "auto"]


class DidIn(BaseModel):
    flow: str = Field(min_length=1, max_length=64)


class PromptIn(BaseModel):
    name: str = Field(min_length=1, max_length=64)
    text: str = Field(min_length=1, max_length=2000)
    language: Literal["es", "en"] = "es"


class PromptOut(BaseModel):
    name: str
    source: str
    text: str
    language: str
    sha1: str


class ContactIn(BaseModel):
    phone: str = Field(min_length=3, max_length=40)
    name: str = Field("", max_length=160)
    national_id: str = Field("", max_length=32)
    note: str = Field("", max_length=500)


class ContactOut(BaseModel):
    id: int
    phone: str
    name: str
    national_id: str
    note: str


class SurveyAnswerOut(BaseModel):
    linkedid: str
    flow: str
    version: int
    question: int
    answer: int
    agent: str
    queue: str
    caller: str
    at: datetime


class SplitIn(BaseModel):
    """An A/B test: `version` takes `share` % of the calls beside the published version."""

    version: int = Field(ge=1, le=DB_INT_MAX, strict=True)
    share: int = Field(ge=1, le=99, strict=True, description="Percent of calls for `version`.")
    by: Literal["call", "caller"] = Field(
        "call", description="call: drawn per call; caller: the same caller always hears the same version."
    )


class SplitOut(BaseModel):
    id: int
    flow: str
    version: int
    base_version: int
    share: int
    by: str
    started_at: datetime
    started_by: str
    ended_at: datetime | None
    ended_by: str
    outcome: str
    dialplan_reloaded: bool | None = None
