"""The one destination union every part reuses: IVR options, timeouts, queue overflow, business-hours
fallbacks and (later) campaigns. A destination says where a caller goes next; `ivr.compiler` turns it
into dialplan and `ivr.simulate` walks it in Python, so both agree by construction."""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

NAME = r"^[a-z][a-z0-9_-]{0,31}$"
NODE_ID = r"^[a-z][a-z0-9_]{0,23}$"
PHONE = r"^\+?[0-9]{2,20}$"


class _Dest(BaseModel):
    model_config = ConfigDict(extra="forbid")


class NodeDest(_Dest):
    """Another node of the same flow (a menu, a lookup, ...)."""

    type: Literal["node"] = "node"
    node: str = Field(pattern=NODE_ID)


class QueueDest(_Dest):
    type: Literal["queue"] = "queue"
    queue: str = Field(pattern=r"^[A-Za-z0-9_-]{1,64}$")


class FlowDest(_Dest):
    """The published version of another flow."""

    type: Literal["flow"] = "flow"
    flow: str = Field(pattern=NAME)


class AgentDest(_Dest):
    """An agent's extension (softphone)."""

    type: Literal["agent"] = "agent"
    extension: str = Field(pattern=r"^[0-9]{2,8}$")


class ExternalDest(_Dest):
    """An external number, through the trunk."""

    type: Literal["external"] = "external"
    number: str = Field(pattern=PHONE)


class VoicemailDest(_Dest):
    type: Literal["voicemail"] = "voicemail"
    mailbox: str = Field(pattern=r"^[0-9A-Za-z_-]{1,32}$")


class HangupDest(_Dest):
    type: Literal["hangup"] = "hangup"


class BookingDest(_Dest):
    """Placeholder for the booking capability; until it exists the caller reaches `queue`."""

    type: Literal["booking"] = "booking"
    service: str = Field("", max_length=64)


Destination = Annotated[
    NodeDest | QueueDest | FlowDest | AgentDest | ExternalDest | VoicemailDest | HangupDest | BookingDest,
    Field(discriminator="type"),
]
TERMINAL_TYPES = {"queue", "agent", "external", "voicemail", "hangup", "booking", "flow"}


def label(dest: _Dest) -> str:
    """How a destination appears in a call's path, e.g. `queue:atencion`."""
    value = {
        "node": "",
        "queue": "queue",
        "flow": "flow",
        "agent": "extension",
        "external": "number",
        "voicemail": "mailbox",
        "hangup": "",
        "booking": "service",
    }[dest.type]
    arg = getattr(dest, value, "") if value else ""
    return f"{dest.type}:{arg}" if arg else dest.type


def is_valid_name(name: str) -> bool:
    return bool(re.match(NAME, name))
