"""The recorder in the API process: the dialplan's recording events → Recording rows, and every
recording whose file Asterisk closed → a stereo WAV handed to the pipeline (recorder.pipeline).

Events are applied one at a time, in Asterisk's order. The reconcile pass runs often and also
after every end event; it finishes recordings whose events were missed (see capture.reconcile)."""

from __future__ import annotations

import asyncio
import logging

from sqlmodel import Session

from centralita import db
from centralita.telephony.pbx import instance_paths
from recorder import capture
from recorder.render import recordings_dir

log = logging.getLogger("centralita.recorder")
RECONCILE_INTERVAL = 1.0


class RecorderRuntime:
    def __init__(self, runtime) -> None:
        self.runtime = runtime
        paths = instance_paths(runtime.settings)
        self.host_path = paths.host
        self.host_dir = paths.host(recordings_dir(paths))
        self.inbox: asyncio.Queue = asyncio.Queue()
        self.wake = asyncio.Event()
        self.tasks: list[asyncio.Task] = []
        self.error = ""

    async def start(self) -> None:
        def on_user_event(_manager, message) -> None:
            if message.get("UserEvent") == "CentralitaRecording":
                self.inbox.put_nowait(dict(message))

        self.runtime.ami.on("UserEvent", on_user_event)
        self.tasks = [
            asyncio.create_task(self._consume(), name="recorder-events"),
            asyncio.create_task(self._reconcile_loop(), name="recorder-reconcile"),
            asyncio.create_task(asyncio.to_thread(_resume_exports), name="recorder-exports"),
        ]

    async def stop(self) -> None:
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)

    async def _consume(self) -> None:
        while True:
            ev = await self.inbox.get()
            try:
                await asyncio.to_thread(self._apply, ev)
                if ev.get("Phase") == "end":
                    self.wake.set()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("recording event failed: %s", ev)

    def _apply(self, ev: dict) -> None:
        with Session(db.get_engine()) as session:
            if capture.on_event(session, ev, self.host_path) is not None:
                session.commit()

    async def _reconcile_loop(self) -> None:
        from recorder import pipeline

        while True:
            try:
                ids = await asyncio.to_thread(
                    capture.reconcile, lambda: Session(db.get_engine()), self.host_dir, pipeline.enqueue
                )
                self.error = ""
                if ids:
                    log.info("recordings ended and queued: %s", ids)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                self.error = f"{type(exc).__name__}: {exc}"[:200]
                log.warning("recording reconcile failed: %s", self.error)
            try:
                await asyncio.wait_for(self.wake.wait(), RECONCILE_INTERVAL)
                await asyncio.sleep(0.2)  # the file closes just after the hangup handler ran
            except TimeoutError:
                pass
            self.wake.clear()


def _resume_exports() -> None:
    """Exports cut short by a restart of the API are built again (their ZIP is written anew)."""
    from recorder import exports
    from recorder.routes import run_export

    with Session(db.get_engine()) as session:
        pending = exports.unfinished(session)
    for job_id in pending:
        run_export(job_id)


async def start(runtime) -> None:
    runtime.recorder = RecorderRuntime(runtime)
    await runtime.recorder.start()


async def stop(runtime) -> None:
    if getattr(runtime, "recorder", None) is not None:
        await runtime.recorder.stop()
