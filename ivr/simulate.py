"""Walk a flow without Asterisk: each entry of `inputs` is what the caller keys at the next input
(a menu digit, a lookup's number, a survey answer; '' is silence). Prints the same path a real call
leaves in its record, so an admin can try a change before publishing it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from ivr import destinations as d
from ivr import hours, lookup
from ivr.flowdef import FlowDefinition

MAX_STEPS = 200


@dataclass
class Walk:
    path: list[str] = field(default_factory=list)
    said: list[str] = field(default_factory=list)
    outcome: str = ""

    @property
    def path_text(self) -> str:
        return ">".join(self.path)


def simulate(
    name: str,
    version: int,
    flow: FlowDefinition,
    inputs: list[str],
    *,
    at: datetime,
    default_queue: str,
    overrides: dict[str, str] | None = None,
    known_caller: bool = False,
    fetch: Callable[[object, str], dict] | None = None,
) -> Walk:
    """`fetch(node, digits)` answers lookups (raise LookupFailed to simulate an outage)."""
    walk = Walk(path=[f"flow:{name}/v{version}"])
    keys = list(inputs)
    operator = flow.operator or d.QueueDest(queue=default_queue)
    current: object = d.NodeDest(node=flow.start)

    def key() -> str:
        return keys.pop(0) if keys else ""

    for _ in range(MAX_STEPS):
        if current.type != "node":
            if current.type == "booking":
                walk.path.append(d.label(current))
                current = d.QueueDest(queue=default_queue)
            walk.path.append(d.label(current)) if current.type != "flow" else walk.path.append(f"flow:{current.flow}")
            walk.outcome = current.type
            return walk
        node_id = current.node
        node = flow.nodes[node_id]
        kind = node.type
        if kind == "menu":
            options = dict(node.options)
            if flow.operator_digit and "0" not in options:
                options["0"] = operator
            for _attempt in range(node.max_tries):
                digit = key()
                if digit in options:
                    walk.path.append(f"{node_id}:{digit}")
                    current = options[digit]
                    break
                walk.path.append(f"{node_id}:{'invalid' if digit else 'timeout'}")
                last_kind = "invalid" if digit else "timeout"
            else:
                current = getattr(node, last_kind) or operator
        elif kind == "play":
            walk.path.append(node_id)
            walk.said.append(node.prompt)
            current = node.next
        elif kind == "hours":
            state = "open" if hours.is_open(node, at, (overrides or {}).get(node_id)) else "closed"
            walk.path.append(f"{node_id}:{state}")
            current = getattr(node, state)
        elif kind == "identify":
            state = "known" if known_caller else "unknown"
            walk.path.append(f"{node_id}:{state}")
            current = getattr(node, state)
        elif kind == "lookup":
            current = _lookup(walk, node_id, node, key, fetch, default_queue)
        elif kind == "survey":
            walk.path.append("survey")
            walk.said += [f"survey {q}: {key() or '-'}" for q in node.questions]
            walk.outcome = "survey"
            return walk
        elif kind == "queue":
            current = d.QueueDest(queue=node.queue)
        elif kind == "hangup":
            walk.path.append("hangup")
            walk.outcome = "hangup"
            return walk
        else:  # transfer, voicemail, booking nodes are thin wrappers of their destination
            wrapped = {
                "transfer": lambda n: d.ExternalDest(number=n.number),
                "voicemail": lambda n: d.VoicemailDest(mailbox=n.mailbox),
                "booking": lambda n: d.BookingDest(service=n.service),
            }
            current = wrapped[kind](node)
    walk.outcome = "loop"
    return walk


def _lookup(walk: Walk, node_id: str, node, key, fetch, default_queue: str):
    fallback = node.fallback or d.QueueDest(queue=default_queue)
    for _ in range(node.tries):
        digits = key()
        if lookup.digits_ok(node, digits):
            break
    else:
        walk.path.append(f"{node_id}:invalid")
        return fallback
    try:
        data = fetch(node, digits) if fetch else {}
    except lookup.LookupFailed as exc:
        walk.path.append(f"{node_id}:fail")
        walk.said.append(f"apology ({exc})")
        return fallback
    if not lookup.found(node, data):
        walk.path.append(f"{node_id}:notfound")
        return node.next
    walk.path.append(f"{node_id}:ok")
    walk.said += [f"{s.kind} {s.value}" for s in lookup.plan(node, data)]
    return node.next


def http_fetch(caller: str = "") -> Callable[[object, str], dict]:
    """Real HTTP for simulations, with the node's own timeout."""
    import asyncio

    import httpx

    def fetch(node, digits: str) -> dict:
        async def run():
            async with httpx.AsyncClient() as client:
                return await lookup.fetch(client, node, digits, caller)

        return asyncio.run(run())

    return fetch
