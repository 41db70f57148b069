"""The one post-commit apply path: re-render Asterisk's config from the committed database, reload
only the modules that changed (never a restart), then publish the change's events.

The transaction rule it completes: a service adds its rows and its audit row to the caller's
session; the caller (route, CLI) commits once; only then does it call `after_commit`. A reload that
fails after a successful commit does not undo anything: the change is stored and Asterisk reads it at
its next start, so the caller reports `reloaded: false` (a warning), not an error."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field

from centralita.settings import Settings

log = logging.getLogger("centralita.apply")

# Asterisk module → the CLI command that reloads just it (pbx.Asterisk.reload).
MODULES = ("pjsip", "dialplan", "queues")
APPLY_TIMEOUT = 30.0


@dataclass
class Applied:
    """What `after_commit` did. `reloaded`: every module asked for is live in Asterisk now."""

    reloaded: bool
    modules: list[str] = field(default_factory=list)  # the modules reloaded, in order
    warning: str = ""


def _modules(changed: Iterable[str]) -> list[str]:
    wanted = set(changed)
    unknown = wanted - set(MODULES)
    if unknown:
        raise ValueError(f"unknown Asterisk module(s) {sorted(unknown)}: one of {', '.join(MODULES)}")
    return [m for m in MODULES if m in wanted]  # pjsip before the dialplan that dials its endpoints


def after_commit(settings: Settings, changed: Iterable[str], events: Iterable[tuple[str, dict]] = ()) -> Applied:
    """Call right after the commit that stored the change. Never raises for Asterisk being down."""
    from centralita.telephony.pbx import Asterisk
    from centralita.telephony.service import render_config

    modules = _modules(changed)
    result = Applied(reloaded=False)
    try:
        render_config(settings)
    except Exception as exc:  # the config stays as it was; the database has the change
        result.warning = f"config not rendered ({type(exc).__name__}: {exc})"
    else:
        pbx = Asterisk(settings)
        if not pbx.is_running():
            result.warning = "Asterisk is not running: the change applies when it starts"
        else:
            try:
                for module in modules:
                    pbx.reload(module)
                    result.modules.append(module)
                result.reloaded = True
            except Exception as exc:
                result.warning = f"{module} not reloaded ({type(exc).__name__}); applies when Asterisk restarts"
    if result.warning:
        log.warning("apply %s: %s", modules, result.warning)
    _publish(settings, [*events, ("asterisk.applied", {"modules": result.modules, "reloaded": result.reloaded})])
    return result


async def after_commit_async(
    settings: Settings, changed: Iterable[str], events: Iterable[tuple[str, dict]] = (), timeout: float = APPLY_TIMEOUT
) -> Applied:
    """`after_commit` off the event loop, bounded: a hung Asterisk CLI cannot hold a request."""
    changed, events = list(changed), list(events)
    try:
        return await asyncio.wait_for(asyncio.to_thread(after_commit, settings, changed, events), timeout)
    except TimeoutError:
        return Applied(reloaded=False, warning=f"Asterisk did not reload within {timeout:g} s")


def _publish(settings: Settings, events: list[tuple[str, dict]]) -> None:
    """Best effort: a live view misses an event when Redis is down, the change itself is stored."""
    import redis

    from centralita import bus
    from centralita.timeutil import utcnow

    try:
        client = redis.Redis.from_url(
            bus.redis_url(settings),
            socket_timeout=settings.external_timeout,
            socket_connect_timeout=settings.external_timeout,
        )
        try:
            for kind, data in events:
                client.publish(bus.CHANNEL, json.dumps({"type": kind, "at": utcnow().isoformat(), "data": data}))
        finally:
            client.close()
    except Exception as exc:
        log.info("events %s not published: %s", [k for k, _ in events], exc)
