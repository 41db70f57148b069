"""Per-version figures of a flow, read from the call records' paths, so version A can be compared
with version B: calls entering, option choices, self-service, to an agent, abandoned, time in IVR."""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from api.calls.models import CallRecord, CdrEntry

_OPTION = re.compile(r"^([a-z][a-z0-9_]*):([0-9*#])$")
_IVR_SECONDS = re.compile(r"ivr_s=(\d+)")
PERSON = ("queue:", "agent:", "booking")  # `booking[:SERVICE]`: the destination that reaches a person
BOOKED = (":booked", ":cancelled", ":kept")  # a booking node's outcomes where the caller served themself
SELF_SERVED = (":ok", *BOOKED)


def _to_person(step: str) -> bool:
    # A booking *node* may be named booking…: its `booking:booked` is self-service, not the destination.
    return step.startswith(PERSON) and not (step.startswith("booking") and step.endswith(BOOKED))


def classify(steps: list[str]) -> str:
    """agent | self_service | abandoned, from one call's path."""
    if any(_to_person(s) for s in steps):
        return "agent"
    if any(s.endswith(SELF_SERVED) or s in ("hangup", "survey") for s in steps):
        return "self_service"
    if any(s.startswith(("external:", "voicemail:")) for s in steps):
        return "agent"  # handed to a person elsewhere
    return "abandoned"


@dataclass
class CallFigures:
    """One call's part in its version's figures."""

    linkedid: str
    kind: str  # agent | self_service | abandoned (classify)
    choices: list[str]
    ivr_seconds: float


def calls_by_version(
    session: Session, flow: str, since: datetime | None = None, until: datetime | None = None
) -> dict[int, list[CallFigures]]:
    """Every call record that entered `flow` (started in [since, until) when given), by version."""
    prefix = f"flow:{flow}/v"
    query = select(CallRecord).where(col(CallRecord.path).startswith(prefix))
    if since is not None:
        query = query.where(CallRecord.start >= since)
    if until is not None:
        query = query.where(CallRecord.start < until)
    records = session.exec(query).all()
    seconds = _ivr_seconds(session, [r.linkedid for r in records])
    out: dict[int, list[CallFigures]] = defaultdict(list)
    for record in records:
        steps = record.path.split(">")
        head = steps[0][len(prefix) :]
        if not head.isdigit():
            continue
        choices = []
        for step in steps[1:]:
            if step.startswith("flow:"):
                break  # another flow took over; its own metrics count the rest
            if m := _OPTION.match(step):
                choices.append(f"{m.group(1)}:{m.group(2)}")
        kind = classify(steps)
        # Time in the IVR: until the hand-over for callers who reached a person, else the whole call.
        spent = seconds.get(record.linkedid)
        ivr = spent if spent is not None and kind == "agent" else record.duration
        out[int(head)].append(CallFigures(record.linkedid, kind, choices, ivr))
    return out


def version_metrics(
    session: Session, flow: str, since: datetime | None = None, until: datetime | None = None
) -> list[dict]:
    out = []
    for version, calls in sorted(calls_by_version(session, flow, since, until).items()):
        n = len(calls)
        kinds = Counter(c.kind for c in calls)
        out.append(
            {
                "version": version,
                "calls": n,
                "option_choices": dict(Counter(choice for c in calls for choice in c.choices)),
                "self_service": kinds["self_service"],
                "to_agent": kinds["agent"],
                "abandoned_in_ivr": kinds["abandoned"],
                "self_service_rate": round(kinds["self_service"] / n, 3) if n else 0.0,
                "mean_seconds_in_ivr": round(sum(c.ivr_seconds for c in calls) / n, 2) if n else None,
            }
        )
    return out


def _ivr_seconds(session: Session, linkedids: list[str]) -> dict[str, float]:
    out: dict[str, float] = {}
    for start in range(0, len(linkedids), 500):
        chunk = linkedids[start : start + 500]
        for linkedid, userfield in session.exec(
            select(CdrEntry.linkedid, CdrEntry.userfield).where(col(CdrEntry.linkedid).in_(chunk))
        ):
            if m := _IVR_SECONDS.search(userfield or ""):
                out[linkedid] = float(m.group(1))
    return out
