"""Callbacks that keep the caller's place in line.

The caller pressed the queue's callback key and hung up; queue_log holds the request (see
queues/queuelog.py). Here a Local channel takes the caller's original place in the queue (ahead
of everyone who came later); when an agent answers it, its other half rings the caller
(dialplan contexts centralita-callback-wait / -dial). The status moves to 'queued' and is
committed *before* the Originate, so no retry or restart can ever place a callback twice."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC

from sqlmodel import Session, col, select

from centralita import db
from centralita.timeutil import utcnow
from queues.models import Callback, Queue

log = logging.getLogger("centralita.queues.callbacks")


def position_for(callers: list[dict], queue: str, entered_at: float) -> int:
    """1 + callers of `queue` who joined before the callback's caller did (whole-second queue_log time)."""
    return 1 + sum(1 for c in callers if c["queue"] == queue and c["joined_at"] < entered_at)


def _claim() -> list[dict]:
    """Mark every requested callback 'queued' (committed) and return what to place. A number we must
    not call (the caller chose it: foreign, premium) is 'refused', logged and audited instead."""
    from api.audit import service as audit
    from centralita.phones import callback_refusal
    from centralita.settings import get_settings

    region = get_settings().default_region
    with Session(db.get_engine()) as session:
        due = list(
            session.exec(select(Callback).where(Callback.status == "requested").order_by(col(Callback.entered_at)))
        )
        out = []
        for cb in due:
            refusal = callback_refusal(cb.number, region)
            if refusal:
                log.warning("callback %s to %s refused: %s (call %s)", cb.id, cb.number, refusal, cb.callid)
                cb.status = "refused"
                session.add(cb)
                audit.record(
                    session,
                    "queues.callback_refused",
                    target=cb.number,
                    detail={"reason": refusal, "queue": cb.queue, "callid": cb.callid},
                )
                continue
            queue = session.exec(select(Queue).where(Queue.name == cb.queue)).first()
            cb.status, cb.placed_at = "queued", utcnow()
            session.add(cb)
            entered = cb.entered_at if cb.entered_at.tzinfo else cb.entered_at.replace(tzinfo=UTC)
            out.append(
                {
                    "id": cb.id,
                    "callid": cb.callid,
                    "queue": cb.queue,
                    "number": cb.number,
                    "entered_at": entered.timestamp(),
                    "max_wait": queue.max_wait_seconds if queue else 300,
                }
            )
        session.commit()
        return out


def _mark(callback_id: int, status: str) -> None:
    with Session(db.get_engine()) as session:
        cb = session.get(Callback, callback_id)
        if cb is not None:
            cb.status = status
            session.add(cb)
            session.commit()


async def place_due(queues_runtime) -> int:
    if not queues_runtime.ami.connected or not queues_runtime.synced:
        return 0  # positions come from the live state: wait until it is rebuilt
    placed = 0
    for cb in await asyncio.to_thread(_claim):
        callers = list(queues_runtime.state.callers.values())
        position = position_for(callers, cb["queue"], cb["entered_at"])
        variables = {
            "CB_QUEUE": cb["queue"],
            "CB_NUMBER": cb["number"],
            "CB_POSITION": str(position),
            "CB_CALLID": cb["callid"],
            "CB_PRIO": "0",
        }
        try:
            reply = await queues_runtime.ami.send(
                {
                    "Action": "Originate",
                    "Channel": f"Local/cb{cb['id']}@centralita-callback-wait/n",
                    "Context": "centralita-callback-dial",
                    "Exten": f"cb{cb['id']}",
                    "Priority": "1",
                    "Async": "true",
                    "Timeout": str(cb["max_wait"] * 1000),
                    "CallerID": f'"callback" <{cb["number"]}>',
                    "Variable": ",".join(f"{k}={v}" for k, v in variables.items()),
                },
                single=True,
            )
            reply = reply[0] if isinstance(reply, list) else reply
            ok = reply.get("Response") == "Success"
            if not ok:
                log.warning("callback %s: Asterisk refused the originate: %s", cb["id"], reply.get("Message"))
        except Exception as exc:
            log.warning("callback %s: originate failed: %s", cb["id"], exc)
            ok = False
        if not ok:
            await asyncio.to_thread(_mark, cb["id"], "failed")
            continue
        placed += 1
        log.info("callback %s for %s placed at position %d of %s", cb["id"], cb["number"], position, cb["queue"])
    return placed
