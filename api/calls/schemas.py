from datetime import datetime

from pydantic import BaseModel


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


class CallPage(BaseModel):
    total: int
    limit: int
    offset: int
    items: list[CallOut]
