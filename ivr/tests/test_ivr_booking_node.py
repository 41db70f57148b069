"""The `booking` node without a database or Asterisk: its validation (each error names the node and
field), its dialplan, its simulation, how its outcomes count in the figures and read on the pages, and
the words a caller hears for a slot and a code."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from booking import spoken
from ivr.compiler import Compiler
from ivr.flowdef import FlowDefinition
from ivr.metrics import classify
from ivr.prompts import PromptResolver
from ivr.simulate import simulate
from ivr.validation import FlowInvalid, SharedNames, validate
from web.labels import ivr_path

PANAMA = ZoneInfo("America/Panama")
KNOWN = {"menu", "invalid", "booking-ask-identity", "t-id"}


def booking_flow(**node) -> dict:
    return {
        "start": "menu",
        "nodes": {
            "menu": {"type": "menu", "prompt": "menu", "options": {"1": {"type": "node", "node": "cita"}}},
            "cita": {"type": "booking", "service": "placas", **node},
        },
    }


def errors_of(definition: dict, names: SharedNames | None = None) -> list[tuple[str, str, str]]:
    with pytest.raises(FlowInvalid) as err:
        validate(definition, KNOWN.__contains__, names=names)
    return [(e.node, e.field, e.message) for e in err.value.errors]


def test_a_booking_node_with_its_defaults_is_valid_and_a_stored_placeholder_still_loads():
    flow = validate(booking_flow(), KNOWN.__contains__)
    node = flow.nodes["cita"]
    assert (node.prompt, node.offer, node.tries, node.next.type, node.fallback) == (
        "booking-ask-identity",
        3,
        3,
        "hangup",
        None,
    )
    # Versions stored before the node existed ({"type": "booking", "service": ""}) still parse.
    old = FlowDefinition.model_validate({"start": "b", "nodes": {"b": {"type": "booking", "service": ""}}})
    assert old.nodes["b"].type == "booking"


def test_bad_booking_nodes_name_the_node_and_field():
    assert ("cita", "service", "name the booking service callers book") in errors_of(booking_flow(service=""))
    names = SharedNames(booking_service_exists={"otra"}.__contains__)
    assert ("cita", "service", "booking service 'placas' does not exist") in errors_of(booking_flow(), names)
    assert ("cita", "prompt", "prompt 'nope' does not exist") in errors_of(booking_flow(prompt="nope"))
    found = errors_of(booking_flow(offer=9, fallback={"type": "node", "node": "nowhere"}))
    assert [(n, f) for n, f, _m in found] == [("cita", "offer")]  # structure first, then the graph
    found = errors_of(booking_flow(fallback={"type": "node", "node": "nowhere"}))
    assert ("cita", "fallback", "leads to node 'nowhere', which does not exist") in found


def test_the_fallback_and_next_make_nodes_reachable():
    definition = booking_flow(next={"type": "node", "node": "adios"}, fallback={"type": "queue", "queue": "citas"})
    definition["nodes"]["adios"] = {"type": "hangup"}
    validate(definition, KNOWN.__contains__)


def compiled(definition: dict) -> str:
    flow = FlowDefinition.model_validate(definition)
    contexts = Compiler("f", 2, flow, PromptResolver(set()), "atencion").compile()
    return next("\n".join(c.lines) for c in contexts if c.name == "ivr-f-v2-cita")


def test_the_node_compiles_to_its_fastagi_step_with_every_outcome_routed():
    lines = compiled(booking_flow(next={"type": "queue", "queue": "recepcion"}))
    assert "AGI(${FASTAGI}/booking/ivr?node=cita&flow=f&v=2&op=1)" in lines
    # Our server down or silent counts as a failure: the apology, then a person.
    assert 'SUCCESS" & "${IVR_RESULT}" != ""]?${IVR_RESULT}:fail)' in lines
    assert "Set(CDR(path)=${CDR(path)}>cita:${IVR_RESULT})" in lines
    path_at, say_at = lines.index(">cita:${IVR_RESULT}"), lines.index("ExecIf(")
    assert path_at < say_at  # the outcome is in the path before the read-back starts
    branch = {b.split(",", 1)[0]: b for b in lines.split("exten => ")[1:]}
    for done in ("booked", "cancelled", "kept"):
        assert 'ExecIf($["${IVR_STEP}" != ""]?Playback(${IVR_STEP}))' in branch[done]
        assert "Set(CENTRALITA_QUEUE=recepcion)" in branch[done]
    for explained in ("none", "invalid", "unknown", "nochoice"):
        assert (
            "Playback(${IVR_STEP})" in branch[explained]
            and "Playback(${PROMPTS}/booking-to-agent)" in branch[explained]
        )
        assert "Set(CENTRALITA_QUEUE=atencion)" in branch[explained]
    assert "Set(CHANNEL(musicclass)=centralita-apology)" in branch["fail"]
    assert "Set(CENTRALITA_QUEUE=atencion)" in branch["operator"]


def test_without_the_operator_digit_0_is_not_offered_and_a_hangup_fallback_is_not_announced_as_an_agent():
    definition = booking_flow(fallback={"type": "hangup"})
    definition["operator_digit"] = False
    definition["nodes"]["menu"]["options"]["2"] = {"type": "hangup"}
    lines = compiled(definition)
    assert "booking/ivr?node=cita&flow=f&v=2)" in lines and "operator," not in lines
    none = lines.split("exten => none,")[1].split("exten => ")[0]
    assert "booking-to-agent" not in none and "Goto(centralita-route,hangup,1)" in none


def test_simulation_walks_the_node_without_booking():
    flow = FlowDefinition.model_validate(booking_flow())
    at = datetime(2026, 12, 1, 15, tzinfo=UTC)
    walk = simulate("f", 1, flow, ["1", "8123456"], at=at, default_queue="atencion")
    assert walk.path_text == "flow:f/v1>menu:1>cita:booked>hangup"
    walk = simulate("f", 1, flow, ["1", ""], at=at, default_queue="atencion")
    assert walk.path_text == "flow:f/v1>menu:1>cita:invalid>queue:atencion"


def test_booking_outcomes_count_as_self_service_and_read_in_spanish():
    assert classify(["flow:f/v1", "cita:booked", "hangup"]) == "self_service"
    assert classify(["flow:f/v1", "booking:cancelled", "hangup"]) == "self_service"  # a node named booking
    assert classify(["flow:f/v1", "cita:none", "queue:atencion"]) == "agent"
    assert classify(["flow:f/v1", "booking:placas"]) == "agent"  # the old placeholder destination
    definition = booking_flow()
    shown = ivr_path("flow:f/v1>menu:1>cita:booked>hangup", lambda name, version: definition)
    assert shown == "Menú principal → 1 → citas cita: cita reservada → fin de la llamada"


def test_a_slot_is_said_with_asterisks_spanish_sounds():
    tuesday = datetime(2026, 12, 1, 14, 30, tzinfo=UTC)  # martes 1 de diciembre, 09:30 in Panamá
    assert spoken.when_words(tuesday, PANAMA) == [
        "sound:digits/es-el",
        "sound:digits/day-2",
        "sound:digits/h-1",  # "primero", as Asterisk says the first of a month
        "sound:digits/es-de",
        "sound:digits/mon-11",
        "sound:digits/at",
        "sound:digits/9",
        "sound:digits/and",
        "sound:digits/30",
        "sound:digits/a-m",
    ]
    # 13:45 on Thursday the 31st: "a la una y cuarenta y cinco de la tarde", 31 = "treinta y uno".
    thursday = datetime(2026, 12, 31, 18, 45, tzinfo=UTC)
    assert spoken.when_words(thursday, PANAMA)[1:5] == [
        "sound:digits/day-4",
        "sound:digits/30",
        "sound:digits/and",
        "sound:digits/1",
    ]
    assert spoken.time_words(thursday, PANAMA) == [
        "tts:a la una",
        "sound:digits/and",
        "sound:digits/40",
        "sound:digits/and",
        "sound:digits/5",
        "sound:digits/afternoon",
    ]
    assert spoken.time_words(datetime(2026, 12, 2, 1, 0, tzinfo=UTC), PANAMA) == [  # 20:00
        "sound:digits/at",
        "sound:digits/8",
        "sound:digits/p-m",
    ]


def test_the_code_is_said_digit_by_digit_and_a_second_slot_of_the_same_day_by_its_time():
    assert spoken.code_words("407193") == [f"sound:digits/{d}" for d in "407193"]
    first, second = datetime(2026, 12, 2, 13, tzinfo=UTC), datetime(2026, 12, 2, 14, tzinfo=UTC)
    words = spoken.offer_words([first, second], PANAMA)
    assert words[0] == "booking-offer"
    assert words.count("sound:digits/es-el") == 1  # the date once, then "a las nueve, marque dos"
    assert words[-5:] == ["sound:digits/at", "sound:digits/9", "sound:digits/a-m", "booking-press", "sound:digits/2"]
