"""Walk a flow without Asterisk: each entry of `inputs` is what the caller keys at the next input
(a menu digit, a lookup's number, a survey answer; '' is silence). Prints the same path a real call
leaves in its record, so an admin can try a change before publishing it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import assert_never

from ivr import destinations as d
from ivr import hours, lookup
from ivr.destinations import Destination
from ivr.flowdef import (
    BookingNode,
    FlowDefinition,
    HangupNode,
    HoursNode,
    IdentifyNode,
    LookupNode,
    MenuNode,
    PlayNode,
    QueueNode,
    SurveyNode,
    TransferNode,
    VoicemailNode,
)

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
    fetch: Callable[[LookupNode, str], dict] | None = None,
    shared: hours.Shared | None = None,
) -> Walk:
    """`fetch(node, digits)` answers lookups (raise LookupFailed to simulate an outage); `shared`: the
    calendars and holiday lists hours nodes may name (None: unreadable, as in ivr/hours.py)."""
    walk = Walk(path=[f"flow:{name}/v{version}"])
    keys = list(inputs)
    operator: Destination = flow.operator or d.QueueDest(queue=default_queue)
    current: Destination = d.NodeDest(node=flow.start)

    def key() -> str:
        return keys.pop(0) if keys else ""

    for _ in range(MAX_STEPS):
        if not isinstance(current, d.NodeDest):
            if isinstance(current, d.BookingDest):
                walk.path.append(d.label(current))
                current = d.QueueDest(queue=default_queue)
            walk.path.append(f"flow:{current.flow}" if isinstance(current, d.FlowDest) else d.label(current))
            walk.outcome = current.type
            return walk
        node_id = current.node
        node = flow.nodes[node_id]
        if isinstance(node, MenuNode):
            options = dict(node.options)
            if flow.operator_digit and "0" not in options:
                options["0"] = operator
            last_kind = "timeout"  # max_tries >= 1, so the loop always sets it before it is read
            for _attempt in range(node.max_tries):
                digit = key()
                if digit in options:
                    walk.path.append(f"{node_id}:{digit}")
                    current = options[digit]
                    break
                walk.path.append(f"{node_id}:{'invalid' if digit else 'timeout'}")
                last_kind = "invalid" if digit else "timeout"
            else:
                current = (node.invalid if last_kind == "invalid" else node.timeout) or operator
        elif isinstance(node, PlayNode):
            walk.path.append(node_id)
            walk.said.append(node.prompt)
            current = node.next
        elif isinstance(node, HoursNode):
            is_open = hours.is_open(node, at, (overrides or {}).get(node_id), shared)
            walk.path.append(f"{node_id}:{'open' if is_open else 'closed'}")
            current = node.open if is_open else node.closed
        elif isinstance(node, IdentifyNode):
            walk.path.append(f"{node_id}:{'known' if known_caller else 'unknown'}")
            current = node.known if known_caller else node.unknown
        elif isinstance(node, LookupNode):
            current = _lookup(walk, node_id, node, key, fetch, default_queue)
        elif isinstance(node, SurveyNode):
            walk.path.append("survey")
            walk.said += [f"survey {q}: {key() or '-'}" for q in node.questions]
            walk.outcome = "survey"
            return walk
        elif isinstance(node, QueueNode):
            current = d.QueueDest(queue=node.queue)
        elif isinstance(node, HangupNode):
            walk.path.append("hangup")
            walk.outcome = "hangup"
            return walk
        # transfer and voicemail nodes are thin wrappers of their destination
        elif isinstance(node, TransferNode):
            current = d.ExternalDest(number=node.number)
        elif isinstance(node, VoicemailNode):
            current = d.VoicemailDest(mailbox=node.mailbox)
        elif isinstance(node, BookingNode):
            current = _booking(walk, node_id, node, key, default_queue)
        else:
            assert_never(node)
    walk.outcome = "loop"
    return walk


def _lookup(
    walk: Walk,
    node_id: str,
    node: LookupNode,
    key: Callable[[], str],
    fetch: Callable[[LookupNode, str], dict] | None,
    default_queue: str,
) -> Destination:
    fallback: Destination = node.fallback or d.QueueDest(queue=default_queue)
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


def _booking(walk: Walk, node_id: str, node: BookingNode, key: Callable[[], str], default_queue: str) -> Destination:
    """A simulation books nothing: an identity typed reads as a new booking, silence as a bad identity."""
    if not key():
        walk.path.append(f"{node_id}:invalid")
        return node.fallback or d.QueueDest(queue=default_queue)
    walk.path.append(f"{node_id}:booked")
    walk.said.append(f"booking {node.service}: first free slot (simulated, nothing stored)")
    return node.next


def http_fetch(caller: str = "") -> Callable[[LookupNode, str], dict]:
    """Real HTTP for simulations, with the node's own timeout."""
    import asyncio

    import httpx

    def fetch(node: LookupNode, digits: str) -> dict:
        async def run() -> dict:
            async with httpx.AsyncClient() as client:
                return await lookup.fetch(client, node, digits, caller)

        return asyncio.run(run())

    return fetch
