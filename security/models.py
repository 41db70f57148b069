"""Bans of SIP source addresses and the security log (failed authentications, refused calls)."""

from datetime import datetime

from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel

from centralita.timeutil import utcnow


class SipBan(SQLModel, table=True):
    """One ban of one address; rows stay after they are lifted (the history of who was banned)."""

    __tablename__ = "sip_bans"
    id: int | None = Field(default=None, primary_key=True)
    ip: str = Field(index=True, max_length=64)
    reason: str = Field(default="", max_length=200)
    failures: int = 0
    banned_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime = Field(index=True)
    lifted_at: datetime | None = Field(default=None, index=True)  # None: still in force (until expires_at)
    lifted_by: str = Field(default="", max_length=64)  # "expired" or the admin who removed it


class SecurityEvent(SQLModel, table=True):
    """What Asterisk reported (InvalidPassword, ChallengeResponseFailed, ...) or our dialplan refused
    (toll fraud), with its source address: the record that bans are counted from."""

    __tablename__ = "security_events"
    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, index=True)
    kind: str = Field(index=True, max_length=40)
    ip: str = Field(index=True, max_length=64)
    account: str = Field(default="", max_length=100)
    service: str = Field(default="", max_length=20)
    detail: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
