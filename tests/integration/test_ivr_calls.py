"""The IVR end to end: real sipp calls (RFC 4733 DTMF) into the real Asterisk, compiled flows, our FastAGI
steps, the demo integration served by the API, and what each call leaves behind (path, survey answers)."""

from __future__ import annotations

import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest
from ami_events import AmiEvents
from stack import port_base

from centralita.telephony.sipp import free_port, place_call

pytestmark = pytest.mark.asterisk
PORT_BASE = port_base(27000)
DID = "5552000"
WEEK = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
PROMPTS = {  # short prompts keep the calls (and the suite) short
    "t-menu": "Menú.",
    "t-numero": "Número.",
    "t-cerrado": "Cerrado.",
    "t-q1": "Pregunta uno.",
    "t-q2": "Pregunta dos.",
    "nps-t-q3": "Del cero al diez.",
    "t-nuevo": "Nuevo menú.",
}


class SlowService:
    """An integration that answers after `delay` seconds (slower than the lookup's timeout)."""

    def __init__(self, delay: float):
        delay_s = delay

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                time.sleep(delay_s)
                body = json.dumps({"found": True, "debt": 5}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                try:
                    self.wfile.write(body)
                except BrokenPipeError:  # the lookup gave up first, as it should
                    pass

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


def _api(stack, method, path, token, **kwargs) -> httpx.Response:
    return httpx.request(
        method, f"{stack.api_url}{path}", headers={"Authorization": f"Bearer {token}"}, timeout=60, **kwargs
    )


def _flow(api_url: str, slow_url: str, down_url: str, key: str) -> dict:
    node = lambda name: {"type": "node", "node": name}
    quick = {
        "prompt": "t-numero",
        "min_digits": 1,
        "max_digits": 1,
        "timeout_s": 1.0,
        "next": {"type": "hangup"},
        "say": [{"field": "debt", "say": "number"}],
    }
    return {
        "start": "horario",
        "identify": True,
        "survey": "encuesta",
        "nodes": {
            "horario": {
                "type": "hours",
                "timezone": "America/Panama",
                "schedule": {d: ["00:00-24:00"] for d in WEEK},
                "open": node("menu"),
                "closed": node("cerrado"),
            },
            "cerrado": {"type": "play", "prompt": "t-cerrado", "next": {"type": "hangup"}},
            "menu": {
                "type": "menu",
                "prompt": "t-menu",
                "timeout_s": 2,
                "max_tries": 2,
                "options": {
                    "1": node("deuda"),
                    "2": node("lento"),
                    "3": node("caido"),
                    "4": {"type": "queue", "queue": "atencion"},
                    "5": node("quien"),
                },
            },
            "quien": {
                "type": "identify",
                "known": {"type": "queue", "queue": "atencion"},
                "unknown": {"type": "hangup"},
            },
            "deuda": {
                "type": "lookup",
                "prompt": "t-numero",
                "min_digits": 6,
                "max_digits": 6,
                "check": "luhn",
                "url": f"{api_url}/api/ivr/demo/taxpayers/{{digits}}",
                "headers": {"Authorization": f"Bearer {key}"},
                "say": [{"field": "debt", "say": "amount", "prompt": "t-numero"}],
                "next": node("menu"),
            },
            "lento": {"type": "lookup", "url": f"{slow_url}/{{digits}}", **quick},
            "caido": {"type": "lookup", "url": f"{down_url}/{{digits}}", **quick},
            "encuesta": {"type": "survey", "questions": ["t-q1", "t-q2", "nps-t-q3"], "timeout_s": 4},
        },
    }


@pytest.fixture(scope="module")
def ivr(stack):
    """Prompts from text (TTS), the test flow saved, published and mapped to its DID, through the API."""
    from ivr.demo_integration import integration_key

    token = stack.token("boss", "boss-password-1")
    for name, text in PROMPTS.items():
        r = _api(stack, "POST", "/api/ivr/prompts", token, json={"name": name, "text": text})
        assert r.status_code == 201, r.text
    slow = SlowService(delay=5.0)
    down_url = f"http://127.0.0.1:{free_port(1)}"  # nothing listens there
    definition = _flow(stack.api_url, slow.url, down_url, integration_key(stack.settings()))
    r = _api(stack, "PUT", "/api/ivr/flows/pruebas", token, json={"definition": definition, "comment": "tests"})
    assert r.status_code == 201, r.text
    r = _api(stack, "POST", "/api/ivr/flows/pruebas/publish", token, json={})
    assert r.status_code == 200 and r.json()["dialplan_reloaded"], r.text
    r = _api(stack, "PUT", f"/api/ivr/dids/{DID}", token, json={"flow": "pruebas"})
    assert r.status_code == 200, r.text
    yield {"token": token, "definition": definition}
    slow.server.shutdown()


def _record(stack, token, call_id, timeout=20.0) -> dict:
    def find():
        items = _api(stack, "GET", "/api/calls", token, params={"limit": 500}).json()["items"]
        return next((c for c in items if c["sip_call_id"] == call_id), None)

    found = stack.wait_for(find, timeout, 0.5)
    assert found, f"no call record for {call_id}"
    return found


def _call(stack, number, digits, hold, **kwargs):
    result = place_call(stack.settings(), number, digits=digits, hold_seconds=hold, **kwargs)
    assert result.ok, result.output
    return result


def _log(stack) -> str:
    from centralita.telephony.pbx import instance_paths

    paths = instance_paths(stack.settings())
    return paths.host(f"{paths.log}/messages.log").read_text(errors="replace")


def _warnings(stack, last: int = 40) -> str:
    """Asterisk's last warnings and errors: why it refused a call (a 488 says only "Not Acceptable")."""
    lines = [line for line in _log(stack).splitlines() if "WARNING[" in line or "ERROR[" in line]
    return "\n".join(lines[-last:])


def test_menu_lookup_answer_spoken_then_zero_to_agent(stack, ivr):
    """The demo flow: 1 (debt) → taxpayer number → the debt is said in Spanish → 0 → a person."""
    before = len(_log(stack))
    # 1, then the six digits while the lookup asks, then 0 once the answer has been said.
    call = _call(stack, "5551000", "1" + "123455" + "," * 15 + "0", hold=2.0, caller="61234567")
    record = _record(stack, ivr["token"], call.call_id)
    assert record["path"] == "flow:demo/v1>main:1>debt:ok>after:0>queue:atencion", record
    spoken = _log(stack)[before:]
    assert "demo-your-debt" in spoken  # the label, then Asterisk's own Spanish number sounds
    assert "/es" in spoken.split("demo-your-debt", 1)[1] or "digits/" in spoken.split("demo-your-debt", 1)[1]


def test_invalid_and_timeout_paths(stack, ivr):
    with ThreadPoolExecutor(2) as pool:
        invalid = pool.submit(_call, stack, DID, "7,,7", 2.0)
        silent = pool.submit(_call, stack, DID, "", 8.0)
        invalid, silent = invalid.result(), silent.result()
    assert (
        _record(stack, ivr["token"], invalid.call_id)["path"]
        == "flow:pruebas/v1>horario:open>menu:invalid>menu:invalid>queue:atencion"
    )
    assert (
        _record(stack, ivr["token"], silent.call_id)["path"]
        == "flow:pruebas/v1>horario:open>menu:timeout>menu:timeout>queue:atencion"
    )


def test_known_caller_is_identified_and_carried_with_the_call(stack, ivr):
    """The trunk's junk is stripped, the number read as E.164, the contact found; the agent's side gets
    it with every digit entered (AMI event as the caller leaves the IVR, channel variables)."""
    r = _api(stack, "POST", "/api/ivr/contacts", ivr["token"], json={"phone": "+507 6123-4567", "name": "Ana Pérez"})
    assert r.status_code == 201, r.text
    contact_id = r.json()["id"]
    with AmiEvents(stack.settings()) as ami:
        call = _call(stack, DID, "5", 2.0, caller="0050761234567")
    assert (
        _record(stack, ivr["token"], call.call_id)["path"]
        == "flow:pruebas/v1>horario:open>menu:5>quien:known>queue:atencion"
    )
    event = ami.first("UserEvent", UserEvent="CentralitaIvrExit", Caller="+50761234567")
    assert event and event["Contact"] == str(contact_id) and event["Digits"] == "5" and event["Flow"] == "pruebas", (
        event
    )


def test_business_hours_closed_by_override(stack, ivr):
    token = ivr["token"]
    r = _api(stack, "PUT", "/api/ivr/flows/pruebas/hours/horario", token, json={"state": "closed"})
    assert r.status_code == 200, r.text
    try:
        call = _call(stack, DID, "", 1.0)
    finally:
        assert (
            _api(stack, "PUT", "/api/ivr/flows/pruebas/hours/horario", token, json={"state": "auto"}).status_code == 200
        )
    assert _record(stack, token, call.call_id)["path"] == "flow:pruebas/v1>horario:closed>cerrado>hangup"
    # Bad input names the field.
    r = _api(stack, "PUT", "/api/ivr/flows/pruebas/hours/menu", token, json={"state": "closed"})
    assert r.status_code == 422 and "node" in r.text


def test_lookup_down_or_too_slow_reaches_fallback_queue_in_time(stack, ivr):
    """Timeout 1 s: from the caller's digit to the queue within timeout + 2 s, hearing the apology there."""
    with AmiEvents(stack.settings()) as ami, ThreadPoolExecutor(2) as pool:
        slow = pool.submit(_call, stack, DID, "2,,5", 9.0)
        down = pool.submit(_call, stack, DID, "3,,5", 9.0)
        slow, down = slow.result(), down.result()
    for call, node, digit in ((slow, "lento", "2"), (down, "caido", "3")):
        assert (
            _record(stack, ivr["token"], call.call_id)["path"]
            == f"flow:pruebas/v1>horario:open>menu:{digit}>{node}:fail>queue:atencion"
        )
        # Asterisk's own event times: the lookup digit, the apology starting, the queue joined.
        channel = next(
            e["Channel"]
            for e in ami.events
            if e.get("Event") == "Newexten" and e.get("Context", "").endswith(f"-{node}")
        )
        digit = [
            e
            for e in ami.events
            if e.get("Event") == "DTMFEnd"
            and e.get("Channel") == channel
            and e.get("Digit") == "5"
            and e.get("Direction") == "Received"
        ][-1]
        apology = next(
            e
            for e in ami.events
            if e.get("Event") == "MusicOnHoldStart"
            and e.get("Channel") == channel
            and e.get("Class") == "centralita-apology"
        )
        joined = next(e for e in ami.events if e.get("Event") == "QueueCallerJoin" and e.get("Channel") == channel)
        to_apology = float(apology["Timestamp"]) - float(digit["Timestamp"])
        to_queue = float(joined["Timestamp"]) - float(digit["Timestamp"])
        print(f"{node}: digit → apology {to_apology:.2f} s, digit → queue {to_queue:.2f} s")
        assert to_apology <= 1.0 + 2.0, (node, to_apology)
        assert to_queue <= 1.0 + 2.0, (node, to_queue)


def test_survey_after_the_agent_hangs_up_is_stored(stack, ivr):
    """A real queue member (a Local channel that answers and hangs up after 1 s) takes the call."""
    from centralita.telephony.pbx import Asterisk

    pbx = Asterisk(stack.settings())
    pbx.cli("dialplan add extension answer,1,Answer() into ivr-test-agent replace")
    pbx.cli("dialplan add extension answer,2,Wait(1) into ivr-test-agent replace")
    pbx.cli("dialplan add extension answer,3,Hangup() into ivr-test-agent replace")
    pbx.cli("queue add member Local/answer@ivr-test-agent/n to atencion")
    try:
        # After the survey Asterisk thanks the caller and hangs up: sipp sees the BYE before its own.
        # Menu 4 (the queue), then the answers 4 and 5 (CSAT, one digit) and 10 (NPS, two digits).
        call = place_call(
            stack.settings(), DID, digits="4" + "," * 4 + "4" + "," * 2 + "5" + "," * 2 + "10", hold_seconds=11.0
        )
        assert call.answered_ms is not None and "unexpected BYE" in call.output, call.output
    finally:
        pbx.cli("queue remove member Local/answer@ivr-test-agent/n from atencion")
    record = _record(stack, ivr["token"], call.call_id)
    assert record["path"].startswith("flow:pruebas/v1>horario:open>menu:4>queue:atencion>survey"), record
    linkedid = record["linkedid"]
    answers = _api(stack, "GET", "/api/ivr/surveys", ivr["token"], params={"linkedid": linkedid}).json()
    assert [(a["question"], a["answer"]) for a in answers[::-1]] == [(1, 4), (2, 5), (3, 10)], answers
    assert answers[0]["queue"] == "atencion" and "ivr-test-agent" in answers[0]["agent"]


def test_invalid_flow_rejected_naming_the_node_and_published_version_stays(stack, ivr):
    token = ivr["token"]
    broken = json.loads(json.dumps(ivr["definition"]))
    broken["nodes"]["menu"]["options"]["5"] = {"type": "node", "node": "nowhere"}
    r = _api(stack, "PUT", "/api/ivr/flows/pruebas", token, json={"definition": broken})
    assert r.status_code == 422
    errors = [{k: e[k] for k in ("node", "field", "message")} for e in r.json()["detail"]]
    assert {"node": "menu", "field": "options.5", "message": "leads to node 'nowhere', which does not exist"} in errors
    flow = _api(stack, "GET", "/api/ivr/flows/pruebas", token).json()
    assert flow["published_version"] == 1 and flow["latest_version"] == 1
    # Asterisk still runs version 1.
    from centralita.telephony.pbx import Asterisk

    assert "ivr-pruebas-v1" in Asterisk(stack.settings()).cli("dialplan show s@ivr-pruebas")


def test_publishing_while_20_calls_are_in_the_ivr_drops_none(stack, ivr):
    """20 callers are in the demo flow while version 2 is published; then each
    presses 0. All 20 finish normally, inside version 1 to the end; the next caller gets version 2."""
    from ivr.load import run_load

    token = ivr["token"]
    changed = _api(stack, "GET", "/api/ivr/flows/demo", token).json()["definition"]
    changed["nodes"]["main"]["timeout_s"] = 6
    results = {}

    def load():
        results["load"] = run_load(
            stack.settings(),
            "5551000",
            calls=20,
            rate=20,
            digits=",,,,,0",
            # Long enough to outlast the publish itself, which has taken over 6 s on a loaded machine.
            hold_seconds=15,
            first_digit_ms=500,
            timeout=150,
        )

    # Saving version 2 changes nothing live: done before the calls, so only the publish falls in the window.
    r = _api(stack, "PUT", "/api/ivr/flows/demo", token, json={"definition": changed, "comment": "longer wait"})
    assert r.status_code == 201, r.text
    thread = threading.Thread(target=load)
    thread.start()
    time.sleep(2.0)  # all 20 are inside version 1's flow now; they press 0 from 5.5 s on
    r = _api(stack, "POST", "/api/ivr/flows/demo/publish", token, json={})
    assert r.json() == {"flow": "demo", "published_version": 2, "dialplan_reloaded": True}
    # The premise is that the reload happens while the 20 calls are in progress (no wall-clock guard: on a
    # loaded machine the publish alone has taken seconds).
    assert thread.is_alive(), "the reload must happen while the calls are in progress"
    thread.join(180)
    result = results["load"]
    assert (result.completed, result.failed) == (20, 0), result.output
    call = _call(stack, "5551000", "0", 1.0)
    assert _record(stack, token, call.call_id)["path"] == "flow:demo/v2>main:0>queue:atencion"
    # Rollback to any earlier version is one call.
    r = _api(stack, "POST", "/api/ivr/flows/demo/rollback", token, json={"version": 1})
    assert r.status_code == 200 and r.json()["published_version"] == 1
    # Per-version metrics: the 20 callers all count for version 1, which sent them to a person.
    metrics = stack.wait_for(
        lambda: next(
            (
                m
                for m in _api(stack, "GET", "/api/ivr/flows/demo/metrics", token).json()["versions"]
                if m["version"] == 1 and m["option_choices"].get("main:0", 0) >= 20 and m["to_agent"] >= 20
            ),
            None,
        ),
        30,
    )
    assert metrics, _api(stack, "GET", "/api/ivr/flows/demo/metrics", token).json()["versions"]


def test_ab_split_by_caller_sends_its_share_and_ends_cleanly(stack, ivr):
    """400 callers (distinct numbers) into a flow whose version 2 takes 30 % by caller: each call lands on
    the version the rule names for its number, the share is within ±5 points, the comparison counts
    what the call records say; promote publishes version 2; after the test ends the callers that had
    version 2 are back on the published version."""
    from ivr.load import run_load
    from ivr.split import salt, takes_b

    token, did = ivr["token"], "5553000"
    for version, prompt in ((1, "t-menu"), (2, "t-nuevo")):
        definition = {
            "start": "m",
            "nodes": {"m": {"type": "menu", "prompt": prompt, "timeout_s": 10, "options": {"1": {"type": "hangup"}}}},
        }
        r = _api(stack, "PUT", "/api/ivr/flows/ab", token, json={"definition": definition})
        assert r.status_code == 201 and r.json()["version"] == version, r.text
        if version == 1:
            assert _api(stack, "POST", "/api/ivr/flows/ab/publish", token, json={}).status_code == 200
    assert _api(stack, "PUT", f"/api/ivr/dids/{did}", token, json={"flow": "ab"}).status_code == 200
    r = _api(stack, "PUT", "/api/ivr/flows/ab/split", token, json={"version": 2, "share": 30, "by": "caller"})
    assert r.status_code == 200 and r.json()["dialplan_reloaded"], r.text
    split_id = r.json()["id"]

    # sipp numbers its calls: caller 50760<n> for the n-th call, 400 different callers.
    result = run_load(
        stack.settings(), did, calls=400, rate=25, digits="", hold_seconds=1.5, caller="50760[call_number]"
    )
    assert (result.completed, result.failed) == (400, 0), f"{result.output}\nAsterisk said:\n{_warnings(stack)}"

    def records():
        items = _api(stack, "GET", "/api/calls", token, params={"limit": 500}).json()["items"]
        return [c for c in items if c["path"].startswith("flow:ab/")]

    calls = stack.wait_for(lambda: len(found := records()) >= 400 and found, 60, 1.0)
    assert calls and len(calls) == 400, len(records())
    on_b = {c["caller"] for c in calls if c["path"].startswith("flow:ab/v2")}
    expected_b = {c["caller"] for c in calls if takes_b("caller", 30, c["caller"], salt("ab", split_id))}
    assert on_b == expected_b  # every call took the version the rule names for its caller
    assert abs(100 * len(on_b) / 400 - 30) <= 5, len(on_b)

    shown = _api(stack, "GET", "/api/ivr/flows/ab/split", token).json()
    assert (shown["versions"]["a"]["calls"], shown["versions"]["b"]["calls"]) == (400 - len(on_b), len(on_b))
    assert shown["observed_share"] == round(100 * len(on_b) / 400, 1)
    assert shown["versions"]["b"]["abandoned_rate"]["value"] == 1.0  # they all hung up in the menu

    # Promote: version 2 is published and the test is over.
    r = _api(stack, "POST", "/api/ivr/flows/ab/split/promote", token)
    assert r.status_code == 200 and r.json()["outcome"] == "promoted"
    # A new test, then its end: a caller the rule gives version 1 under it is on version 1, and after the
    # end the same caller is on the published version 2 again.
    r = _api(stack, "PUT", "/api/ivr/flows/ab/split", token, json={"version": 1, "share": 50, "by": "caller"})
    assert r.status_code == 200, r.text
    caller = next(n for n in (f"50761{i}" for i in range(100)) if takes_b("caller", 50, n, salt("ab", r.json()["id"])))
    first = _call(stack, did, "", 1.0, caller=caller)
    assert _record(stack, token, first.call_id)["path"].startswith("flow:ab/v1")
    assert _api(stack, "DELETE", "/api/ivr/flows/ab/split", token).status_code == 200
    again = _call(stack, did, "", 1.0, caller=caller)
    assert _record(stack, token, again.call_id)["path"].startswith("flow:ab/v2")
    assert _api(stack, "DELETE", "/api/ivr/flows/ab/split", token).status_code == 404
