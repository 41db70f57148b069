"""API bodies of retention."""

from __future__ import annotations

from pydantic import BaseModel, Field


class PolicyIn(BaseModel):
    days: int = Field(
        ..., ge=1, le=36_500, strict=True, description="How long recordings of this class are kept (at most 100 years)."
    )
    match: dict[str, str] = Field(default_factory=dict, description='e.g. {"direction": "outbound"} or {"queue": "x"}')


class PolicyOut(PolicyIn):
    name: str


class HoldIn(BaseModel):
    reason: str = Field(..., min_length=1, max_length=255)


class HoldOut(BaseModel):
    id: int
    legal_hold: bool
    legal_hold_reason: str
