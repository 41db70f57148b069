"""A thin asyncio ARI client: REST over httpx, events over one websocket, reconnecting with backoff.

What it is for, today: the API process keeps the Stasis application's websocket open so
`GET /api/health` reports `ari` (Asterisk's HTTP server and the ARI credentials work). No call is
controlled through it: the dialer originates over AMI into dialplan contexts (AMD(), Queue()) and
spying is ChanSpy originated over AMI, because both are dialplan work that AMI drives with one
action. ARI is where call control that needs a channel in our hands goes next (e.g. externalMedia
for live transcription, a snoop channel to record one leg); `request` and `on_event` are that door."""

from __future__ import annotations

import asyncio
import base64
import json
import logging
from collections.abc import Awaitable, Callable

import httpx
import websockets

from centralita.settings import Settings

log = logging.getLogger("centralita.ari")
MIN_BACKOFF, MAX_BACKOFF = 0.5, 4.0

EventHandler = Callable[[dict], Awaitable[None] | None]


class AriClient:
    def __init__(self, settings: Settings):
        s = settings
        self.settings = settings
        self.base = f"http://{s.asterisk_host}:{s.ari_port}/ari"
        self.ws_url = f"ws://{s.asterisk_host}:{s.ari_port}/ari/events?app={s.ari_app}&subscribeAll=false"
        self.http = httpx.AsyncClient(base_url=self.base, auth=(s.ari_user, s.ari_secret), timeout=s.external_timeout)
        self.handlers: list[EventHandler] = []
        self.connected = False
        self.last_error = "not connected yet"
        self._task: asyncio.Task | None = None

    async def request(self, method: str, path: str, **kwargs) -> httpx.Response:
        response = await self.http.request(method, path, **kwargs)
        response.raise_for_status()
        return response

    def on_event(self, handler: EventHandler) -> None:
        self.handlers.append(handler)

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run_events(), name="ari-events")

    async def _run_events(self) -> None:
        token = base64.b64encode(f"{self.settings.ari_user}:{self.settings.ari_secret}".encode()).decode()
        backoff = MIN_BACKOFF
        while True:
            try:
                async with websockets.connect(
                    self.ws_url,
                    additional_headers={"Authorization": f"Basic {token}"},
                    open_timeout=self.settings.external_timeout,
                    ping_interval=5,
                    ping_timeout=5,
                ) as ws:
                    self.connected, self.last_error, backoff = True, "", MIN_BACKOFF
                    log.info("ARI events connected")
                    async for raw in ws:
                        await self._dispatch(json.loads(raw))
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                self.last_error = f"{type(exc).__name__}: {exc}"[:200]
            self.connected = False
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, MAX_BACKOFF)

    async def _dispatch(self, event: dict) -> None:
        for handler in self.handlers:
            try:
                result = handler(event)
                if asyncio.iscoroutine(result):
                    await result
            except Exception:  # one bad handler must not stop the event stream
                log.exception("ARI event handler failed")

    def status(self) -> dict:
        return {"status": "ok"} if self.connected else {"status": "down", "detail": self.last_error or "not connected"}

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            try:
                await self._task
            except (asyncio.CancelledError, Exception):
                pass
        await self.http.aclose()
