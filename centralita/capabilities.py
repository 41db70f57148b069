"""The domain packages and what each contributes, found by convention so they stay independent.

A capability may have: `routes.py` with `router` (mounted under /api), `cli.py` with `app` (a typer
sub-command named after the package), `agi.py` with `register(server)` (FastAGI scripts), and
`runtime.py` with `async start(runtime)` / `async stop(runtime)` (background work in the API process),
and `render.py` with `context(settings, paths, session) -> dict` (variables for its own Asterisk
templates) and `files(settings, paths, session) -> {name: bytes}` (extra files in the config dir).
"""

from __future__ import annotations

import importlib
import importlib.util
from types import ModuleType

CAPABILITIES = [
    "ivr",
    "queues",
    "recorder",
    "dialer",
    "security",
    "reports",
    "reports.staffing",
    "reports.scheduled",
    "phone",
    "booking",
    "messaging",
]


def _optional(module: str) -> ModuleType | None:
    try:
        if importlib.util.find_spec(module) is None:
            return None
    except ModuleNotFoundError:
        return None
    return importlib.import_module(module)


def contributions(kind: str) -> list[tuple[str, ModuleType]]:
    """[(capability, module)] for every capability that has `<capability>.<kind>`."""
    found = []
    for name in CAPABILITIES:
        module = _optional(f"{name}.{kind}")
        if module is not None:
            found.append((name, module))
    return found
