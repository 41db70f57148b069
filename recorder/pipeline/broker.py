"""The job queue: dramatiq on Redis.

Why dramatiq (and not rq or arq): its Redis broker moves a fetched message into a per-worker
"acks" set and deletes it only when the job returns, so a worker killed with SIGKILL mid-job
leaves the message there; any live worker's maintenance pass puts it back on the queue once the
dead worker's heartbeat is older than `heartbeat_timeout`. rq moves such a job to a failed
registry after its timeout (no redelivery); arq redelivers too but is asyncio-only, while our
steps are CPU-bound (Vosk, ffmpeg). Retries with exponential backoff are dramatiq's `Retries`.

Dramatiq only refreshes a worker's heartbeat when it fetches, which a busy worker does not do;
the worker's lease thread (pipeline/worker.py) calls `touch` so a long transcription is not
mistaken for a dead worker. Even so, a duplicate delivery is harmless: `runner.run` claims the
recording in the database first (pipeline/claim.py) and every step is idempotent.
"""

from __future__ import annotations

import threading

from centralita.bus import redis_url
from centralita.settings import Settings

QUEUE = "recorder"
ACTOR = "recorder_process"
NAMESPACE = "centralita-dramatiq"
_lock = threading.Lock()
_cache: dict[tuple, tuple] = {}


def _key(settings: Settings) -> tuple:
    return (redis_url(settings), settings.recorder_heartbeat_timeout, settings.recorder_max_retries)


def get(settings: Settings):
    """(broker, actor) for these settings, built once per process and Redis URL. Building them
    touches no network; the first send or fetch connects (with the timeouts below)."""
    key = _key(settings)
    with _lock:
        if key not in _cache:
            from dramatiq.brokers.redis import RedisBroker

            from recorder.pipeline import runner

            broker = RedisBroker(
                url=redis_url(settings),
                namespace=NAMESPACE,
                heartbeat_timeout=int(settings.recorder_heartbeat_timeout * 1000),
                # Maintenance (requeue a dead worker's messages) on ~10 % of commands: cheap at our
                # volumes, and a restarted worker recovers the messages within seconds.
                maintenance_chance=100_000,
                socket_timeout=5,
                socket_connect_timeout=3,
                health_check_interval=30,
            )
            import dramatiq

            actor = dramatiq.actor(
                actor_name=ACTOR,
                queue_name=QUEUE,
                broker=broker,
                max_retries=settings.recorder_max_retries,
                min_backoff=int(settings.recorder_retry_backoff * 1000),
                max_backoff=int(settings.recorder_retry_backoff * 1000 * 64),
                time_limit=int(settings.recorder_job_time_limit * 1000),
            )(runner.run_job)  # the decorator form: dramatiq's overloads do not type `actor(fn, **options)`
            _cache[key] = (broker, actor)
        return _cache[key]


def touch(broker) -> None:
    """Refresh this process's heartbeat in Redis (any broker command does it)."""
    broker.do_qsize(QUEUE)


def reset() -> None:
    """Forget built brokers (tests switch Redis servers)."""
    with _lock:
        for broker, _ in _cache.values():
            try:
                broker.close()
            except Exception:
                pass
        _cache.clear()
