"""AMI over panoramisk, with reconnect backoff and a connection state our health check can read.

This is the only module that touches panoramisk's Manager: everything else sends actions with
`AmiClient.send` (timeout, `AmiUnavailable` when the link is down) and reads `AmiClient.connected`."""

from __future__ import annotations

import asyncio
import logging

from panoramisk import Manager

from centralita.settings import Settings

log = logging.getLogger("centralita.ami")
MIN_BACKOFF, MAX_BACKOFF = 0.5, 4.0  # the ceiling keeps reconnection well under 10 s


class AmiUnavailable(ConnectionError):
    """The AMI link is down (or Asterisk did not answer in time): the action was not carried out."""


class _BackoffManager(Manager):
    """panoramisk retries at a fixed interval; back off while Asterisk stays away, reset once it is back.

    It also keeps its own `link_up` flag (set on a connected transport, cleared on loss), so nothing
    here reads panoramisk's private `_connected`."""

    link_up = False
    closing = False  # set by AmiClient.stop: a closed link is not reopened

    def connection_made(self, f):
        failed = f.cancelled() or f.exception() is not None
        self.reconnect_timeout = min(self.reconnect_timeout * 2, MAX_BACKOFF) if failed else MIN_BACKOFF
        self.link_up = not failed
        super().connection_made(f)

    def connection_lost(self, exc):
        self.link_up = False
        if not self.closing:  # panoramisk schedules a reconnect here
            super().connection_lost(exc)


class AmiClient:
    def __init__(self, settings: Settings):
        self.settings = settings
        self.manager: _BackoffManager | None = None
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
        """The link is up and logged in: actions sent now reach Asterisk."""
        m = self.manager
        return bool(m and m.link_up and m.authenticated and self.logged_in)

    def status(self) -> dict:
        if self.connected:
            return {"status": "ok"}
        m = self.manager
        if m and m.link_up and m.authenticated is False and m.authenticated_future is None:
            return {"status": "down", "detail": "login refused: check CENTRALITA_AMI_USER/CENTRALITA_AMI_SECRET"}
        return {"status": "down", "detail": self.last_error or "not connected"}

    def on(self, pattern: str, callback) -> None:
        """Register an event callback (panoramisk pattern, e.g. 'Queue*')."""
        assert self.manager is not None
        self.manager.register_event(pattern, callback)

    def _require_link(self) -> _BackoffManager:
        if not self.connected or self.manager is None:
            raise AmiUnavailable(
                f"AMI is not connected ({self.last_error or 'not logged in'}) on "
                f"{self.settings.asterisk_host}:{self.settings.ami_port}"
            )
        return self.manager

    async def send(self, action: dict, *, single: bool = False, timeout: float | None = None):
        """Send one action and wait for its answer, at most `timeout` (default: external_timeout).

        `single`: take the first answer only. panoramisk otherwise waits for an event list after
        answers such as "Added interface to queue" or an async Originate's "successfully queued".
        Raises AmiUnavailable when the link is down or Asterisk does not answer in time."""
        manager = self._require_link()
        limit = timeout or self.settings.external_timeout
        try:
            if single:
                return await asyncio.wait_for(manager.send_action(dict(action), as_list=False), limit)
            return await asyncio.wait_for(manager.send_action(dict(action)), limit)
        except TimeoutError:
            raise AmiUnavailable(f"AMI did not answer {action.get('Action')} within {limit:g} s") from None

    def fire(self, action: dict) -> None:
        """Send one action without waiting for its answer (load generators: the pace must not
        depend on Asterisk's reply time). Raises AmiUnavailable when the link is down."""
        self._require_link().send_action(dict(action))

    async def stop(self) -> None:
        if self.manager is not None:
            self.manager.closing = True
            self.manager.close()
