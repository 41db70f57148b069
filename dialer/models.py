"""Outbound campaigns, their contact lists, the do-not-call list, and every dial attempt.

Shaped for the dialing engine to come (issue 6, item 3): a contact is claimed by setting
`status='dialing'` and `claimed_at` in the same UPDATE that checks it was still due, so two engine
processes (or one restarted) never dial it twice at once, and a stale claim is visible and
recoverable; each call leaves an `Attempt` whose `linkedid` joins the CDR-based call record.
The queue is referenced by name because queues/ is its own capability (and Asterisk's key).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Column, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from centralita.timeutil import utcnow

MODES = ("preview", "progressive", "predictive", "broadcast")
STATES = ("stopped", "running", "paused")
# How a placed call ended, as the engine sees it; `connected` is a human reaching an agent.
OUTCOMES = ("connected", "busy", "no_answer", "machine", "failed", "abandoned")
RETRY_OUTCOMES = ("busy", "no_answer", "machine", "failed", "abandoned")
# new: never dialled; scheduled: due again at next_attempt_at; dialing: claimed by the engine;
# done: closed by a disposition; exhausted: max attempts reached; dnc: added to do-not-call.
CONTACT_STATUSES = ("new", "scheduled", "dialing", "done", "exhausted", "dnc")
AMD_ACTIONS = ("hangup", "message", "agent")


def default_retry_delays() -> dict:
    # Seconds before the next attempt, per outcome: a busy line frees soon, an absent person later.
    return {"busy": 600, "no_answer": 3600, "machine": 7200, "failed": 1800, "abandoned": 300}


class Campaign(SQLModel, table=True):
    __tablename__ = "dialer_campaigns"
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(index=True, unique=True, max_length=64)
    mode: str = Field(default="predictive", max_length=16)
    state: str = Field(default="stopped", max_length=16, index=True)
    queue_name: str = Field(default="", max_length=64)
    caller_id: str = Field(default="", max_length=32)
    abandon_target: float = 0.03
    max_attempts: int = 3
    retry_delays: dict = Field(default_factory=default_retry_delays, sa_column=Column(JSON, nullable=False))
    # Call window, read in each contact's own time zone: weekdays (0 = Monday) and [start, end).
    window_days: list = Field(default_factory=lambda: [0, 1, 2, 3, 4], sa_column=Column(JSON, nullable=False))
    window_start: str = Field(default="09:00", max_length=5)
    window_end: str = Field(default="20:00", max_length=5)
    default_timezone: str = Field(default="UTC", max_length=64)  # contacts whose number pins no zone
    priority: int = 0  # higher first when campaigns share agents
    dial_timeout: int = 25  # seconds of ringing before no_answer
    amd_action: str = Field(default="hangup", max_length=16)
    broadcast_message: str = Field(default="", max_length=2000)  # text or prompt name; {fields} allowed
    broadcast_agent_digit: str = Field(default="", max_length=1)  # "press 1 to speak to an agent"
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
    started_at: datetime | None = None


class ContactList(SQLModel, table=True):
    __tablename__ = "dialer_contact_lists"
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(index=True, unique=True, max_length=64)
    campaign_id: int | None = Field(default=None, foreign_key="dialer_campaigns.id", index=True)
    region: str = Field(default="", max_length=2)  # default region of its numbers; '' = the setting
    active: bool = True
    field_names: list = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    created_at: datetime = Field(default_factory=utcnow)


class Contact(SQLModel, table=True):
    __tablename__ = "dialer_contacts"
    __table_args__ = (
        UniqueConstraint("list_id", "phone", name="uq_dialer_contacts_list_phone"),
        Index("ix_dialer_contacts_status_claimed", "status", "claimed_at"),
    )
    id: int | None = Field(default=None, primary_key=True)
    list_id: int = Field(foreign_key="dialer_contact_lists.id", index=True)
    phone: str = Field(max_length=20, index=True)  # E.164
    name: str = Field(default="", max_length=200)
    timezone: str = Field(default="", max_length=64)  # '' = the campaign's default_timezone
    fields: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    status: str = Field(default="new", max_length=16, index=True)
    attempts: int = 0
    next_attempt_at: datetime | None = None
    claimed_at: datetime | None = None
    last_outcome: str = Field(default="", max_length=16)
    last_disposition: str = Field(default="", max_length=64)
    source_row: int = 0  # row in the imported file, for the supervisor's questions
    created_at: datetime = Field(default_factory=utcnow)


class DncEntry(SQLModel, table=True):
    """Do-not-call: never dialled by any campaign (checked at import and again before dialling)."""

    __tablename__ = "dialer_dnc"
    id: int | None = Field(default=None, primary_key=True)
    phone: str = Field(max_length=20, unique=True, index=True)  # E.164
    reason: str = Field(default="", max_length=200)
    created_at: datetime = Field(default_factory=utcnow)


class Attempt(SQLModel, table=True):
    """One placed call and how it ended; the agent's disposition closes, reschedules or retries."""

    __tablename__ = "dialer_attempts"
    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int = Field(foreign_key="dialer_campaigns.id", index=True)
    contact_id: int = Field(foreign_key="dialer_contacts.id", index=True)
    phone: str = Field(max_length=20)
    started_at: datetime = Field(default_factory=utcnow, index=True)
    ended_at: datetime | None = None
    outcome: str = Field(default="", max_length=16)
    disposition: str = Field(default="", max_length=64)
    agent_user_id: int | None = Field(default=None, foreign_key="users.id")
    linkedid: str = Field(default="", max_length=64, index=True)
    # Filled by the dialing engine (dialer_0002): when the far end answered, what AMD said, when and
    # to which agent the call was connected, and when the agent's disposition settled it.
    answered_at: datetime | None = None
    amd_status: str = Field(default="", max_length=16)  # HUMAN, MACHINE, NOTSURE, HANGUP ('' = not run)
    connected_at: datetime | None = None
    agent_name: str = Field(default="", max_length=64)
    right_party: bool | None = None  # the agent spoke with the intended person
    disposed_at: datetime | None = None


class ContactImport(SQLModel, table=True):
    """The report of one import: counts and every rejected row with its reason."""

    __tablename__ = "dialer_imports"
    id: int | None = Field(default=None, primary_key=True)
    list_id: int = Field(foreign_key="dialer_contact_lists.id", index=True)
    filename: str = Field(default="", max_length=255)
    rows: int = 0
    accepted: int = 0
    rejected: int = 0
    rejections: list = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    seconds: float = 0.0
    username: str = Field(default="", max_length=64)
    created_at: datetime = Field(default_factory=utcnow)
