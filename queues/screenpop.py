"""The screen pop: who is calling, what they did in the IVR and their recent contacts, sent when
the agent's phone starts ringing so the agent does not ask again."""

from __future__ import annotations

import asyncio
import json

from sqlmodel import Session, col, select

from api.calls.models import CallRecord
from centralita import db
from centralita.telephony import channel_vars as cv

# Channel variables the IVR leaves on the caller's channel (CDR(path) is written after every step).
IVR_VARIABLES = {
    "path": "CDR(path)",
    "digits": cv.DIGITS,
    "did": cv.DID,
    "flow": cv.FLOW,
    "lookup": cv.LOOKUP,
    "priority": "QUEUE_PRIO",
}
HISTORY = 5


def recent_contacts(number: str, limit: int = HISTORY) -> list[dict]:
    if not number:
        return []
    with Session(db.get_engine()) as session:
        rows = session.exec(
            select(CallRecord).where(CallRecord.caller == number).order_by(col(CallRecord.start).desc()).limit(limit)
        )
        return [
            {
                "start": r.start.isoformat(),
                "path": r.path,
                "disposition": r.disposition,
                "billsec": r.billsec,
                "did": r.did,
            }
            for r in rows
        ]


async def build(ami, event: dict, timeout: float) -> dict:
    """From an AgentCalled event; every lookup is bounded so a slow part leaves a field empty, no more."""
    channel = event.get("Channel", "")
    ivr: dict = {}
    for key, variable in IVR_VARIABLES.items():
        try:
            reply = await ami.send({"Action": "Getvar", "Channel": channel, "Variable": variable}, timeout=timeout)
            value = (reply[0] if isinstance(reply, list) else reply).get("Value", "") or ""
        except Exception:
            value = ""
        if key == "lookup" and value:
            try:
                value = json.loads(value)
            except ValueError:
                pass
        ivr[key] = value
    number = event.get("CallerIDNum", "")
    try:
        history = await asyncio.wait_for(asyncio.to_thread(recent_contacts, number), timeout)
    except Exception:
        history = []
    return {
        "agent": event.get("MemberName", ""),
        "queue": event.get("Queue", ""),
        "uniqueid": event.get("Uniqueid", ""),
        # the call's id everywhere else (call records, recordings, dispositions)
        "linkedid": event.get("Linkedid") or event.get("Uniqueid", ""),
        "channel": channel,
        "caller": {"number": number, "name": event.get("CallerIDName", "")},
        "ivr": ivr,
        "history": history,
    }
