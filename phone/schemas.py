from __future__ import annotations

from pydantic import BaseModel


class IceServer(BaseModel):
    urls: list[str]
    username: str | None = None
    credential: str | None = None


class PhoneOut(BaseModel):
    ws_url: str
    sip_uri: str
    username: str
    password: str
    display_name: str
    extension: str
    ice_servers: list[IceServer]
