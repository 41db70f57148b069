"""The dialing engine runs in the API process, beside the queues' live state it paces from (same
AMI link, agent states read in memory). It is restart-safe by design (dialer/engine/claims.py): a
second API process, or one restarted mid-call, never dials a claimed contact twice.
`CENTRALITA_DIALER_ENGINE=false` keeps an API process from dialling."""

from __future__ import annotations

from dialer.engine.engine import DialerEngine


async def start(runtime) -> None:
    runtime.dialer = None
    if not runtime.settings.dialer_engine:
        return
    runtime.dialer = DialerEngine(runtime)
    await runtime.dialer.start()


async def stop(runtime) -> None:
    if getattr(runtime, "dialer", None) is not None:
        await runtime.dialer.stop()
