"""Per-version figures of a flow, read from the call records' paths, so version A can be compared
with version B: calls entering, option choices, self-service, to an agent, abandoned, time in IVR."""

from __future__ import annotations

import re
from collections import Counter, defaultdict

from sqlmodel import Session, col, select

from api.calls.models import CallRecord, CdrEntry

_OPTION = re.compile(r"^([a-z][a-z0-9_]*):([0-9*#])$")
_IVR_SECONDS = re.compile(r"ivr_s=(\d+)")
PERSON = ("queue:", "agent:", "booking")


def classify(steps: list[str]) -> str:
    """agent | self_service | abandoned, from one call's path."""
    if any(s.startswith(PERSON) for s in steps):
        return "agent"
    if any(s.endswith(":ok") or s in ("hangup", "survey") for s in steps):
        return "self_service"
    if any(s.startswith(("external:", "voicemail:")) for s in steps):
        return "agent"  # handed to a person elsewhere
    return "abandoned"


def version_metrics(session: Session, flow: str) -> list[dict]:
    prefix = f"flow:{flow}/v"
    records = session.exec(select(CallRecord).where(col(CallRecord.path).startswith(prefix))).all()
    seconds = _ivr_seconds(session, [r.linkedid for r in records])
    by_version: dict[int, dict] = defaultdict(
        lambda: {"calls": 0, "choices": Counter(), "agent": 0, "self_service": 0, "abandoned": 0, "ivr_seconds": []}
    )
    for record in records:
        steps = record.path.split(">")
        head = steps[0][len(prefix) :]
        if not head.isdigit():
            continue
        figures = by_version[int(head)]
        figures["calls"] += 1
        for step in steps[1:]:
            if step.startswith("flow:"):
                break  # another flow took over; its own metrics count the rest
            if m := _OPTION.match(step):
                figures["choices"][f"{m.group(1)}:{m.group(2)}"] += 1
        kind = classify(steps)
        figures[kind] += 1
        # Time in the IVR: until the hand-over for callers who reached a person, else the whole call.
        spent = seconds.get(record.linkedid)
        figures["ivr_seconds"].append(spent if spent is not None and kind == "agent" else record.duration)
    out = []
    for version, f in sorted(by_version.items()):
        calls = f["calls"]
        out.append(
            {
                "version": version,
                "calls": calls,
                "option_choices": dict(f["choices"]),
                "self_service": f["self_service"],
                "to_agent": f["agent"],
                "abandoned_in_ivr": f["abandoned"],
                "self_service_rate": round(f["self_service"] / calls, 3) if calls else 0.0,
                "mean_seconds_in_ivr": round(sum(f["ivr_seconds"]) / len(f["ivr_seconds"]), 2)
                if f["ivr_seconds"]
                else None,
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
