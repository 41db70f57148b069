"""`centralita bench events`: latency from an AMI event to a websocket client of /api/events.

Runs against the running stack (`centralita up`): it makes Asterisk emit UserEvents at a fixed
rate over AMI; the API's queue runtime turns each into a `bench.ping` on the event bus, and our
own websocket client measures when it arrives. Every hop is the real one."""

from __future__ import annotations

import asyncio
import json
import math
import time

from centralita.settings import Settings

BENCH_USER = "bench-events"


def _token(settings: Settings) -> str:
    from api.users import service
    from api.users.models import Role
    from centralita.db import session_scope

    with session_scope() as session:
        user = service.get_by_username(session, BENCH_USER) or service.create_user(
            session,
            BENCH_USER,
            service.generate_password(),
            role=Role.supervisor,
            full_name="events benchmark",
            client="bench",
        )
        raw, _token = service.issue_token(session, user)
        return raw


def _revoke(raw: str) -> None:
    from api.users import service
    from centralita.db import session_scope

    with session_scope() as session:
        service.revoke_token(session, raw, client="bench")


def percentile(values: list[float], share: float) -> float:
    """Nearest-rank percentile (no interpolation: a reported figure is a measured one)."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


async def run(settings: Settings, rate: int, seconds: float, drain: float = 3.0) -> dict:
    import websockets

    from centralita.telephony.ami import AmiClient

    raw = await asyncio.to_thread(_token, settings)
    url = f"ws://{settings.bind_host}:{settings.api_port}/api/events?token={raw}"
    ami = AmiClient(settings)
    received: dict[int, float] = {}
    try:
        await ami.start()
        deadline = time.monotonic() + settings.external_timeout * 3
        while not ami.connected:
            if time.monotonic() > deadline:
                raise ConnectionError(f"AMI not reachable on {settings.asterisk_host}:{settings.ami_port}")
            await asyncio.sleep(0.05)
        async with websockets.connect(url, open_timeout=settings.external_timeout, max_queue=None) as ws:
            await asyncio.wait_for(ws.recv(), settings.external_timeout)  # stream.open
            total = int(rate * seconds)

            async def receive():
                while len(received) < total:
                    event = json.loads(await ws.recv())
                    if event.get("type") == "bench.ping":
                        received.setdefault(event["data"]["n"], (time.time() - event["data"]["sent"]) * 1000)

            receiver = asyncio.create_task(receive())
            start = time.monotonic()
            for n in range(total):
                delay = start + n / rate - time.monotonic()
                if delay > 0:
                    await asyncio.sleep(delay)
                # Not awaited: the pace must not depend on AMI's reply time.
                ami.fire(
                    {"Action": "UserEvent", "UserEvent": "CentralitaBench", "Sent": f"{time.time():.6f}", "N": str(n)}
                )
            sent_for = time.monotonic() - start
            try:
                await asyncio.wait_for(receiver, drain)
            except TimeoutError:
                pass
    finally:
        await ami.stop()
        await asyncio.to_thread(_revoke, raw)
    latencies = list(received.values())
    return {
        "events": total,
        "received": len(received),
        "lost": total - len(received),
        "rate": rate,
        "achieved_rate": round(total / sent_for, 1) if sent_for else None,
        "p50_ms": round(percentile(latencies, 0.50), 2),
        "p95_ms": round(percentile(latencies, 0.95), 2),
        "p99_ms": round(percentile(latencies, 0.99), 2),
        "max_ms": round(max(latencies, default=float("nan")), 2),
    }
