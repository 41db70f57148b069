"""A flow definition: a graph of typed nodes, each leading on through `Destination`s.

This is the shape admins edit (API JSON, CLI YAML/JSON). Structure is checked by pydantic here;
the graph rules (targets exist, every node reachable, prompts exist) are in `ivr.validation`."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from ivr.destinations import NODE_ID, Destination, HangupDest

DIGITS = "0123456789*#"
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class _Node(BaseModel):
    model_config = ConfigDict(extra="forbid")
    label: str = Field("", max_length=120, description="What admins see; callers never hear it.")


class MenuNode(_Node):
    type: Literal["menu"] = "menu"
    prompt: str
    options: dict[str, Destination] = Field(default_factory=dict)
    timeout_s: int = Field(5, ge=1, le=30)
    max_tries: int = Field(3, ge=1, le=9)
    invalid_prompt: str = "invalid"
    timeout_prompt: str | None = None
    invalid: Destination | None = Field(None, description="After max_tries wrong digits; default: the operator.")
    timeout: Destination | None = Field(None, description="After max_tries silences; default: the operator.")
    direct_dial: bool = Field(False, description="Callers may dial an agent's extension from this menu.")

    @field_validator("options")
    @classmethod
    def _digits(cls, options: dict) -> dict:
        for digit in options:
            if len(digit) != 1 or digit not in DIGITS:
                raise ValueError(f"option {digit!r} must be one DTMF digit (0-9, * or #)")
        return options


class PlayNode(_Node):
    type: Literal["play"] = "play"
    prompt: str
    next: Destination


CALENDAR_NAME = r"^[a-z0-9][a-z0-9_-]{0,63}$"  # shared calendars and holiday lists (ivr/calendars.py)


class HoursNode(_Node):
    """Open or closed now? Weekly schedule in a time zone, holidays, and a manual override.

    With `calendar`, the shared calendar's time zone, schedule and holiday lists replace the node's own
    timezone/schedule (kept only as the fallback when the database cannot be read); the node's
    `holidays` and `holiday_lists` always add to whatever holidays apply. See ivr/hours.py."""

    type: Literal["hours"] = "hours"
    calendar: str | None = Field(None, pattern=CALENDAR_NAME, description="A shared business-hours calendar")
    timezone: str = "America/Panama"
    schedule: dict[str, list[str]] = Field(default_factory=dict, description="mon..sun → ['08:00-16:30']")
    holidays: list[str] = Field(default_factory=list, description="YYYY-MM-DD dates closed all day")
    holiday_lists: list[Annotated[str, Field(pattern=CALENDAR_NAME)]] = Field(
        default_factory=list, max_length=20, description="Shared holiday lists, besides the calendar's"
    )
    override: Literal["auto", "open", "closed"] = "auto"
    open: Destination
    closed: Destination


class SayField(BaseModel):
    model_config = ConfigDict(extra="forbid")
    field: str = Field(pattern=r"^[A-Za-z0-9_.]{1,64}$", description="Dotted path in the JSON answer.")
    say: Literal["amount", "number", "date", "digits", "text"] = "text"
    prompt: str | None = Field(None, description="Played before the value, e.g. 'su deuda es'.")
    currency: str = Field("dólares", max_length=32, description="Spoken after an amount's whole part.")


class LookupNode(_Node):
    """An HTTP integration without code: ask digits, call the URL, say fields of the answer."""

    type: Literal["lookup"] = "lookup"
    prompt: str = Field(description="Asks for the digits.")
    min_digits: int = Field(1, ge=1, le=20)
    max_digits: int = Field(10, ge=1, le=20)
    check: Literal["none", "luhn", "mod11"] = "none"
    tries: int = Field(3, ge=1, le=5)
    url: str = Field(pattern=r"^https?://", description="Template: {digits}, {caller}.")
    method: Literal["GET", "POST"] = "GET"
    headers: dict[str, str] = Field(default_factory=dict)
    timeout_s: float = Field(3.0, gt=0, le=15)
    found_field: str = Field("found", description="JSON field that is false when nothing was found.")
    say: list[SayField] = Field(default_factory=list, max_length=8)
    not_found_prompt: str | None = None
    next: Destination
    fallback: Destination | None = Field(
        None, description="After an apology, when the service fails or is too slow; default: the default queue."
    )


def is_nps_question(prompt: str) -> bool:
    """A survey question whose prompt name starts with `nps` is answered 0–10 (Net Promoter Score);
    every other one 1–5 (CSAT). The IVR and the reports decide it the same way."""
    return str(prompt).lower().startswith("nps")


class SurveyNode(_Node):
    """Post-call survey: 1–5 questions answered by DTMF, 1–5 (CSAT) or, for a prompt named `nps…`, 0–10
    (one digit, or two: 10; `#` ends a single digit early)."""

    type: Literal["survey"] = "survey"
    questions: list[str] = Field(min_length=1, max_length=5, description="Prompt names")
    thanks_prompt: str = "goodbye"
    timeout_s: int = Field(5, ge=1, le=20)


class IdentifyNode(_Node):
    """Branch on whether the caller's number belongs to a known contact."""

    type: Literal["identify"] = "identify"
    known: Destination
    unknown: Destination


