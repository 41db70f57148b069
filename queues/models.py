"""Queues, the agents' softphone endpoints, and the durable queue history read from queue_log."""

from datetime import datetime

from sqlalchemy import JSON, Column, UniqueConstraint
from sqlmodel import Field, SQLModel


class Queue(SQLModel, table=True):
    __tablename__ = "queues"
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(index=True, unique=True, max_length=64)
    label: str = Field(default="", max_length=200)
    strategy: str = Field(default="rrmemory", max_length=32)
    member_timeout: int = 15
    wrapup_seconds: int = 5
    max_wait_seconds: int = 300
    # Where callers go after max_wait: {"type": "hangup"} | {"type": "queue", "queue": name}
    # | {"type": "external", "number": "..."} (see queues/destinations.py).
    overflow: dict = Field(default_factory=lambda: {"type": "hangup"}, sa_column=Column(JSON, nullable=False))
    announce_frequency: int = 30  # seconds between position / estimated-wait announcements; 0 = off
    info_prompt: str = Field(default="", max_length=200)  # the procedure's own message, played periodically
    callback_key: str = Field(default="", max_length=1)  # DTMF that asks for a callback; empty = no callback


class AgentEndpoint(SQLModel, table=True):
    """A softphone: the PJSIP endpoint/aor/auth triple named after `username`."""

    __tablename__ = "agent_endpoints"
    id: int | None = Field(default=None, primary_key=True)
    user_id: int | None = Field(default=None, foreign_key="users.id", index=True)
    username: str = Field(index=True, unique=True, max_length=64)
    # Asterisk needs the clear password to answer digest challenges; it is shown once to the agent.
    sip_password: str = Field(max_length=128)
    extension: str = Field(index=True, unique=True, max_length=16)
    # A fixed SIP URI (desk phone, gateway, test agent); empty means the softphone REGISTERs.
    contact: str = Field(default="", max_length=200)


class QueueMember(SQLModel, table=True):
    """A skill: the agent may serve this queue, with this penalty (lower is asked first)."""

    __tablename__ = "queue_members"
    id: int | None = Field(default=None, primary_key=True)
    queue_id: int = Field(foreign_key="queues.id", index=True)
    endpoint_id: int = Field(foreign_key="agent_endpoints.id", index=True)
    penalty: int = 0


class QueueLogEntry(SQLModel, table=True):
    """One queue_log line as Asterisk wrote it; `key` (sha1 of the line) makes ingestion idempotent."""

    __tablename__ = "queue_log_entries"
    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(index=True, unique=True, max_length=40)
    at: datetime
    callid: str = Field(default="", index=True, max_length=64)
    queue: str = Field(default="", max_length=64)
    agent: str = Field(default="", max_length=64)
    event: str = Field(max_length=32)
    data: list = Field(default_factory=list, sa_column=Column(JSON, nullable=False))


class QueueCall(SQLModel, table=True):
    """The outcome of one caller's stay in one queue."""

    __tablename__ = "queue_calls"
    __table_args__ = (UniqueConstraint("callid", "queue", name="uq_queue_calls_callid_queue"),)
    id: int | None = Field(default=None, primary_key=True)
    callid: str = Field(index=True, max_length=64)
    queue: str = Field(index=True, max_length=64)
    caller: str = Field(default="", max_length=80)
    entered_at: datetime
    position: int = 0
    # waiting | answered | abandoned | timeout | overflow | callback | exitkey | empty
    outcome: str = Field(default="waiting", max_length=16)
    agent: str = Field(default="", max_length=64)
    wait_seconds: float | None = None
    talk_seconds: float | None = None
    ended_at: datetime | None = None


class AgentSession(SQLModel, table=True):
    """An agent logged into a queue (ADDMEMBER … REMOVEMEMBER)."""

    __tablename__ = "agent_sessions"
    id: int | None = Field(default=None, primary_key=True)
    agent: str = Field(index=True, max_length=64)
    queue: str = Field(max_length=64)
    login_at: datetime
    logout_at: datetime | None = None


class AgentPause(SQLModel, table=True):
    __tablename__ = "agent_pauses"
    id: int | None = Field(default=None, primary_key=True)
    agent: str = Field(index=True, max_length=64)
    queue: str = Field(max_length=64)
    reason: str = Field(default="", max_length=32)
    start: datetime
    end: datetime | None = None


class Callback(SQLModel, table=True):
    """A caller who pressed the callback key: their place in line is kept until an agent is free."""

    __tablename__ = "queue_callbacks"
    id: int | None = Field(default=None, primary_key=True)
    callid: str = Field(index=True, unique=True, max_length=64)  # the caller's queue uniqueid: never twice
    queue: str = Field(max_length=64)
    number: str = Field(max_length=80)
    entered_at: datetime  # the original ENTERQUEUE time decides the place in line
    # requested → queued (placeholder waiting in the queue) → dialled | failed; or refused (a number we
    # must not call: centralita.phones.callback_refusal)
    status: str = Field(default="requested", max_length=16)
    placed_at: datetime | None = None
