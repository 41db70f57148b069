"""`centralita recorder worker`: dramatiq workers for the pipeline, plus housekeeping.

One process = one Vosk model (loaded by its first job) and one job at a time; `--processes N`
starts N such processes (CPU-bound work: processes, not threads). Each process also sweeps for
stuck recordings; the retention purge runs in one process of the whole installation per
CENTRALITA_RECORDER_PURGE_INTERVAL (a Redis key with expiry elects it).
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading

from centralita.bus import redis_url
from centralita.settings import Settings, get_settings

log = logging.getLogger("centralita.recorder.worker")


def _housekeeping(settings: Settings, stop: threading.Event) -> None:
    from recorder.pipeline import enqueue, sweep

    while not stop.wait(settings.recorder_sweep_interval):
        try:
            ids = sweep.sweep(settings, enqueue)
            if ids:
                log.info("sweep: enqueued %d stuck recording(s)", len(ids))
        except Exception as exc:
            log.warning("sweep failed: %s", exc)
        try:
            if _purge_due(settings):
                from recorder.retention import service as retention

                report = retention.purge(dry_run=False, settings=settings)
                log.info("purge: %d recording(s) purged", len(report["purged"]))
        except Exception as exc:
            log.warning("purge failed: %s", exc)


def _purge_due(settings: Settings) -> bool:
    import redis

    client = redis.Redis.from_url(redis_url(settings), socket_timeout=3, socket_connect_timeout=3)
    try:
        return bool(
            client.set(
                "centralita:recorder:purge-lock", os.getpid(), nx=True, ex=max(1, int(settings.recorder_purge_interval))
            )
        )
    finally:
        client.close()


def run_one(settings: Settings | None = None, ready=None) -> None:
    """One worker process in the foreground until SIGTERM/SIGINT."""
    import dramatiq

    from recorder import vosk_models
    from recorder.pipeline import broker

    settings = settings or get_settings()
    # The model is checked now (a missing one stops the worker with the setting's name) but loaded
    # by the first job, once for this process: an idle stack does not hold ~700 MB per worker.
    vosk_models.model_rate(vosk_models.model_path(settings))
    the_broker, _ = broker.get(settings)
    dramatiq.set_broker(the_broker)
    worker = dramatiq.Worker(the_broker, queues={broker.QUEUE, broker.QUEUE + ".DQ"}, worker_threads=1)
    worker.queue_prefetch = 1  # hold one job: a killed worker strands (then redelivers) only it
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    worker.start()
    keeper = threading.Thread(target=_housekeeping, args=(settings, stop), name="housekeeping", daemon=True)
    keeper.start()
    log.info("recorder worker %d ready (redis %s)", os.getpid(), redis_url(settings))
    if ready:
        ready()
    stop.wait()
    worker.stop(timeout=10_000)
    the_broker.close()


def run_many(processes: int) -> int:
    """N worker processes; stops them all on SIGTERM/SIGINT and exits when any of them exits."""
    argv = [sys.executable, "-m", "centralita.cli", "recorder", "worker", "--processes", "1"]
    children = [subprocess.Popen(argv) for _ in range(processes)]
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    code = 0
    while not stop.wait(1):
        dead = [c for c in children if c.poll() is not None]
        if dead:
            code = dead[0].returncode or 1
            break
    for c in children:
        if c.poll() is None:
            c.terminate()
    for c in children:
        try:
            c.wait(timeout=30)
        except subprocess.TimeoutExpired:
            c.kill()
    return code
