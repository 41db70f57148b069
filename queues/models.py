"""Queues and the agents' softphone endpoints (rendered into queues.conf and pjsip.conf)."""
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


class AgentEndpoint(SQLModel, table=True):
    """A softphone: the PJSIP endpoint/aor/auth triple named after `username`."""

    __tablename__ = "agent_endpoints"
    id: int | None = Field(default=None, primary_key=True)
    user_id: int | None = Field(default=None, foreign_key="users.id", index=True)
    username: str = Field(index=True, unique=True, max_length=64)
    # Asterisk needs the clear password to answer digest challenges; it is shown once to the agent.
    sip_password: str = Field(max_length=128)
    extension: str = Field(index=True, unique=True, max_length=16)


class QueueMember(SQLModel, table=True):
    __tablename__ = "queue_members"
    id: int | None = Field(default=None, primary_key=True)
    queue_id: int = Field(foreign_key="queues.id", index=True)
    endpoint_id: int = Field(foreign_key="agent_endpoints.id", index=True)
    penalty: int = 0
