"""The menu logic against a scripted caller (pure logic; the real call path is in tests/integration)."""
from __future__ import annotations

import pytest

from ivr.agi_app import run_menu
from ivr.service import Route, validate_definition

FLOW = {"prompt": "demo-welcome", "timeout_ms": 100, "max_tries": 2,
        "options": {"1": {"queue": "deuda"}, "9": {"hangup": True}}, "default": {"queue": "atencion"}}


class ScriptedCaller:
    def __init__(self, presses):
        self.presses = list(presses)
        self.played = []
        self.variables = {"PROMPTS": "/p"}

    async def get_variable(self, name):
        return self.variables.get(name, "")

    async def set_variable(self, name, value):
        self.variables[name] = value

    async def get_data(self, prompt, timeout_ms, max_digits):
        self.played.append(prompt)
        return self.presses.pop(0) if self.presses else ""

    async def stream_file(self, prompt):
        self.played.append(prompt)


@pytest.mark.parametrize("presses, kind, queue, path", [
    (["1"], "queue", "deuda", ["menu:1"]),
    (["9"], "hangup", "", ["menu:9"]),
    (["", ""], "queue", "atencion", ["menu:timeout", "menu:timeout"]),
    (["7", "1"], "queue", "deuda", ["menu:invalid:7", "menu:1"]),
])
async def test_menu_routes(presses, kind, queue, path):
    caller = ScriptedCaller(presses)
    route = await run_menu(caller, FLOW, Route(queue="atencion", path=[]), "atencion")
    assert (route.kind, route.queue, route.path) == (kind, queue, path)
    assert caller.played[0] == "/p/demo-welcome"
    if "menu:invalid:7" in path:
        assert "/p/invalid" in caller.played


@pytest.mark.parametrize("definition, field", [
    ({"options": {"1": {"queue": "x"}}}, "prompt"),
    ({"prompt": "p", "options": {}}, "options"),
    ({"prompt": "p", "options": {"12": {"queue": "x"}}}, "options.12"),
    ({"prompt": "p", "options": {"1": {}}}, "options.1"),
])
def test_invalid_flows_name_the_field(definition, field):
    with pytest.raises(ValueError, match=field):
        validate_definition(definition)
