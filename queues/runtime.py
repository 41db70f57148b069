"""Queues in the API process: AMI events → live state (Redis + event bus), rebuilt from Asterisk
after every (re)connect; queue_log → durable history; callbacks placed at the caller's place in line.

Events are handled one at a time from a single asyncio queue, so what the bus publishes is in the
order Asterisk sent it."""

from __future__ import annotations

import asyncio
import json
import logging
import time

from sqlmodel import Session, select

from centralita import bus, db
from centralita.telephony.pbx import instance_paths
from queues import callbacks, screenpop
from queues.live import LiveState
from queues.models import AgentEndpoint, Queue
from queues.queuelog import ingest_file, refine_waits

log = logging.getLogger("centralita.queues")
LIVE_KEY = "centralita:queues:live"
INGEST_INTERVAL, TICK_INTERVAL = 1.0, 0.5
TRIGGER_DELAY = 0.05
INGEST_TRIGGERS = {
    "QueueCallerJoin",
    "QueueCallerLeave",
    "QueueCallerAbandon",
    "AgentConnect",
    "AgentComplete",
    "QueueMemberAdded",
    "QueueMemberRemoved",
    "QueueMemberPause",
}
_REBUILD = object()


class QueuesRuntime:
    def __init__(self, runtime) -> None:
        self.runtime = runtime
        self.ami, self.redis, self.settings = runtime.ami, runtime.redis, runtime.settings
        self.state = LiveState()
        self.inbox: asyncio.Queue = asyncio.Queue()
        self.timings: dict[str, dict] = {}  # caller uniqueid → live join/leave times (ms precision)
        self.synced = False
        self.queue_log = instance_paths(self.settings).host(f"{instance_paths(self.settings).log}/queue_log")
        self.tasks: list[asyncio.Task] = []
        self._pops: set[asyncio.Task] = set()  # screen pops in flight (kept referenced until done)
        self.ingest_error = ""
        # Set when AMI shows a queue_log-worthy event, so the history (and the reports' live figures)
        # follows within ~0.1 s instead of the next 1 s poll.
        self.ingest_soon = asyncio.Event()

    async def start(self) -> None:
        self.ami.on("*", lambda _manager, message: self.inbox.put_nowait(dict(message)))
        for name, coro in (
            ("queues-events", self._consume()),
            ("queues-link", self._watch_link()),
            ("queues-tick", self._tick()),
            ("queues-history", self._history()),
        ):
            self.tasks.append(asyncio.create_task(coro, name=name))

    async def stop(self) -> None:
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)

    # -- live state -------------------------------------------------------------------------------
    async def _watch_link(self) -> None:
        """Every (re)connect of AMI rebuilds the state from Asterisk itself."""
        while True:
            if self.ami.connected and not self.synced:
                self.synced = True
                self.inbox.put_nowait(_REBUILD)
            elif not self.ami.connected:
                self.synced = False
            await asyncio.sleep(0.1)

    async def _tick(self) -> None:
        while True:
            await asyncio.sleep(TICK_INTERVAL)
            self.inbox.put_nowait({"Event": "_Tick"})

    async def _consume(self) -> None:
        while True:
            item = await self.inbox.get()
            try:
                if item is _REBUILD:
                    out = await self._rebuild()
                elif item.get("Event") == "_Tick":
                    out = self.state.tick()
                else:
                    out = self._observe(item)
                if out or self.state.changed:  # a state change without events still updates the Redis copy
                    await self._publish(out)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("queue event handling failed")

    def _observe(self, ev: dict) -> list:
        name, now = ev.get("Event", ""), time.time()
        uid = ev.get("Uniqueid", "")
        if name == "QueueCallerJoin":
            self.timings[uid] = {"queue": ev.get("Queue", ""), "join": now}
        elif name == "QueueCallerLeave" and uid in self.timings:
            self.timings[uid].setdefault("end", now)
        elif name == "AgentCalled":
            task = asyncio.create_task(self._screen_pop(ev))
            self._pops.add(task)
            task.add_done_callback(self._pops.discard)
        if name in INGEST_TRIGGERS:
            self.ingest_soon.set()
        if name == "UserEvent" and ev.get("UserEvent") == "CentralitaBench":
            return [("bench.ping", {"sent": float(ev.get("Sent", 0) or 0), "n": int(ev.get("N", 0) or 0)})]
        return self.state.apply(ev)

    async def _rebuild(self) -> list:
        agents, wrapups = await asyncio.to_thread(_directory)
        queue_status = await self.ami.send({"Action": "QueueStatus"}, timeout=5)
        channels = await self.ami.send({"Action": "CoreShowChannels"}, timeout=5)
        self.state.known_agents |= agents
        self.state.queue_wrapup = wrapups
        as_list = lambda r: [dict(m) for m in (r if isinstance(r, list) else [r])]
        out = self.state.rebuild(as_list(queue_status), as_list(channels))
        log.info("live state rebuilt: %s", out[0][1])
        return out

    async def _screen_pop(self, ev: dict) -> None:
        try:
            data = await screenpop.build(self.ami, ev, self.settings.external_timeout)
            await bus.publish(self.redis, "agent.screenpop", data)
        except Exception:
            log.exception("screen pop failed")

    async def _publish(self, out: list) -> None:
        try:
            pipe = self.redis.pipeline(transaction=False)
            for kind, data in out:
                pipe.publish(bus.CHANNEL, json.dumps({"type": kind, "at": time.time(), "data": data}))
            store = self.state.changed or any(kind != "bench.ping" for kind, _ in out)  # a ping changes nothing
            if store:
                pipe.set(LIVE_KEY, json.dumps(self.state.snapshot()))
            self.state.changed = False
            await pipe.execute()
        except Exception as exc:
            self.state.changed = True  # stored with the next event
            log.warning("publishing queue events failed: %s", exc)

    # -- history and callbacks ----------------------------------------------------------------------
    async def _history(self) -> None:
        while True:
            try:
                await asyncio.to_thread(self._ingest_once)
                self.ingest_error = ""
                reports = getattr(self.runtime, "reports", None)
                if reports is not None:  # the KPI engine folds the new lines at once (reports/runtime.py)
                    reports.wake()
                await callbacks.place_due(self)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                self.ingest_error = f"{type(exc).__name__}: {exc}"[:200]
                log.warning("queue_log ingestion failed: %s", self.ingest_error)
            try:
                await asyncio.wait_for(self.ingest_soon.wait(), INGEST_INTERVAL)
                await asyncio.sleep(TRIGGER_DELAY)  # Asterisk writes the queue_log line around the AMI event
            except TimeoutError:
                pass
            self.ingest_soon.clear()

    def _ingest_once(self) -> None:
        with Session(db.get_engine()) as session:
            ingest_file(session, self.queue_log)
            finished = {u: t for u, t in self.timings.items() if "end" in t}
            for uid in refine_waits(session, finished):
                self.timings.pop(uid, None)
        cutoff = time.time() - 3600  # forget live timings queue_log never confirmed
        for uid in [u for u, t in self.timings.items() if t["join"] < cutoff]:
            self.timings.pop(uid, None)


def _directory() -> tuple[set[str], dict[str, int]]:
    """Agent names (to tell agent channels apart) and each queue's wrap-up seconds."""
    with Session(db.get_engine()) as session:
        return (
            set(session.exec(select(AgentEndpoint.username))),
            {q.name: q.wrapup_seconds for q in session.exec(select(Queue))},
        )


async def start(runtime) -> None:
    runtime.queues = QueuesRuntime(runtime)
    await runtime.queues.start()


async def stop(runtime) -> None:
    if getattr(runtime, "queues", None) is not None:
        await runtime.queues.stop()
