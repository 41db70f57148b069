"""The KPI engine in the API process: right after the queue_log / CDR ingesters commit, bring the facts
and 15-minute sums up to date (reports.incremental, one path) and publish `reports.kpi` for the queues
whose figures changed. New raw rows are found by id; the queues runtime wakes this loop right after
each queue_log ingest, and it polls every POLL seconds for the rest (CDRs, survey answers)."""

from __future__ import annotations

import asyncio
import json
import logging
import time

from sqlmodel import Session

from centralita import bus, db
from centralita.timeutil import utcnow
from reports import incremental, service

log = logging.getLogger("centralita.reports")
REFRESH = 15.0  # every queue's figures are published at least this often: "last 60 minutes" moves on its own
POLL = 0.5  # also woken by the queues runtime right after each queue_log ingest; CDRs are found by this poll


class ReportsRuntime:
    def __init__(self, runtime) -> None:
        self.runtime, self.settings, self.redis = runtime, runtime.settings, runtime.redis
        self.task: asyncio.Task | None = None
        self.error = ""
        self.last_update: incremental.Update | None = None
        self.clock = utcnow  # what "today" and "the last 60 minutes" are measured from (tests fix it)
        self.woken = asyncio.Event()
        self.refresh_every, self._refreshed = REFRESH, time.monotonic()

    def wake(self) -> None:
        """New raw rows were just committed (called on the event loop by the queues runtime)."""
        self.woken.set()

    async def start(self) -> None:
        self.task = asyncio.create_task(self._loop(), name="reports-engine")

    async def stop(self) -> None:
        if self.task is not None:
            self.task.cancel()
            await asyncio.gather(self.task, return_exceptions=True)

    async def _loop(self) -> None:
        while True:
            try:
                figures = await asyncio.to_thread(self.step)
                self.error = ""
                if figures:
                    await self._publish(figures)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the raw records stay: the next step catches up
                self.error = f"{type(exc).__name__}: {exc}"[:200]
                log.warning("report update failed: %s", self.error)
                await asyncio.sleep(1.0)
            try:
                await asyncio.wait_for(self.woken.wait(), POLL)
            except TimeoutError:
                pass
            self.woken.clear()

    def step(self) -> dict:
        """One update; the live figures of the queues it touched (of every queue now and then)."""
        with Session(db.get_engine()) as session:
            out = incremental.process_all(session, self.settings)
            self.last_update = out
            known = service.known_queues(session)
            if time.monotonic() - self._refreshed >= self.refresh_every:
                self._refreshed = time.monotonic()
                queues = sorted(known)
            else:
                queues = sorted(q for q in out.queues if q in known)
            return service.live(session, queues, self.clock())["queues"] if queues else {}

    async def _publish(self, figures: dict) -> None:
        try:
            pipe = self.redis.pipeline(transaction=False)
            for queue, data in figures.items():
                event = {"queue": queue, "today": data["today"], "last_60m": data["last_60m"]}
                pipe.publish(bus.CHANNEL, json.dumps({"type": "reports.kpi", "at": time.time(), "data": event}))
            await pipe.execute()
        except Exception as exc:
            log.warning("publishing report figures failed: %s", exc)


async def start(runtime) -> None:
    runtime.reports = ReportsRuntime(runtime)
    await runtime.reports.start()


async def stop(runtime) -> None:
    if getattr(runtime, "reports", None) is not None:
        await runtime.reports.stop()