class QueueNode(_Node):
    type: Literal["queue"] = "queue"
    queue: str = Field(pattern=r"^[A-Za-z0-9_-]{1,64}$")
    # Overflow belongs to the queue itself (queues/), so every way into a queue behaves the same.
    info_prompt: str | None = Field(None, description="About the procedure, played as the caller joins.")


class TransferNode(_Node):
    type: Literal["transfer"] = "transfer"
    number: str = Field(pattern=r"^\+?[0-9]{2,20}$")


class VoicemailNode(_Node):
    type: Literal["voicemail"] = "voicemail"
    mailbox: str = Field(pattern=r"^[0-9A-Za-z_-]{1,32}$")


class HangupNode(_Node):
    type: Literal["hangup"] = "hangup"
    prompt: str | None = None


class BookingNode(_Node):
    """Appointments by phone (booking/agi.py): the caller types their identity; one who already has a
    booking hears it (date, time, code) and keeps it (1) or cancels it (2); otherwise the next free slots
    are offered, kept for the caller while offered, one is taken by its digit (9: later dates) and the
    date, time and code are read back. Bad input, no free slot, an unknown service or a failure: a spoken
    explanation, then `fallback`. `0` reaches the operator when the flow allows it."""

    type: Literal["booking"] = "booking"
    service: str = Field(
        "", max_length=100, description="A booking service's name (`centralita booking services list`)."
    )
    prompt: str = Field("booking-ask-identity", description="Asks for the identity (digits, then #).")
    tries: int = Field(3, ge=1, le=5, description="Attempts at the identity and at each choice.")
    timeout_s: int = Field(6, ge=2, le=20, description="Seconds to wait for the caller's keys.")
    offer: int = Field(3, ge=1, le=8, description="Free slots offered at a time (keys 1..offer).")
    hold_s: int | None = Field(
        None, ge=30, le=900, description="Seconds offered places are kept; default CENTRALITA_BOOKING_HOLD_SECONDS."
    )
    next: Destination = Field(default_factory=HangupDest, description="After booking, cancelling or keeping a booking.")
    fallback: Destination | None = Field(
        None, description="After the explanation (bad identity, no free slot, failure); default: the default queue."
    )


Node = Annotated[
    MenuNode
    | PlayNode
    | HoursNode
    | LookupNode
    | SurveyNode
    | IdentifyNode
    | QueueNode
    | TransferNode
    | VoicemailNode
    | HangupNode
    | BookingNode,
    Field(discriminator="type"),
]


class FlowDefinition(BaseModel):
    model_config = ConfigDict(extra="forbid")
    start: str = Field(pattern=NODE_ID)
    operator: Destination | None = Field(None, description="Where 0 at any menu leads; default: the default queue.")
    operator_digit: bool = Field(True, description="Pressing 0 at any menu reaches a person.")
    identify: bool = Field(False, description="Identify the caller (FastAGI) as the call enters.")
    survey: str | None = Field(None, pattern=NODE_ID, description="Survey node run when the agent hangs up.")
    nodes: dict[str, Node]

    @field_validator("nodes")
    @classmethod
    def _node_ids(cls, nodes: dict) -> dict:
        import re

        for node_id in nodes:
            if not re.match(NODE_ID, node_id):
                raise ValueError(f"node id {node_id!r}: lower-case letters, digits and '_' (max 24)")
        if not nodes:
            raise ValueError("a flow needs at least one node")
        return nodes
