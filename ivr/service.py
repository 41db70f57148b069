"""Running a flow for one caller. The foundation's flow is one menu; richer flows build on this."""
from __future__ import annotations

from dataclasses import dataclass, field

from sqlmodel import Session, select

from ivr.models import Flow

SYSTEM_PROMPTS = {"fallback", "queue-timeout", "goodbye", "invalid", "demo-welcome"}


@dataclass
class Route:
    """Where the caller goes after the flow: a queue or a hangup, and the path that led there."""

    kind: str = "queue"
    queue: str = ""
    path: list[str] = field(default_factory=list)
    digits: str = ""


def load_flow(session: Session, name: str) -> dict | None:
    if not name:
        return None
    flow = session.exec(select(Flow).where(Flow.name == name)).first()
    return flow.definition if flow else None


def destination(option: dict, default_queue: str) -> tuple[str, str]:
    if option.get("hangup"):
        return "hangup", ""
    return "queue", option.get("queue") or default_queue


def validate_definition(definition: dict) -> None:
    """Errors name the field: a flow that cannot run is never stored."""
    if not isinstance(definition.get("prompt"), str) or not definition["prompt"]:
        raise ValueError("prompt: required")
    options = definition.get("options")
    if not isinstance(options, dict) or not options:
        raise ValueError("options: at least one digit → destination")
    for digit, option in options.items():
        if digit not in "0123456789*#" or len(digit) != 1:
            raise ValueError(f"options.{digit}: a single DTMF digit")
        if not isinstance(option, dict) or not (option.get("queue") or option.get("hangup")):
            raise ValueError(f"options.{digit}: needs a queue or hangup")
