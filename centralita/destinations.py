"""The one destination union every part reuses: IVR options, timeouts, queue overflow (queues/),
business-hours fallbacks and the dialer campaigns' queue. A destination says where a caller goes next;
`ivr.compiler` turns it into dialplan and `ivr.simulate` walks it in Python, so both agree by
construction. The patterns here are the only ones: a queue name valid in one place is valid in all."""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

NAME = r"^[a-z][a-z0-9_-]{0,31}$"  # a flow
NODE_ID = r"^[a-z][a-z0-9_]{0,23}$"
PHONE = r"^\+?[0-9]{2,20}$"
# A queue: lower case (Asterisk's queue and context names are case-sensitive, a typo in case would
# reach a queue nobody serves), 1-64 characters; `general` is reserved by Asterisk (queues.conf).
QUEUE_NAME = r"^[a-z0-9][a-z0-9_-]{0,63}$"
# In Python `$` also matches before a final newline ("atencion\n"); `\Z` does not, like the `$` of
# the regex engine pydantic validates `Field(pattern=...)` with.
QUEUE_NAME_RE = re.compile(QUEUE_NAME.removesuffix("$") + r"\Z")
RESERVED_QUEUE_NAMES = {"general"}
QUEUE_NAME_RULE = "1-64 lower-case letters, digits, '-' or '_', starting with a letter or digit, not 'general'"


class _Dest(BaseModel):
    model_config = ConfigDict(extra="forbid")


class NodeDest(_Dest):
    """Another node of the same flow (a menu, a lookup, ...)."""

    type: Literal["node"] = "node"
    node: str = Field(pattern=NODE_ID)


class QueueDest(_Dest):
    type: Literal["queue"] = "queue"
    queue: str = Field(pattern=QUEUE_NAME)


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


def label(dest: Destination) -> str:
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
    """A flow name."""
    return bool(re.match(NAME.removesuffix("$") + r"\Z", name))


def is_queue_name(name: object) -> bool:
    return isinstance(name, str) and bool(QUEUE_NAME_RE.match(name)) and name not in RESERVED_QUEUE_NAMES
