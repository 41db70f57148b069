"""A stack for the queue tests: like conftest's `stack`, plus agents with fixed contacts on sipp
ports, a supervisor softphone and a trunk for sipp callers (no demo data needed)."""

from __future__ import annotations

import asyncio
import json
import threading

import httpx
import websockets
from stack import Stack

from conftest import _require_tools

ADMIN = ("boss", "boss-password-1")


def start(
    data_dir, port_base: int, queues: list[list[str]], agents: list[tuple], extra_env: dict | None = None
) -> Stack:
    """queues: CLI args of `queues add`; agents: (username, extension, sip port, role, [queue, ...])."""
    _require_tools()
    s = Stack(data_dir, f"sqlite:///{data_dir / 'centralita.db'}", port_base=port_base)
    s.env.update(extra_env or {})
    s.passwords, s.sip_passwords = {}, {}
    s.cli("db", "upgrade")
    s.cli("user", "add", ADMIN[0], "--role", "admin", "--password", ADMIN[1])
    code = (
        "from centralita.db import session_scope\nfrom centralita.telephony.models import Trunk\n"
        "with session_scope() as s: s.add(Trunk(name='demo', match='127.0.0.1'))"
    )
    import subprocess
    import sys

    subprocess.run([sys.executable, "-c", code], env=s.env, cwd=data_dir, check=True, timeout=60)
    for args in queues:
        s.cli("queues", "add", *args)
    for username, extension, port, role, skills in agents:
        out = s.cli(
            "queues", "agent-add", username, extension, "--contact", f"sip:{username}@127.0.0.1:{port}", "--role", role
        ).stdout
        s.passwords[username] = out.split("web password: ")[1].split()[0]  # printed once, kept for the tests
        s.sip_passwords[username] = out.split("softphone: user ")[1].split("password ")[1].split()[0]
        for queue in skills:
            s.cli("queues", "skill", username, queue)
    s.start_redis()
    s.start_asterisk()
    s.start_service("fastagi")
    s.start_service("api")
    assert s.wait_health("ok"), f"stack not healthy: {s.health()}"
    return s


def token(stack: Stack, username: str) -> str:
    return stack.token(username, stack.passwords[username])


def post(stack: Stack, path: str, token: str, body: dict | None = None) -> httpx.Response:
    return httpx.post(f"{stack.api_url}{path}", json=body, headers={"Authorization": f"Bearer {token}"}, timeout=10)


class EventListener:
    """Collects /api/events frames in a background thread."""

    def __init__(self, stack: Stack, token: str, **filters):
        query = "&".join([f"token={token}"] + [f"{k}={v}" for k, v in filters.items()])
        self.url = f"ws://127.0.0.1:{stack.env['CENTRALITA_API_PORT']}/api/events?{query}"
        self.events: list[dict] = []
        self.opened = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=lambda: asyncio.run(self._run()), daemon=True)
        self._thread.start()
        assert self.opened.wait(10), "event stream did not open"

    async def _run(self) -> None:
        async with websockets.connect(self.url, open_timeout=5) as ws:
            while not self._stop.is_set():
                try:
                    frame = json.loads(await asyncio.wait_for(ws.recv(), 0.2))
                except TimeoutError:
                    continue
                if frame["type"] == "stream.open":
                    self.opened.set()
                self.events.append(frame)

    def of(self, kind: str, **match) -> list[dict]:
        return [
            e["data"] for e in self.events if e["type"] == kind and all(e["data"].get(k) == v for k, v in match.items())
        ]

    def close(self) -> None:
        self._stop.set()
        self._thread.join(5)
