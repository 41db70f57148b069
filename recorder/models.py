"""Recordings, their pipeline state, retention, and quality evaluations.

One `Recording` per recorded call leg pair (MixMonitor of the caller's channel, both legs kept
apart). The pipeline moves `stage` forward one idempotent step at a time:
  recording -> ended -> verified -> transcribed -> analysed -> encoded -> stored -> indexed -> done
(`failed` after the retries are spent, `purged` once retention removed the archive copy).
Each step writes what it produced before advancing `stage`, so a worker killed mid-step redoes
only that step. The WAV is deleted only at `done`, after the stored copy was read back and its
sha256 matched (`archive_verified_at`).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Column, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from centralita.timeutil import utcnow

STAGES = (
    "recording",
    "ended",
    "verified",
    "transcribed",
    "analysed",
    "encoded",
    "stored",
    "indexed",
    "done",
    "failed",
    "purged",
)
DIRECTIONS = ("inbound", "outbound", "internal")


class Recording(SQLModel, table=True):
    __tablename__ = "recordings"
    id: int | None = Field(default=None, primary_key=True)
    uniqueid: str = Field(index=True, unique=True, max_length=64)  # the recorded channel
    linkedid: str = Field(index=True, max_length=64)  # joins call_records.linkedid
    started_at: datetime = Field(default_factory=utcnow, index=True)
    ended_at: datetime | None = None
    duration: float = 0.0  # seconds of audio
    direction: str = Field(default="inbound", max_length=16)
    caller: str = Field(default="", index=True, max_length=80)
    agent: str = Field(default="", index=True, max_length=64)  # agent endpoint username (who answered)
    # Every agent who spoke, in order: a transferred call names the agents it was handed to as well.
    agents: list = Field(default_factory=list, sa_column=Column(JSON, nullable=False, server_default="[]"))
    queue: str = Field(default="", index=True, max_length=64)
    flow: str = Field(default="", max_length=64)
    campaign: str = Field(default="", index=True, max_length=64)
    ivr_path: str = Field(default="", max_length=255)
    disposition: str = Field(default="", max_length=32)
    language: str = Field(default="es", max_length=8)
    # Pauses (PCI DSS): [{"start": s, "end": s}] in seconds from the start of the recording.
    pauses: list = Field(default_factory=list, sa_column=Column(JSON, nullable=False))

    # Pipeline
    stage: str = Field(default="recording", index=True, max_length=16)
    attempts: int = 0
    last_error: str = Field(default="", max_length=500)
    updated_at: datetime = Field(default_factory=utcnow)
    wav_path: str = Field(default="", max_length=500)
    wav_sha256: str = Field(default="", max_length=64)
    wav_deleted_at: datetime | None = None
    # The worker working on it and until when (a lease it renews), so one recording is never
    # processed by two workers at once, even when a message is delivered twice.
    claimed_by: str = Field(default="", max_length=64)
    claimed_until: datetime | None = None

    # Archive copy (Opus, legs apart), possibly encrypted; `archive_key` names the object in the backend.
    archive_backend: str = Field(default="", max_length=16)
    archive_key: str = Field(default="", max_length=500)
    archive_sha256: str = Field(default="", max_length=64)  # of the stored bytes
    archive_bytes: int = 0
    archive_verified_at: datetime | None = None
    key_id: str = Field(default="", max_length=64)  # master key that wraps this file's data key
    wrapped_key: str = Field(default="", max_length=255)

    # Retention
    retention_class: str = Field(default="default", max_length=32)
    retain_until: datetime | None = Field(default=None, index=True)
    legal_hold: bool = Field(default=False, index=True)
    legal_hold_reason: str = Field(default="", max_length=255)
    purged_at: datetime | None = None

    # Transcript (PII redacted) and analytics
    transcript: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    transcript_text: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    analysis: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    sentiment_caller: float | None = None
    sentiment_agent: float | None = None
    categories: list = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    tags: list = Field(default_factory=list, sa_column=Column(JSON, nullable=False))


class RetentionPolicy(SQLModel, table=True):
    """How long a class of recordings is kept; `default` (15 years) applies when nothing matches."""

    __tablename__ = "retention_policies"
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(index=True, unique=True, max_length=32)
    days: int = 15 * 365 + 4  # 15 years, leap days included
    # Which recordings get this class when they are created: {"direction": "outbound"},
    # {"queue": "x"}, {"campaign": "y"}; empty matches nothing (assigned by hand only).
    match: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class RecordingSetting(SQLModel, table=True):
    """Per queue / flow / campaign: record or not, and the language of its calls."""

    __tablename__ = "recording_settings"
    __table_args__ = (UniqueConstraint("scope", "name", name="uq_recording_settings_scope_name"),)
    id: int | None = Field(default=None, primary_key=True)
    scope: str = Field(max_length=16)  # queue | flow | campaign
    name: str = Field(max_length=64)
    record: bool = True
    language: str = Field(default="es", max_length=8)


class Scorecard(SQLModel, table=True):
    """A QA form: criteria with weights, e.g. courtesy 0.25, protocol 0.35, effectiveness 0.25, satisfaction 0.15."""

    __tablename__ = "qa_scorecards"
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(index=True, unique=True, max_length=64)
    # [{"key": "courtesy", "label": "Cortesía", "weight": 0.25, "max": 5}]
    criteria: list = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    active: bool = True


class Evaluation(SQLModel, table=True):
    """A supervisor's evaluation of one recording with one scorecard; `score` is the weighted 0-100."""

    __tablename__ = "qa_evaluations"
    id: int | None = Field(default=None, primary_key=True)
    recording_id: int = Field(foreign_key="recordings.id", index=True)
    scorecard_id: int = Field(foreign_key="qa_scorecards.id", index=True)
    agent: str = Field(default="", index=True, max_length=64)
    evaluator: str = Field(default="", max_length=64)
    at: datetime = Field(default_factory=utcnow, index=True)
    answers: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    score: float = 0.0
    comment: str = Field(default="", max_length=1000)


class ExportJob(SQLModel, table=True):
    """A bulk export (period or caller) built in the background as a ZIP with a manifest."""

    __tablename__ = "recording_exports"
    id: int | None = Field(default=None, primary_key=True)
    requested_by: str = Field(default="", max_length=64)
    at: datetime = Field(default_factory=utcnow)
    filters: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    state: str = Field(default="queued", max_length=16)  # queued | running | done | failed
    total: int = 0
    done: int = 0
    path: str = Field(default="", max_length=500)
    error: str = Field(default="", max_length=500)
