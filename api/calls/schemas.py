from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field


class DispositionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    code: str = Field(max_length=64, description="One of CENTRALITA_CALL_DISPOSITIONS (GET /api/calls/dispositions).")
    note: str = Field("", max_length=1000, description="The agent's note on the call.")


class DispositionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    linkedid: str
    agent: str
    code: str
    note: str
    at: datetime


class CallOut(BaseModel):
    id: int
    linkedid: str
    start: datetime
    answer: datetime | None
    end: datetime
    duration: float
    billsec: float
    caller: str
    caller_name: str
    did: str
    disposition: str
    path: str
    sip_call_id: str
    channels: list[str]
    agents: list[str] = Field(
        default_factory=list, description="The agents whose phones (desk or browser) were on the call."
    )
    dispositions: list[DispositionOut] = Field(default_factory=list, description="Each agent's result of the call.")


class CallPage(BaseModel):
    total: int
    limit: int
    offset: int
    items: list[CallOut]
