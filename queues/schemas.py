"""API bodies and answers of queues/ (validation of meaning lives in service.py)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class QueueIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(max_length=64)
    label: str = Field("", max_length=200)
    strategy: str = "rrmemory"
    # The same ranges as queues.service.QUEUE_LIMITS; strict: true/false or "30" are not numbers of seconds.
    member_timeout: int = Field(15, ge=5, le=300, strict=True)
    wrapup_seconds: int = Field(5, ge=0, le=600, strict=True)
    max_wait_seconds: int = Field(300, ge=10, le=7200, strict=True)
    overflow: dict = Field(default_factory=lambda: {"type": "hangup"})
    announce_frequency: int = Field(30, ge=0, le=600, strict=True)
    info_prompt: str = ""
    callback_key: str = ""


class QueuePatch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    label: str | None = Field(None, max_length=200)
    strategy: str | None = None
    member_timeout: int | None = Field(None, ge=5, le=300, strict=True)
    wrapup_seconds: int | None = Field(None, ge=0, le=600, strict=True)
    max_wait_seconds: int | None = Field(None, ge=10, le=7200, strict=True)
    overflow: dict | None = None
    announce_frequency: int | None = Field(None, ge=0, le=600, strict=True)
    info_prompt: str | None = None
    callback_key: str | None = None


class QueueOut(BaseModel):
    name: str
    label: str
    strategy: str
    member_timeout: int
    wrapup_seconds: int
    max_wait_seconds: int
    overflow: dict
    announce_frequency: int
    info_prompt: str
    callback_key: str
    reloaded: bool | None = None


class AgentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    username: str = Field(max_length=64)
    extension: str = Field(max_length=16)
    full_name: str = Field("", max_length=200)
    contact: str = Field("", max_length=200, description="Fixed SIP URI; empty: the softphone registers.")
    role: Literal["agent", "supervisor", "admin"] = "agent"


class AgentOut(BaseModel):
    username: str
    extension: str
    contact: str
    skills: dict[str, int]


class AgentCreated(AgentOut):
    web_password: str = Field(description="Shown once; empty when the user account already existed.")
    sip_password: str = Field(description="Shown once.")
    reloaded: bool


class SipPasswordOut(BaseModel):
    username: str
    sip_password: str = Field(description="Shown once.")
    reloaded: bool


class SkillIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    penalty: int = Field(0, ge=0, le=100, strict=True)


class LoginIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    device: Literal["desk", "web"] = Field(
        "desk",
        description="The phone the queues ring: desk (the agent's softphone, PJSIP/<agent>) or web (the browser "
        "phone of /agent, PJSIP/<agent>-web). One at a time: 409 while logged in with the other.",
    )


class AgentStateOut(BaseModel):
    agent: str
    state: Literal["logged_out", "available", "ringing", "on_call", "wrapup", "paused", "unreachable"]
    reason: str = Field(description="The pause reason while paused.")
    device: str = Field(description="desk, web, other (a member added by hand) or empty when logged out.")
    queues: list[str]
    since: float | None = Field(description="Unix time the state began; null when nothing is known yet.")
    wrapup_s: int = Field(0, description="While in wrap-up: the seconds it still lasts; 0 otherwise.")


class PauseIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str


class SpyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    mode: Literal["listen", "whisper", "barge"]
    supervisor_endpoint: str | None = Field(None, description="Softphone to ring; default: the caller's own.")


class ActionOut(BaseModel):
    agent: str
    action: str
    queues: list[str] = []


class AgentPartOut(BaseModel):
    agent: str
    via: Literal["queue", "transfer"] = Field(
        description="queue: the queue rang them (queue_log CONNECT); transfer: the call was transferred to their "
        "extension (their part comes from the CDRs)."
    )
    connected_at: datetime
    ended_at: datetime | None
    talk_seconds: float = Field(description="Their own talk, hold excluded.")
    hold_seconds: float
    ended_by: str = Field(
        description="caller | agent | blindtransfer | attendedtransfer | transfer | restart | open; a part after a "
        "transfer: transfer (another agent took it on), agent (the call went on without them) or hangup (it ended "
        "with the call: the CDRs do not say which side hung up)."
    )


class QueueCallOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    callid: str
    queue: str
    caller: str
    entered_at: datetime
    position: int
    outcome: str
    agent: str = Field(description="The agent who answered.")
    wait_seconds: float | None
    talk_seconds: float | None = Field(description="The answering agent's own talk (until a transfer).")
    ended_at: datetime | None
    agents: list[AgentPartOut] = Field(
        default_factory=list, description="Every agent's part in order, those reached by a transfer included."
    )


class SessionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    agent: str
    queue: str
    login_at: datetime
    logout_at: datetime | None


class PauseOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    agent: str
    queue: str
    reason: str
    start: datetime
    end: datetime | None


class CallbackOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    callid: str
    queue: str
    number: str
    entered_at: datetime
    status: str
    placed_at: datetime | None
