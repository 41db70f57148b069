"""Health of every component, and the overall verdict."""

from __future__ import annotations

import asyncio

from sqlalchemy import text

from centralita import bus, db
from centralita.settings import Settings
from centralita.telephony.fastagi import probe as fastagi_probe

# Without the database nothing works; without the rest, calls still flow through the fallbacks.
ESSENTIAL = {"database"}


async def check_database() -> dict:
    def ping():
        with db.get_engine().connect() as conn:
            conn.execute(text("SELECT 1"))

    try:
        await asyncio.wait_for(asyncio.to_thread(ping), 3)
        return {"status": "ok"}
    except Exception as exc:
        return {"status": "down", "detail": f"{type(exc).__name__}"}


async def check_redis(settings: Settings, runtime) -> dict:
    client = runtime.redis if runtime else bus.connect(settings)
    try:
        await asyncio.wait_for(client.ping(), 2)
        return {"status": "ok"}
    except Exception as exc:
        return {"status": "down", "detail": f"{type(exc).__name__}"}
    finally:
        if runtime is None:
            await client.aclose()


async def check_fastagi(settings: Settings) -> dict:
    host = settings.fastagi_host if settings.fastagi_host not in ("0.0.0.0", "") else "127.0.0.1"
    ok = await fastagi_probe(host, settings.fastagi_port)
    return {"status": "ok"} if ok else {"status": "down", "detail": f"no answer on {host}:{settings.fastagi_port}"}


def overall(components: dict[str, dict]) -> str:
    if any(components[name]["status"] != "ok" for name in ESSENTIAL):
        return "down"
    return "ok" if all(c["status"] == "ok" for c in components.values()) else "degraded"


async def health(settings: Settings, runtime) -> dict:
    database, redis, fastagi = await asyncio.gather(
        check_database(), check_redis(settings, runtime), check_fastagi(settings)
    )
    not_running = {"status": "down", "detail": "the API runs without its Asterisk links"}
    components = {
        "database": database,
        "redis": redis,
        "ami": runtime.ami.status() if runtime else not_running,
        "ari": runtime.ari.status() if runtime else not_running,
        "fastagi": fastagi,
    }
    if runtime is not None and runtime.ingest_error:
        components["database"] = {**components["database"], "ingest": runtime.ingest_error}
    return {"status": overall(components), "components": components}
