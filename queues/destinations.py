"""Queue overflow: a destination of the shared union (centralita/destinations.py) restricted to
the kinds a queue's dialplan renders (hang up, another queue, an external number), validated
before anything is stored."""

from __future__ import annotations

from pydantic import TypeAdapter, ValidationError

from centralita.destinations import PHONE, QUEUE_NAME_RE, ExternalDest, HangupDest, QueueDest

NAME_RE = QUEUE_NAME_RE  # a queue's own name: the same pattern as every queue destination
TYPES = ("hangup", "queue", "external")
_OVERFLOW: TypeAdapter = TypeAdapter(QueueDest | ExternalDest | HangupDest)
_FIELD = {"queue": "queue", "external": "number"}


def validate_overflow(value: object, queue_names: set[str], own_name: str) -> dict:
    """The normalised destination, or ValueError('overflow…: reason')."""
    if not isinstance(value, dict) or value.get("type") not in TYPES:
        raise ValueError(f"overflow.type: one of {', '.join(TYPES)}")
    kind = value["type"]
    try:
        dest = _OVERFLOW.validate_python(value)
    except ValidationError:
        if kind == "external":
            raise ValueError(f"overflow.number: 2-20 digits, optional leading + ({PHONE})") from None
        if kind == "queue":
            raise ValueError("overflow.queue: must name an existing queue") from None
        raise ValueError("overflow: a hangup takes no other field") from None
    if isinstance(dest, QueueDest):
        if dest.queue not in queue_names:
            raise ValueError("overflow.queue: must name an existing queue")
        if dest.queue == own_name:
            raise ValueError("overflow.queue: a queue cannot overflow into itself")
    return dest.model_dump()
