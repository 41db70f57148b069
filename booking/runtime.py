"""In the API process: every settings.booking_notify_tick_s, queue the reminders that are due and deliver
every booking message that waits (booking/notify.py), like the scheduled reports' tick
(reports/scheduled/runtime.py: APScheduler 3, one worker thread, coalesced ticks, one at start-up as the
catch-up). A commit that queued a message (a cancellation that gave a waitlist place) wakes it at once.

What is due is computed from the rows and "now", never from APScheduler's own memory, so a stack down
across a reminder time catches up once, and two API processes ticking together send each message once
(notify's claims)."""

from __future__ import annotations

import logging
from datetime import datetime

from sqlmodel import Session

from booking import notify
from centralita import db
from centralita.timeutil import utcnow

log = logging.getLogger("centralita.booking.runtime")
JOB_ID = "booking-notify-tick"


def run_once(settings, now: datetime, deliverer: notify.Deliverer | None = None) -> dict:
    """Queue the due reminders (committed), then deliver everything pending: what a tick, the CLI's
    `booking reminders run` and POST /api/booking/reminders/run do."""
    engine = db.get_engine()
    with Session(engine) as session:
        queued = notify.run_reminders(session, now, settings)
        session.commit()
    done = (deliverer or notify.Deliverer(settings, engine)).deliver(now)
    return {"queued": len(queued), "sent": len(done.sent), "failed": len(done.failed), "retry": len(done.retry)}


class BookingNotifier:
    def __init__(self, settings, clock=utcnow) -> None:
        self.settings, self.clock = settings, clock
        self.scheduler = None
        self.last_error = ""
        self.ticks = 0

    def tick(self) -> None:
        try:
            out = run_once(self.settings, self.clock())
            self.last_error = ""
            if out["sent"] or out["failed"]:
                log.info("booking messages: %s", out)
        except Exception as exc:  # the database was away, a setting is wrong: say so, tick again later
            self.last_error = f"{type(exc).__name__}: {exc}"[:300]
            log.exception("booking notification tick failed")
        finally:
            self.ticks += 1

    def wake(self) -> None:
        """Run a tick now (called from the after-commit hook of any request of this process)."""
        if self.scheduler is not None:
            try:
                self.scheduler.modify_job(JOB_ID, next_run_time=utcnow())
            except Exception as exc:  # shutting down: the next start's catch-up sends it
                log.debug("booking notifier not woken: %s", exc)

    def start(self) -> None:
        from apscheduler.executors.pool import ThreadPoolExecutor
        from apscheduler.schedulers.background import BackgroundScheduler

        self.scheduler = scheduler = BackgroundScheduler(executors={"default": ThreadPoolExecutor(1)}, timezone="UTC")
        scheduler.add_job(
            self.tick,
            "interval",
            seconds=float(self.settings.booking_notify_tick_s),
            id=JOB_ID,
            next_run_time=utcnow(),  # at once: the catch-up of anything missed while we were down
            coalesce=True,
            max_instances=1,
            misfire_grace_time=None,
        )
        scheduler.start()
        notify.register_waker(self.wake)

    def stop(self) -> None:
        notify.unregister_waker(self.wake)
        if self.scheduler is not None:
            self.scheduler.shutdown(wait=False)  # a send in flight finishes; its row stays consistent
            self.scheduler = None


async def start(runtime) -> None:
    runtime.booking_notifier = BookingNotifier(runtime.settings)
    runtime.booking_notifier.start()


async def stop(runtime) -> None:
    if getattr(runtime, "booking_notifier", None) is not None:
        runtime.booking_notifier.stop()
