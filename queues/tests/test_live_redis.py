"""The Redis copy of the live state (`centralita queues live`) follows every change the API's own view
(/api/queues/live) shows, including a channel that ends without ever being bridged: the API process's
queue runtime, fed Asterisk 22's events for such a call, against a real redis-server."""

from __future__ import annotations

import asyncio
import json
from types import SimpleNamespace

from centralita import bus
from centralita.settings import Settings
from queues.runtime import LIVE_KEY, QueuesRuntime
from recorder.tests.redis_server import redis_server

CHANNEL = "PJSIP/trunk-00000007"
# As Asterisk 22 sends them for a caller who hangs up in the IVR (no bridge, no queue): trimmed to the
# fields the live state reads.
NEWCHANNEL = {
    "Event": "Newchannel",
    "Channel": CHANNEL,
    "Uniqueid": "1764590000.14",
    "Linkedid": "1764590000.14",
    "CallerIDNum": "5551234",
    "ChannelStateDesc": "Down",
}
# An agent logs in meanwhile: an event that is published, so the stored copy holds the channel.
MEMBER_ADDED = {
    "Event": "QueueMemberAdded",
    "Queue": "atencion",
    "MemberName": "agent1",
    "Interface": "PJSIP/agent1",
    "Status": "1",
    "Paused": "0",
    "InCall": "0",
    "LastCall": "0",
    "Wrapuptime": "0",
    "Penalty": "0",
}
HANGUP = {
    "Event": "Hangup",
    "Channel": CHANNEL,
    "Uniqueid": "1764590000.14",
    "Linkedid": "1764590000.14",
    "Cause": "16",
    "Cause-txt": "Normal Clearing",
}


async def _stored(client) -> dict:
    raw = await client.get(LIVE_KEY)
    return json.loads(raw) if raw else {}


async def _settle(runtime: QueuesRuntime) -> None:
    for _ in range(100):
        if runtime.inbox.empty():
            await asyncio.sleep(0.05)  # the consumer finishes the item it took
            return
        await asyncio.sleep(0.02)


async def _scenario(url: str, tmp_path) -> tuple[dict, dict, dict]:
    settings = Settings(data_dir=tmp_path, redis_url=url, secret_key="k", ami_secret="a", ari_secret="b")
    client = bus.connect(settings)
    runtime = QueuesRuntime(SimpleNamespace(ami=None, redis=client, settings=settings))
    consumer = asyncio.create_task(runtime._consume())
    try:
        runtime.inbox.put_nowait(dict(NEWCHANNEL))
        runtime.inbox.put_nowait(dict(MEMBER_ADDED))
        await _settle(runtime)
        during = await _stored(client)
        runtime.inbox.put_nowait(dict(HANGUP))
        await _settle(runtime)
        return during, await _stored(client), runtime.state.snapshot()
    finally:
        consumer.cancel()
        await asyncio.gather(consumer, return_exceptions=True)
        await client.aclose()


def test_an_unbridged_channel_that_ends_leaves_the_redis_copy(tmp_path):
    with redis_server(tmp_path / "redis") as url:
        during, after, api_view = asyncio.run(_scenario(url, tmp_path))
    assert during["channels"] == [CHANNEL]
    assert api_view["channels"] == [] and after["channels"] == [], after
    assert after == api_view
