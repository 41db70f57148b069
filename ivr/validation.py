"""Graph rules checked on save: every error names the node and the field, so an admin without
technical training can find it. Nothing that fails here is stored as a version or published."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from centralita.errors import FieldErrors
from ivr.destinations import Destination, NodeDest
from ivr.flowdef import WEEKDAYS, BookingNode, FlowDefinition, HoursNode, LookupNode, MenuNode

TERMINAL_NODES = {"queue", "transfer", "voicemail", "hangup"}
RANGE = re.compile(r"^([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-4]):[0-5]\d$")


@dataclass
class FlowError:
    node: str
    field: str
    message: str

    def __str__(self) -> str:
        where = f"node '{self.node}'" if self.node else "flow"
        return f"{where}, field '{self.field}': {self.message}" if self.field else f"{where}: {self.message}"

    def as_dict(self) -> dict:
        return {"node": self.node, "field": self.field, "message": self.message}


class FlowInvalid(FieldErrors):
    """Every problem of a flow definition; the HTTP 422 has one `detail` item per problem, with the
    node and field beside the usual loc/msg."""

    def __init__(self, errors: list[FlowError]):
        self.errors = errors
        super().__init__("definition", [_item(e) for e in errors])

    def __str__(self) -> str:
        return "; ".join(str(e) for e in self.errors)


def _item(e: FlowError) -> dict:
    where = ["definition", "nodes", e.node] if e.node else ["definition"]
    return {"loc": [*where, *(e.field.split(".") if e.field else [])], "msg": str(e), **e.as_dict()}


def parse(definition: dict) -> FlowDefinition:
    """Structure first (pydantic), with locations turned into node + field."""
    try:
        return FlowDefinition.model_validate(definition)
    except ValidationError as exc:
        raise FlowInvalid([_from_pydantic(err) for err in exc.errors()[:20]]) from None


def _from_pydantic(err: ErrorDetails) -> FlowError:
    loc = [str(p) for p in err["loc"]]
    if len(loc) >= 2 and loc[0] == "nodes":
        # ('nodes', 'main', 'menu', 'options', '1', 'queue', 'queue'): drop the union tags — the node's
        # type right after its id, and a destination's type, which always has a field after it. A last
        # element is a field even when it is named like a tag: a queue node's `queue` ('cola', 'queue', 'queue').
        rest = [p for i, p in enumerate(loc[3:]) if p not in _TAGS or i == len(loc) - 4]
        return FlowError(loc[1], ".".join(rest), err["msg"])
    return FlowError("", ".".join(p for p in loc if p not in _TAGS), err["msg"])


_TAGS = {
    "menu",
    "play",
    "hours",
    "lookup",
    "survey",
    "identify",
    "queue",
    "transfer",
    "voicemail",
    "hangup",
    "booking",
    "node",
    "flow",
    "agent",
    "external",
}


@dataclass(frozen=True)
class SharedNames:
    """Which shared calendars, holiday lists and booking services exist (default: any, for checks
    without a database)."""

    calendar_exists: Callable[[str], bool] = lambda name: True
    list_exists: Callable[[str], bool] = lambda name: True
    booking_service_exists: Callable[[str], bool] = lambda name: True


def validate(
    definition: dict, prompt_exists, flow_exists=lambda name: True, names: SharedNames | None = None
) -> FlowDefinition:
    """The parsed flow, or FlowInvalid listing every problem found."""
    names = names or SharedNames()
    flow = parse(definition)
    errors: list[FlowError] = []
    if flow.start not in flow.nodes:
        errors.append(FlowError("", "start", f"no node named '{flow.start}'"))
    if flow.survey and getattr(flow.nodes.get(flow.survey), "type", None) != "survey":
        errors.append(FlowError("", "survey", f"'{flow.survey}' is not a survey node of this flow"))
    if flow.operator is not None:
        errors += _check_dest("", "operator", flow.operator, flow, flow_exists)
    for node_id, node in flow.nodes.items():
        for field, dest in destinations_of(node):
            errors += _check_dest(node_id, field, dest, flow, flow_exists)
        for field, prompt in prompts_of(node):
            if prompt and not prompt_exists(prompt):
                errors.append(FlowError(node_id, field, f"prompt '{prompt}' does not exist"))
        errors += _node_rules(node_id, node, flow, names)
    reachable = reachable_nodes(flow)
    for node_id in flow.nodes:
        if node_id not in reachable and node_id != flow.survey:
            errors.append(FlowError(node_id, "", "unreachable: no start, option or destination leads here"))
    if errors:
        raise FlowInvalid(errors)
    return flow


def _check_dest(node_id: str, field: str, dest, flow: FlowDefinition, flow_exists) -> list[FlowError]:
    if dest.type == "node" and dest.node not in flow.nodes:
        return [FlowError(node_id, field, f"leads to node '{dest.node}', which does not exist")]
    if dest.type == "node" and dest.node == node_id:
        return [FlowError(node_id, field, "leads back to the same node (use max_tries to repeat a menu)")]
    if dest.type == "flow" and not flow_exists(dest.flow):
        return [FlowError(node_id, field, f"leads to flow '{dest.flow}', which has no published version")]
    return []


def _node_rules(node_id: str, node, flow: FlowDefinition, names: SharedNames) -> list[FlowError]:
    errors = []
    if isinstance(node, MenuNode):
        has_operator = flow.operator_digit and "0" not in node.options
        if not node.options and not has_operator and not node.direct_dial:
            errors.append(FlowError(node_id, "options", "a menu needs at least one way out"))
    if isinstance(node, LookupNode):
        if node.min_digits > node.max_digits:
            errors.append(FlowError(node_id, "min_digits", "must not exceed max_digits"))
        if "{digits}" not in node.url and node.method == "GET":
            errors.append(FlowError(node_id, "url", "a GET lookup must use {digits} in the URL"))
    if isinstance(node, HoursNode):
        errors += _hours_rules(node_id, node, names)
    if isinstance(node, BookingNode):
        if not node.service:
            errors.append(FlowError(node_id, "service", "name the booking service callers book"))
        elif not names.booking_service_exists(node.service):
            errors.append(FlowError(node_id, "service", f"booking service '{node.service}' does not exist"))
    return errors


def timezone_problem(name: str) -> str | None:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return f"unknown time zone '{name}'"
    return None


def schedule_problems(schedule: dict[str, list[str]]) -> list[tuple[str, str]]:
    """(field, message) for a weekly schedule, shared by hours nodes and calendars."""
    out = []
    for day, ranges in schedule.items():
        if day not in WEEKDAYS:
            out.append((f"schedule.{day}", f"day must be one of {', '.join(WEEKDAYS)}"))
        for r in ranges:
            if not RANGE.match(r) or r[:5] >= r[6:]:
                out.append((f"schedule.{day}", f"'{r}' is not HH:MM-HH:MM (start < end)"))
    return out


def _hours_rules(node_id: str, node: HoursNode, names: SharedNames) -> list[FlowError]:
    errors = []
    if (problem := timezone_problem(node.timezone)) is not None:
        errors.append(FlowError(node_id, "timezone", problem))
    errors += [FlowError(node_id, f, m) for f, m in schedule_problems(node.schedule)]
    if node.calendar and not names.calendar_exists(node.calendar):
        errors.append(FlowError(node_id, "calendar", f"calendar '{node.calendar}' does not exist"))
    for i, name in enumerate(node.holiday_lists):
        if not names.list_exists(name):
            errors.append(FlowError(node_id, f"holiday_lists.{i}", f"holiday list '{name}' does not exist"))
    for i, day in enumerate(node.holidays):
        try:
            date.fromisoformat(day)
        except ValueError:
            errors.append(FlowError(node_id, f"holidays.{i}", f"'{day}' is not a YYYY-MM-DD date"))
    return errors


def destinations_of(node) -> list[tuple[str, Destination]]:
    """(field, destination) pairs of a node, in a stable order."""
    out: list[tuple[str, Destination]] = []
    if isinstance(node, MenuNode):
        out += [(f"options.{d}", dest) for d, dest in node.options.items()]
    for field in ("next", "open", "closed", "known", "unknown", "invalid", "timeout", "fallback"):
        dest = getattr(node, field, None)
        if dest is not None and hasattr(dest, "type"):
            out.append((field, dest))
    return out


def prompts_of(node) -> list[tuple[str, str | None]]:
    out = [
        (f, getattr(node, f, None))
        for f in ("prompt", "invalid_prompt", "timeout_prompt", "info_prompt", "not_found_prompt", "thanks_prompt")
    ]
    out += [(f"questions.{i}", q) for i, q in enumerate(getattr(node, "questions", []) or [])]
    out += [(f"say.{i}.prompt", s.prompt) for i, s in enumerate(getattr(node, "say", []) or [])]
    return out


def reachable_nodes(flow: FlowDefinition) -> set[str]:
    seen, todo = set(), [flow.start]
    extra = [flow.operator] if flow.operator is not None else []
    while todo:
        node_id = todo.pop()
        if node_id in seen or node_id not in flow.nodes:
            continue
        seen.add(node_id)
        for _field, dest in destinations_of(flow.nodes[node_id]) + [("", d) for d in extra]:
            if isinstance(dest, NodeDest):
                todo.append(dest.node)
    return seen
