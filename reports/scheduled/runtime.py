"""In the API process: APScheduler 3 (BackgroundScheduler, one worker thread) ticks the runner — once at
start-up, which is the catch-up, then every settings.report_schedule_tick_s seconds.

Why the schedules are persisted in our own table rather than as APScheduler jobs in an
SQLAlchemyJobStore: a missed cron job there is dropped beyond `misfire_grace_time` (1 s by default)
or, with `coalesce`, run once *without being told which due time it stands for*, so the report
period would be guessed from the wall clock; and its pickled job rows would be a second copy of each
schedule to keep in step with the API's edits. Here the due time and period are computed from the
schedule row and "now" (reports/scheduled/periods.py), and a UNIQUE (schedule, period) run row makes
the catch-up exactly once — testable with any injected "now", whatever ticks. APScheduler only
provides the timer: coalesce=True and max_instances=1, so a slow SMTP server never stacks ticks.
"""

from __future__ import annotations

import logging

from centralita import db
from centralita.timeutil import utcnow
from reports.scheduled.runner import Runner

log = logging.getLogger("centralita.reports.scheduled")
JOB_ID = "reports-scheduled-tick"


class ScheduledReports:
    def __init__(self, settings, runner: Runner | None = None, clock=utcnow) -> None:
        self.settings, self.clock = settings, clock
        self.runner = runner or Runner(settings, db.get_engine())
        self.scheduler = None
        self.last_error = ""
        self.ticks = 0  # completed ticks (health, tests)

    def tick(self) -> None:
        try:
            result = self.runner.tick(self.clock())
            self.last_error = ""
            if result.started:
                log.info("scheduled reports: %d sent, %d failed", len(result.sent), len(result.failed))
        except Exception as exc:  # the database was away, a setting is wrong: say so, tick again later
            self.last_error = f"{type(exc).__name__}: {exc}"[:300]
            log.exception("scheduled reports tick failed")
        finally:
            self.ticks += 1

    def start(self) -> None:
        from apscheduler.executors.pool import ThreadPoolExecutor
        from apscheduler.schedulers.background import BackgroundScheduler

        self.scheduler = scheduler = BackgroundScheduler(executors={"default": ThreadPoolExecutor(1)}, timezone="UTC")
        scheduler.add_job(
            self.tick,
            "interval",
            seconds=float(self.settings.report_schedule_tick_s),
            id=JOB_ID,
            next_run_time=self.clock(),  # at once: the catch-up of anything missed while we were down
            coalesce=True,
            max_instances=1,
            misfire_grace_time=None,  # a late tick still runs (once, coalesced)
        )
        scheduler.start()

    def stop(self) -> None:
        if self.scheduler is not None:
            # wait=False: an SMTP send in flight finishes in its thread; its run stays consistent either way.
            self.scheduler.shutdown(wait=False)
            self.scheduler = None


async def start(runtime) -> None:
    runtime.scheduled_reports = ScheduledReports(runtime.settings)
    runtime.scheduled_reports.start()


async def stop(runtime) -> None:
    if getattr(runtime, "scheduled_reports", None) is not None:
        runtime.scheduled_reports.stop()
