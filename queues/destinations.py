"""Queue overflow destinations, validated before anything is stored.

The typed destination union of the design is being written in ivr/; until it lands, overflow is
a JSON object {"type": ...} with these shapes, checked here so the dialplan can always render it."""

from __future__ import annotations

import re

NAME_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
NUMBER_RE = re.compile(r"^\+?[0-9]{2,20}$")
TYPES = ("hangup", "queue", "external")


def validate_overflow(value: object, queue_names: set[str], own_name: str) -> dict:
    """The normalised destination, or ValueError('overflow…: reason')."""
    if not isinstance(value, dict) or value.get("type") not in TYPES:
        raise ValueError(f"overflow.type: one of {', '.join(TYPES)}")
    kind = value["type"]
    if kind == "queue":
        target = value.get("queue")
        if not isinstance(target, str) or target not in queue_names:
            raise ValueError("overflow.queue: must name an existing queue")
        if target == own_name:
            raise ValueError("overflow.queue: a queue cannot overflow into itself")
        return {"type": "queue", "queue": target}
    if kind == "external":
        number = value.get("number")
        if not isinstance(number, str) or not NUMBER_RE.match(number):
            raise ValueError("overflow.number: 2-20 digits, optional leading +")
        return {"type": "external", "number": number}
    return {"type": "hangup"}
