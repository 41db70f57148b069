"""The event stream for wallboards and CRMs: bus events filtered per client (see queues/EVENTS.md)."""

from __future__ import annotations

import json

from centralita.telephony.endpoints import is_agent_channel

# "reports.": the KPI engine's live figures (reports.kpi, for the wallboard); no agent field, so agents never get them.
QUEUE_EVENTS = ("agent.", "queue.", "call.", "spy.", "state.", "bench.", "dialer.", "reports.")


def wanted(event: dict, queue: str | None, agent: str | None) -> bool:
    """True if a client filtering on queue/agent should see `event`."""
    if not event.get("type", "").startswith(QUEUE_EVENTS):
        return False
    data = event.get("data") or {}
    if event["type"] in ("state.rebuilt", "bench.ping"):
        return True
    if queue:
        if "queue" in data and data["queue"] != queue:
            return False
        if "queue" not in data and "queues" in data and queue not in data["queues"]:
            return False
    if agent:
        on_call = any(is_agent_channel(p.get("channel", ""), agent) for p in data.get("parties", []))
        if data.get("agent") != agent and not on_call:
            return False
    return True


def decode(raw: str) -> dict | None:
    try:
        event = json.loads(raw)
    except ValueError:
        return None
    return event if isinstance(event, dict) else None
