"""API shapes of recorder/: recordings and search pages, settings, tags, pauses, exports, QA."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from api.types import Timestamp


class RecordingOut(BaseModel):
    id: int
    uniqueid: str
    linkedid: str
    started_at: datetime
    ended_at: datetime | None
    duration: float
    direction: str
    caller: str
    agent: str
    agents: list
    queue: str
    flow: str
    campaign: str
    ivr_path: str
    disposition: str
    language: str
    stage: str
    sentiment_caller: float | None
    sentiment_agent: float | None
    categories: list
    tags: list
    pauses: list
    legal_hold: bool
    retention_class: str


class RecordingDetail(RecordingOut):
    transcript: dict
    analysis: dict
    archived: bool


class SearchPage(BaseModel):
    items: list[RecordingOut]
    total: int
    limit: int
    offset: int


class SettingIn(BaseModel):
    record: bool | None = Field(None, strict=True)  # strict: 0/1 and "yes" are not booleans
    language: str | None = Field(None, max_length=8)


class SettingOut(BaseModel):
    scope: str
    name: str
    record: bool
    language: str
    reloaded: bool = False


class TagsIn(BaseModel):
    tags: list[str] = Field(max_length=30)


class PauseOut(BaseModel):
    uniqueid: str
    paused: bool
    pause: dict
    pauses: list


class ExportIn(BaseModel):
    period: str = ""  # 2026-11 or 2026-Q4
    since: Timestamp | None = None
    until: Timestamp | None = None
    caller: str = Field("", max_length=80)


class ExportOut(BaseModel):
    id: int
    state: str
    total: int
    done: int
    filters: dict
    error: str
    requested_by: str
    at: datetime


class Criterion(BaseModel):
    key: str
    label: str = ""
    weight: float = 1.0
    max: float = 5.0


class ScorecardIn(BaseModel):
    name: str
    criteria: list[Criterion]


class ScorecardOut(BaseModel):
    id: int
    name: str
    criteria: list[dict]
    active: bool


class EvaluationIn(BaseModel):
    scorecard: str
    answers: dict[str, float]
    comment: str = ""


class EvaluationOut(BaseModel):
    id: int
    recording_id: int
    scorecard_id: int
    agent: str
    evaluator: str
    at: datetime
    answers: dict
    score: float
    comment: str


class QualityRow(BaseModel):
    agent: str
    period: str
    evaluations: int
    mean_score: float
    min_score: float
    max_score: float
