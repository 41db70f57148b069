"""The event bus: JSON events on Redis pub/sub, for live views and integrations."""

from __future__ import annotations

import json

import redis.asyncio as aioredis

from centralita.settings import Settings
from centralita.timeutil import utcnow

CHANNEL = "centralita:events"


def redis_url(settings: Settings) -> str:
    return settings.redis_url or f"redis://127.0.0.1:{settings.redis_port}/0"


def connect(settings: Settings) -> aioredis.Redis:
    return aioredis.from_url(
        redis_url(settings),
        socket_timeout=settings.external_timeout,
        socket_connect_timeout=settings.external_timeout,
        decode_responses=True,
    )


async def publish(client: aioredis.Redis, event_type: str, data: dict) -> None:
    await client.publish(CHANNEL, json.dumps({"type": event_type, "at": utcnow().isoformat(), "data": data}))
