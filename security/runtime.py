"""In the API process: Asterisk's security events (AMI class `security`) → the security log and bans;
bans applied to PJSIP's ACL (re-render + `module reload res_pjsip.so`, no restart) and lifted when
they expire; the dialplan's refused toll-fraud attempts → the security log and the audit."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime

from sqlmodel import Session

from centralita import db
from centralita.timeutil import utcnow
from security import service

log = logging.getLogger("centralita.security")
EXPIRY_INTERVAL = 1.0
BATCH = 500  # events stored per transaction at most
EVENTS = sorted(service.FAILURES)


class SecurityRuntime:
    def __init__(self, runtime) -> None:
        self.runtime, self.settings = runtime, runtime.settings
        self.inbox: asyncio.Queue = asyncio.Queue()
        self.tasks: list[asyncio.Task] = []
        self.apply_lock = asyncio.Lock()
        self.applied = 0  # reloads done (health/debugging)
        self.apply_error = ""

    async def start(self) -> None:
        for name in EVENTS:
            self.runtime.ami.on(name, lambda _m, message: self._received(message))
        self.runtime.ami.on("UserEvent", self._user_event)
        self.tasks.append(asyncio.create_task(self._consume(), name="security-events"))
        self.tasks.append(asyncio.create_task(self._expire_loop(), name="security-expiry"))

    def _received(self, message) -> None:
        # Stamped on arrival, not when handled: under load the inbox holds a backlog (svcrack sends
        # hundreds of guesses a second), and a failure counted at its handling time would land after the
        # ban it caused ends and ban its source again, twice as long, though it has gone quiet.
        self.inbox.put_nowait((utcnow(), dict(message)))

    def _user_event(self, _manager, message) -> None:
        if message.get("UserEvent") == "CentralitaTollRefused":
            self._received(message)

    async def stop(self) -> None:
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)

    async def _consume(self) -> None:
        while True:
            batch = [await self.inbox.get()]
            while len(batch) < BATCH and not self.inbox.empty():
                batch.append(self.inbox.get_nowait())
            try:
                changed = await asyncio.to_thread(self._handle_all, batch)
                if changed:
                    await self.apply()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("%d security event(s) not handled", len(batch))

    def _handle_all(self, batch: list[tuple[datetime, dict]]) -> bool:
        """Store the events that queued up, each as of when it arrived, in one transaction (an attack sends
        hundreds a second: one commit each let the inbox fall tens of seconds behind on a loaded machine).
        True when one banned its source (Asterisk's ACL must change)."""
        with Session(db.get_engine()) as session:
            noted = [self._note(session, event, at) for at, event in batch]
            session.commit()
        for _, line in noted:
            if line:
                log.warning("%s", line)
        return any(banned for banned, _ in noted)

    def _note(self, session: Session, event: dict, at: datetime) -> tuple[bool, str]:
        """(banned its source, what to log) for one event."""
        if event.get("Event") == "UserEvent":
            row = service.note_toll_refused(session, event, at)
            return False, f"refused call to {row.detail.get('number')} from {row.ip} ({row.account})"
        ip = service.remote_ip(event.get("RemoteAddress", ""))
        if not ip:
            return False, ""
        ban = service.note_failure(
            session,
            self.settings,
            event.get("Event", ""),
            ip,
            at,
            account=event.get("AccountID", ""),
            service=event.get("Service", ""),
        )
        if ban is None:
            return False, ""
        seconds = (ban.expires_at - ban.banned_at).total_seconds()
        return True, f"banned {ip} for {seconds:.0f} s: {ban.reason}"

    async def _expire_loop(self) -> None:
        while True:
            try:
                lifted = await asyncio.to_thread(self._expire)
                if lifted:
                    log.info("ban expired: %s", ", ".join(lifted))
                    await self.apply()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("ban expiry failed")
            await asyncio.sleep(EXPIRY_INTERVAL)

    def _expire(self) -> list[str]:
        with Session(db.get_engine()) as session:
            lifted = [b.ip for b in service.expire(session, utcnow())]
            session.commit()
            return lifted

    async def apply(self) -> None:
        """Re-render and reload PJSIP (the one apply path) so its ACL denies exactly the addresses banned now."""
        from centralita.telephony.apply import after_commit_async

        async with self.apply_lock:
            result = await after_commit_async(self.settings, {"pjsip"}, [("security.bans", {})])
            self.applied += 1
            # A failed reload leaves the ban stored; the next apply (or Asterisk's start) carries it.
            self.apply_error = result.warning


async def start(runtime) -> None:
    runtime.security = SecurityRuntime(runtime)
    await runtime.security.start()


async def stop(runtime) -> None:
    if getattr(runtime, "security", None) is not None:
        await runtime.security.stop()
