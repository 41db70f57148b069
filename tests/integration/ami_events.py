"""Every AMI event a test sees while inside a `with` block, collected by a thread of its own."""

from __future__ import annotations

import asyncio
import threading
import time


class AmiEvents:
    """Every AMI event while inside the `with`, with Asterisk's own timestamps (timestampevents=yes)."""

    def __init__(self, settings):
        self.settings, self.events, self._ready = settings, [], threading.Event()

    def __enter__(self):
        self._thread = threading.Thread(target=lambda: asyncio.run(self._run()), daemon=True)
        self._stop = False
        self._thread.start()
        assert self._ready.wait(10), "AMI did not log in"
        return self

    async def _run(self):
        from centralita.telephony.ami import AmiClient

        ami = AmiClient(self.settings)
        await ami.start()
        ami.on("*", lambda _m, event: self.events.append(dict(event)))
        while not ami.connected and not self._stop:  # __enter__ gives up after 10 s
            await asyncio.sleep(0.05)
        self._ready.set()
        while not self._stop:
            await asyncio.sleep(0.1)
        await ami.stop()

    def __exit__(self, *exc):
        time.sleep(0.5)
        self._stop = True
        self._thread.join(5)

    def first(self, name: str, **match) -> dict | None:
        for event in self.events:
            if event.get("Event") == name and all(str(event.get(k, "")).startswith(v) for k, v in match.items()):
                return event
        return None
