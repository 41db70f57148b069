"""The audit log: who did what to what, and when. Rows are only ever inserted."""

from datetime import datetime

from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel

from centralita.timeutil import utcnow


class AuditLog(SQLModel, table=True):
    __tablename__ = "audit_log"
    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, index=True)
    user_id: int | None = Field(default=None, index=True)
    username: str = Field(default="", max_length=64)
    action: str = Field(index=True, max_length=64)
    target: str = Field(default="", max_length=200)
    detail: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    client: str = Field(default="", max_length=64)
