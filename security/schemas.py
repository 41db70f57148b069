"""API answers of security/."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel


class BanOut(BaseModel):
    ip: str
    reason: str
    failures: int
    banned_at: datetime
    expires_at: datetime


class UnbanOut(BaseModel):
    ip: str
    lifted: bool = True
    reloaded: bool = False
    warning: str = ""


class SecurityEventOut(BaseModel):
    at: datetime
    kind: str
    ip: str
    account: str
    service: str
    detail: dict
