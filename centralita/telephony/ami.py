"""AMI over panoramisk, with reconnect backoff and a connection state our health check can read."""

from __future__ import annotations

import asyncio
import logging

from panoramisk import Manager

from centralita.settings import Settings

log = logging.getLogger("centralita.ami")
MIN_BACKOFF, MAX_BACKOFF = 0.5, 4.0  # the ceiling keeps reconnection well under 10 s


class _BackoffManager(Manager):
    """panoramisk retries at a fixed interval; back off while Asterisk stays away, reset once it is back."""

    def connection_made(self, f):
        failed = f.cancelled() or f.exception() is not None
        self.reconnect_timeout = min(self.reconnect_timeout * 2, MAX_BACKOFF) if failed else MIN_BACKOFF
        super().connection_made(f)


class AmiClient:
    def __init__(self, settings: Settings):
        self.settings = settings
        self.manager: Manager | None = None
        self.logged_in = False
        self.last_error = "not connected yet"

    async def start(self) -> None:
        s = self.settings
        self.manager = _BackoffManager(
            loop=asyncio.get_running_loop(),
            host=s.asterisk_host,
            port=s.ami_port,
            username=s.ami_user,
            secret=s.ami_secret,
            ping_delay=3,
            ping_interval=3,
            reconnect_timeout=MIN_BACKOFF,
            events="on",
            on_login=self._on_login,
            on_disconnect=self._on_disconnect,
        )
        self.manager.log = log
        self.manager.connect()

    def _on_login(self, manager: Manager) -> None:
        self.logged_in = True
        self.last_error = ""
        log.info("AMI logged in")

    def _on_disconnect(self, manager: Manager, exc) -> None:
        self.logged_in = False
        self.last_error = "connection lost"

    @property
    def connected(self) -> bool:
        m = self.manager
        return bool(m and m._connected and m.authenticated and self.logged_in)

    def status(self) -> dict:
        if self.connected:
            return {"status": "ok"}
        m = self.manager
        if m and m._connected and m.authenticated is False and m.authenticated_future is None:
            return {"status": "down", "detail": "login refused: check CENTRALITA_AMI_USER/CENTRALITA_AMI_SECRET"}
        return {"status": "down", "detail": self.last_error or "not connected"}

    def on(self, pattern: str, callback) -> None:
        """Register an event callback (panoramisk pattern, e.g. 'Queue*')."""
        assert self.manager is not None
        self.manager.register_event(pattern, callback)

    async def action(self, action: dict, timeout: float | None = None):
        if not self.connected:
            raise ConnectionError("AMI is not connected")
        assert self.manager is not None
        return await asyncio.wait_for(self.manager.send_action(action), timeout or self.settings.external_timeout)

    async def stop(self) -> None:
        if self.manager is not None:
            self.manager.close()
            # stop the reconnect loop panoramisk schedules on close
            self.manager.connection_lost = lambda exc: None
