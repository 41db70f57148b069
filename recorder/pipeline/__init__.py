"""The recording pipeline: a finished recording goes through idempotent steps on a Redis job queue.

    ended -> verified -> transcribed -> analysed -> encoded -> stored -> indexed -> done

`enqueue(recording_id)` is what the call-end code (API process, FastAGI server) calls; it never
raises: with Redis down the recording stays at its stage and the worker's periodic sweep
(pipeline/sweep.py) enqueues it again later. See broker.py for the queue, runner.py for the steps.
"""

from __future__ import annotations

import logging

log = logging.getLogger("centralita.recorder.pipeline")


def enqueue(recording_id: int) -> None:
    """Ask a worker to move this recording forward. Never raises to the caller."""
    try:
        from centralita.settings import get_settings
        from recorder.pipeline import broker

        _, actor = broker.get(get_settings())
        actor.send(int(recording_id))
    except Exception as exc:
        log.warning("recording %s not enqueued (%s); the worker's sweep will pick it up", recording_id, exc)
