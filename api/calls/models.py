"""Call records ingested from Asterisk's own CDR file (cdr_custom), so none is lost while we are down."""

from datetime import datetime

from sqlalchemy import JSON, Column, UniqueConstraint
from sqlmodel import Field, SQLModel

from centralita.timeutil import utcnow


class CdrEntry(SQLModel, table=True):
    """One CDR line exactly as Asterisk wrote it; (uniqueid, sequence) makes ingestion idempotent."""

    __tablename__ = "cdr_entries"
    __table_args__ = (UniqueConstraint("uniqueid", "sequence", name="uq_cdr_uniqueid_sequence"),)
    id: int | None = Field(default=None, primary_key=True)
    uniqueid: str = Field(max_length=64)
    sequence: int
    linkedid: str = Field(index=True, max_length=64)
    start: datetime
    answer: datetime | None = None
    end: datetime
    duration: float
    billsec: float
    src: str = Field(default="", max_length=80)
    clid: str = Field(default="", max_length=160)
    dst: str = Field(default="", max_length=80)
    dcontext: str = Field(default="", max_length=80)
    channel: str = Field(default="", max_length=160)
    dstchannel: str = Field(default="", max_length=160)
    lastapp: str = Field(default="", max_length=80)
    lastdata: str = Field(default="", max_length=255)
    disposition: str = Field(default="", max_length=32)
    did: str = Field(default="", max_length=80)
    path: str = Field(default="", max_length=255)
    userfield: str = Field(default="", max_length=255)
    sip_call_id: str = Field(default="", index=True, max_length=255)


class CallRecord(SQLModel, table=True):
    """One call as a person sees it: every CDR sharing a linkedid, folded together."""

    __tablename__ = "call_records"
    id: int | None = Field(default=None, primary_key=True)
    linkedid: str = Field(index=True, unique=True, max_length=64)
    start: datetime = Field(index=True)
    answer: datetime | None = None
    end: datetime
    duration: float
    billsec: float
    caller: str = Field(default="", index=True, max_length=80)
    caller_name: str = Field(default="", max_length=160)
    did: str = Field(default="", index=True, max_length=80)
    disposition: str = Field(default="", index=True, max_length=32)
    path: str = Field(default="", max_length=255)
    sip_call_id: str = Field(default="", index=True, max_length=255)
    channels: list = Field(default_factory=list, sa_column=Column(JSON, nullable=False))


class IngestCursor(SQLModel, table=True):
    """How far a CDR file has been read. A rotated file (new inode, or a different first line where
    the file system reused the inode) starts over."""

    __tablename__ = "ingest_cursors"
    id: int | None = Field(default=None, primary_key=True)
    source: str = Field(unique=True, max_length=255)
    inode: int = 0
    first_line_sha1: str = Field(default="", max_length=40)
    offset: int = 0


class CallDisposition(SQLModel, table=True):
    """An agent's result of a call they were on: a code (CENTRALITA_CALL_DISPOSITIONS) and a note. Keyed
    by the call's linkedid, not the call record's id, so it can be given as soon as the call ends, before
    the CDR is ingested; one per agent and call (a transferred call gets one from each agent)."""

    __tablename__ = "call_dispositions"
    __table_args__ = (UniqueConstraint("linkedid", "agent", name="uq_call_dispositions_linkedid_agent"),)
    id: int | None = Field(default=None, primary_key=True)
    linkedid: str = Field(index=True, max_length=64)
    agent: str = Field(max_length=64)  # the agent (endpoint name) whose result it is
    user_id: int | None = Field(default=None, foreign_key="users.id")
    code: str = Field(max_length=64)
    note: str = Field(default="", max_length=1000)
    at: datetime = Field(default_factory=utcnow)
