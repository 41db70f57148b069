"""What the API process keeps running beside HTTP: AMI and ARI links, Redis, and the CDR ingester."""

from __future__ import annotations

import asyncio
import logging

from centralita import bus, db
from centralita.settings import Settings
from centralita.telephony.ami import AmiClient
from centralita.telephony.ari import AriClient
from centralita.telephony.pbx import instance_paths

log = logging.getLogger("centralita.runtime")
INGEST_INTERVAL = 1.0


def cdr_directory(settings: Settings):
    return settings.cdr_dir or instance_paths(settings).cdr_dir


class Runtime:
    def __init__(self, settings: Settings):
        self.settings = settings
        self.ami = AmiClient(settings)
        self.ari = AriClient(settings)
        self.redis = bus.connect(settings)
        self.cdr_dir = cdr_directory(settings)
        self.ingest_error = ""
        self._tasks: list[asyncio.Task] = []

    async def start(self) -> None:
        await self.ami.start()
        await self.ari.start()
        self._tasks.append(asyncio.create_task(self._ingest_loop(), name="cdr-ingest"))
        from centralita.capabilities import contributions

        self._hooks = [module for _name, module in contributions("runtime")]
        for module in self._hooks:
            await module.start(self)

    async def _ingest_loop(self) -> None:
        from sqlmodel import Session

        from api.calls.service import ingest_directory

        while True:
            try:

                def run():
                    with Session(db.get_engine()) as session:
                        return ingest_directory(session, self.cdr_dir)

                result = await asyncio.to_thread(run)
                self.ingest_error = ""
                if result.calls_touched:
                    log.info("ingested %d CDR lines (%d calls)", result.new_entries, result.calls_touched)
                    await self._announce(result.calls_touched)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # keep trying: the file stays, nothing is lost
                self.ingest_error = f"{type(exc).__name__}: {exc}"[:200]
                log.warning("CDR ingestion failed: %s", self.ingest_error)
            await asyncio.sleep(INGEST_INTERVAL)

    async def _announce(self, count: int) -> None:
        try:
            await bus.publish(self.redis, "calls.recorded", {"count": count})
        except Exception as exc:
            log.debug("event publish failed: %s", exc)

    async def stop(self) -> None:
        for module in reversed(getattr(self, "_hooks", [])):
            try:
                await module.stop(self)
            except Exception:
                log.exception("stopping %s failed", module.__name__)
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self.ami.stop()
        await self.ari.stop()
        await self.redis.aclose()
