"""Audit log as the API returns it."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict


class AuditEntry(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    at: datetime
    user_id: int | None
    username: str
    action: str
    target: str
    detail: dict
    client: str


class AuditPage(BaseModel):
    total: int
    limit: int
    offset: int
    items: list[AuditEntry]
