"""The API process's scheduler (APScheduler's BackgroundScheduler): its first tick at start-up is the
catch-up; a second start-up (the stack restarted) sends nothing again. The clock is injected."""

from __future__ import annotations

import asyncio
import threading
from types import SimpleNamespace

from centralita import db
from reports.scheduled.runner import Runner
from reports.scheduled.runtime import ScheduledReports, start, stop
from reports.scheduled.tests.test_runner import add_schedule, at, runs, world  # noqa: F401  (world: fixture)


def wait_ticks(service: ScheduledReports, count: int) -> None:
    done = threading.Event()
    for _ in range(600):  # waiting for a condition, not asserting a duration
        if service.ticks >= count:
            done.set()
            break
        done.wait(0.05)
    assert done.is_set(), f"the scheduler did not tick ({service.last_error})"


def test_start_up_catches_up_once_and_a_restart_sends_nothing_again(world):
    add_schedule()
    clock = lambda: at(24, 15, 0)
    for _restart in range(2):
        service = ScheduledReports(world.settings, Runner(world.settings, db.get_engine(), kpi=world.rows), clock)
        service.start()
        try:
            wait_ticks(service, 1)
        finally:
            service.stop()
        assert service.last_error == ""
    [run] = runs()
    assert (run.status, run.period_start) == ("sent", at(23, 5))
    assert len(world.sink.messages) == 1


def test_the_capability_hooks_start_and_stop(world):
    runtime = SimpleNamespace(settings=world.settings)
    asyncio.run(start(runtime))
    try:
        wait_ticks(runtime.scheduled_reports, 1)
        assert runtime.scheduled_reports.last_error == ""
    finally:
        asyncio.run(stop(runtime))
    assert runtime.scheduled_reports.scheduler is None
