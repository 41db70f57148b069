"""What the soak measures besides the calls: a process's memory and open files, and the event stream's
latency — from the AMI event (Asterisk's own `Timestamp`, timestampevents=yes) to the /api/events
websocket frame the API derived from it, for the queue events of every real call, plus a one-per-
second AMI UserEvent ping (`bench.ping`, the path `centralita bench events` measures) all along."""

from __future__ import annotations

import asyncio
import json
import math
import os
import threading
import time
from pathlib import Path

# AMI event → the /api/events type the API publishes for it; both carry the caller's Uniqueid.
PAIRS = {
    "QueueCallerJoin": "queue.caller.joined",
    "AgentConnect": "call.answered",
    "QueueCallerLeave": "queue.caller.left",
    "AgentComplete": "call.completed",
}
PING_INTERVAL = 1.0


CLK = os.sysconf("SC_CLK_TCK")


def process(pid: int) -> dict | None:
    """Resident memory (MB), open file descriptors and CPU seconds (its own and its reaped children's:
    the worker's ffmpeg runs) of one process; None once it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        cpu = sum(int(x) for x in fields[11:15]) / CLK
        rss_kb = next(
            int(line.split()[1])
            for line in Path(f"/proc/{pid}/status").read_text().splitlines()
            if line.startswith("VmRSS:")
        )
        fds = len(os.listdir(f"/proc/{pid}/fd"))
    except (OSError, StopIteration, ValueError):
        return None
    return {"rss_mb": round(rss_kb / 1024, 1), "fds": fds, "cpu_s": round(cpu, 1)}


def percentile(values: list[float], share: float) -> float | None:
    """Nearest rank (a reported figure is a measured one)."""
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[max(0, math.ceil(share * len(ordered)) - 1)], 1)


def summary(values: list[float]) -> dict:
    return {
        "n": len(values),
        "p50_ms": percentile(values, 0.5),
        "p95_ms": percentile(values, 0.95),
        "max_ms": round(max(values), 1) if values else None,
    }


class EventProbe:
    """An AMI connection and an /api/events client in a thread of their own, until `stop()`."""

    def __init__(self, settings, token: str):
        self.settings, self.token = settings, token
        self.ami_times: dict[tuple[str, str], float] = {}
        self.ws_times: dict[tuple[str, str], float] = {}
        self.pings_sent: dict[int, float] = {}
        self.pings_received: dict[int, float] = {}
        self.frames = 0
        self.error = ""
        self.stopped_at = 0.0
        self._stop = threading.Event()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=lambda: asyncio.run(self._main()), name="soak-events", daemon=True)

    def start(self, timeout: float = 30) -> None:
        self._thread.start()
        if not self._ready.wait(timeout):
            raise RuntimeError(f"event probe did not connect: {self.error or 'timeout'}")

    def stop(self) -> None:
        self.stopped_at = time.time()
        self._stop.set()
        self._thread.join(15)

    def _on_ami(self, _manager, message) -> None:
        kind = PAIRS.get(message.get("Event", ""))
        stamp = message.get("Timestamp")
        if kind and stamp:
            self.ami_times.setdefault((kind, message.get("Uniqueid", "")), float(stamp))

    async def _main(self) -> None:
        import websockets

        from centralita.telephony.ami import AmiClient

        ami = AmiClient(self.settings)
        url = f"ws://127.0.0.1:{self.settings.api_port}/api/events?token={self.token}"
        try:
            await ami.start()
            ami.on("*", self._on_ami)
            deadline = time.monotonic() + 20
            while not ami.connected:
                if time.monotonic() > deadline:
                    raise ConnectionError("AMI did not connect")
                await asyncio.sleep(0.05)
            async with websockets.connect(url, open_timeout=10, max_queue=None) as ws:
                await asyncio.wait_for(ws.recv(), 10)  # stream.open
                self._ready.set()
                pinger = asyncio.create_task(self._ping(ami))
                try:
                    while not self._stop.is_set():
                        try:
                            frame = await asyncio.wait_for(ws.recv(), 0.5)
                        except TimeoutError:
                            continue
                        self._on_frame(json.loads(frame), time.time())
                finally:
                    pinger.cancel()
        except Exception as exc:  # reported in the document; the soak goes on without latency figures
            self.error = f"{type(exc).__name__}: {exc}"
        finally:
            self._ready.set()
            await ami.stop()

    def _on_frame(self, event: dict, now: float) -> None:
        self.frames += 1
        data = event.get("data") or {}
        if event.get("type") == "bench.ping":
            self.pings_received.setdefault(int(data.get("n", -1)), now)
        elif event.get("type") in PAIRS.values():
            self.ws_times.setdefault((event["type"], data.get("uniqueid", "")), now)

    async def _ping(self, ami) -> None:
        n = 0
        while True:
            sent = time.time()
            try:
                ami.fire({"Action": "UserEvent", "UserEvent": "CentralitaBench", "Sent": f"{sent:.6f}", "N": str(n)})
                self.pings_sent[n] = sent
            except ConnectionError:
                pass  # AMI away for a moment: that ping is not sent, hence not counted lost
            n += 1
            await asyncio.sleep(PING_INTERVAL)

    def report(self) -> dict:
        calls = [(self.ws_times[key] - at) * 1000 for key, at in self.ami_times.items() if key in self.ws_times]
        # Pings of the last seconds before the stop may still be on their way: neither measured nor lost.
        settled = {n: t for n, t in self.pings_sent.items() if not self.stopped_at or t < self.stopped_at - 3}
        pings = [(self.pings_received[n] - sent) * 1000 for n, sent in settled.items() if n in self.pings_received]
        by_kind = {}
        for kind in PAIRS.values():
            values = [
                (self.ws_times[k] - at) * 1000
                for k, at in self.ami_times.items()
                if k[0] == kind and k in self.ws_times
            ]
            by_kind[kind] = summary(values)
        return {
            "call_events": summary(calls)
            | {"ami_events": len(self.ami_times), "unmatched": len(self.ami_times) - len(calls)},
            "by_type": by_kind,
            "pings": summary(pings) | {"sent": len(settled), "lost": len(settled) - len(pings)},
            "frames": self.frames,
            "error": self.error,
        }
