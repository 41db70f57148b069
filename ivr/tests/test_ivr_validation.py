"""Saving a flow checks the graph; every error names the node and the field."""

from __future__ import annotations

import copy

import pytest

from ivr.tests.flows import node, sample_flow
from ivr.validation import FlowInvalid, validate

KNOWN = {"goodbye", "demo-welcome", "demo-ask-taxpayer", "invalid", "fallback"}


def errors_of(definition: dict) -> list[tuple[str, str, str]]:
    with pytest.raises(FlowInvalid) as info:
        validate(definition, KNOWN.__contains__)
    return [(e.node, e.field, e.message) for e in info.value.errors]


def test_a_good_flow_passes():
    flow = validate(sample_flow(), KNOWN.__contains__)
    assert flow.start == "hours" and flow.nodes["main"].type == "menu"


def test_missing_target_unreachable_node_and_missing_prompt_are_named():
    flow = sample_flow()
    flow["nodes"]["main"]["options"]["3"] = node("nowhere")
    flow["nodes"]["orphan"] = {"type": "play", "prompt": "no-such-prompt", "next": {"type": "hangup"}}
    found = errors_of(flow)
    assert ("main", "options.3", "leads to node 'nowhere', which does not exist") in found
    assert ("orphan", "", "unreachable: no start, option or destination leads here") in found
    assert ("orphan", "prompt", "prompt 'no-such-prompt' does not exist") in found


def test_structure_errors_name_the_node_and_field():
    flow = sample_flow()
    flow["nodes"]["main"]["options"] = {"12": node("debt")}
    [(where, field, message)] = [e for e in errors_of(flow) if e[0] == "main"]
    assert where == "main" and field == "options" and "one DTMF digit" in message
    flow = sample_flow()
    flow["nodes"]["debt"]["url"] = "ftp://x"
    assert any(e[:2] == ("debt", "url") for e in errors_of(flow))


def test_a_menu_needs_a_way_out_and_hours_need_sane_ranges():
    flow = sample_flow()
    flow["operator_digit"] = False
    flow["nodes"]["main"]["options"] = {}
    flow["nodes"]["debt"]["next"] = node("main")
    flow["nodes"]["hours"]["schedule"]["mon"] = ["18:00-08:00"]
    flow["nodes"]["hours"]["timezone"] = "Mars/Olympus"
    flow["nodes"]["hours"]["holidays"] = ["25/12/2026"]
    found = errors_of(copy.deepcopy(flow))
    assert ("main", "options", "a menu needs at least one way out") in found
    assert any(e[:2] == ("hours", "schedule.mon") for e in found)
    assert ("hours", "timezone", "unknown time zone 'Mars/Olympus'") in found
    assert any(e[:2] == ("hours", "holidays.0") for e in found)


def test_start_survey_and_other_flows_are_checked():
    flow = sample_flow()
    flow["start"] = "missing"
    flow["survey"] = "main"
    flow["nodes"]["main"]["options"]["4"] = {"type": "flow", "flow": "other"}
    with pytest.raises(FlowInvalid) as info:
        validate(flow, KNOWN.__contains__, flow_exists=lambda name: False)
    text = str(info.value)
    assert "field 'start': no node named 'missing'" in text
    assert "field 'survey'" in text
    assert "leads to flow 'other', which has no published version" in text


def test_a_field_named_like_a_type_keeps_its_place():
    """A queue node's `queue` (and a queue destination's) is a field, not only a union tag: the editor
    shows the error on that field."""
    flow = sample_flow()
    flow["nodes"]["main"]["options"]["2"] = {"type": "queue", "queue": "Mal Nombre"}
    flow["nodes"]["main"]["options"]["3"] = node("cola")
    flow["nodes"]["cola"] = {"type": "queue", "queue": "Otra Mal"}
    found = [e[:2] for e in errors_of(flow)]
    assert ("main", "options.2.queue") in found and ("cola", "queue") in found
