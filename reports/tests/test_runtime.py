"""The engine in the API process, against a real redis-server: queue_log lines written to the file are
ingested by the queues runtime (woken by the AMI event that accompanies them), folded by the reports
runtime and published as `reports.kpi` with the right figures. Prints the line → event latency
(measured, not asserted: performance figures are not test verdicts)."""

from __future__ import annotations

import asyncio
import json
import time
from datetime import timedelta
from types import SimpleNamespace

from recorder.tests.redis_server import redis_server
from reports.tests import golden


class _NoAmi:
    connected = False

    def on(self, *_args) -> None:
        pass


async def _scenario(url: str, paths: dict) -> tuple[list[dict], list[float]]:
    from centralita import bus
    from centralita.settings import get_settings
    from queues.runtime import QueuesRuntime
    from reports.runtime import ReportsRuntime

    settings = get_settings().model_copy(update={"redis_url": url})
    client = bus.connect(settings)
    host = SimpleNamespace(ami=_NoAmi(), redis=client, settings=settings)
    queues = QueuesRuntime(host)
    queues.queue_log = paths["queue_log"]
    reports = host.reports = ReportsRuntime(host)
    reports.clock = lambda: golden.INTERVAL + timedelta(minutes=5)  # "now" on the golden day
    reports.refresh_every = 3600  # only the events the lines cause
    pubsub = client.pubsub()
    await pubsub.subscribe(bus.CHANNEL)
    history = asyncio.create_task(queues._history())
    await reports.start()
    events, latencies = [], []
    try:
        # A caller joins, then abandons after 12 s; then more callers do the same (for the latency
        # figures). Each line comes with its AMI event.
        lines = [
            (f"{golden.T0 + 40}|x4|ventas|NONE|ENTERQUEUE||5551004|1", "QueueCallerJoin"),
            (f"{golden.T0 + 52}|x4|ventas|NONE|ABANDON|1|1|12", "QueueCallerAbandon"),
        ]
        for n in range(5, 14):
            lines.append((f"{golden.T0 + 60 + n}|x{n}|ventas|NONE|ENTERQUEUE||55510{n:02d}|1", "QueueCallerJoin"))
        for line, ami in lines:
            await asyncio.sleep(0.6)  # let the loops settle into their idle wait
            golden.write_queue_log(paths["queue_log"], [line])
            written = time.monotonic()
            queues._observe({"Event": ami, "Queue": "ventas", "Uniqueid": "x4", "Position": "1", "Count": "0"})
            while True:
                message = await asyncio.wait_for(pubsub.get_message(ignore_subscribe_messages=True, timeout=5), 10)
                if message is None:
                    continue
                event = json.loads(message["data"])
                if event["type"] == "reports.kpi":
                    latencies.append(time.monotonic() - written)
                    events.append(event)
                    break
    finally:
        await reports.stop()
        history.cancel()
        await asyncio.gather(history, return_exceptions=True)
        await pubsub.aclose()
        await client.aclose()
    return events, latencies


def test_reports_kpi_follows_the_queue_log(engine_env, tmp_path):
    _session, paths = engine_env
    with redis_server(tmp_path / "redis") as url:
        events, latencies = asyncio.run(_scenario(url, paths))
    joined, abandoned = (e["data"] for e in events[:2])
    assert joined["queue"] == "ventas"
    assert (joined["today"]["offered"], joined["today"]["abandoned"]) == (1, 0)
    assert (abandoned["today"]["offered"], abandoned["today"]["abandoned"]) == (1, 1)
    assert abandoned["today"]["sl_inclusive"] == 1.0  # abandoned after 12 s, within the 20 s threshold
    assert abandoned["last_60m"]["abandon_rate"] == 1.0
    assert events[-1]["data"]["today"]["offered"] == 10
    ordered = sorted(latencies)
    print(
        json.dumps(
            {
                "line_to_reports_kpi_s": {
                    "n": len(ordered),
                    "p50": round(ordered[len(ordered) // 2], 3),
                    "max": round(ordered[-1], 3),
                    "all": [round(x, 3) for x in latencies],
                }
            }
        )
    )
