"""Real SIP calls from sipp through the real Asterisk into our FastAGI app, and their call records."""

from __future__ import annotations

import csv
import time

import pytest
from stack import port_base

pytestmark = pytest.mark.asterisk
PORT_BASE = port_base(25000)
FALLBACK_PATH = "flow:demo/v1>main:1>debt:fail>queue:atencion"


def _records(stack, token, call_id):
    response = stack.get("/api/calls", token, limit=500)
    assert response.status_code == 200
    return [c for c in response.json()["items"] if c["sip_call_id"] == call_id]


def _demo_call(stack, digits="1", hold=2.0):
    import json

    result = stack.cli("demo", "call", "--digits", digits, "--hold", str(hold), check=False, timeout=120)
    payload = json.loads(result.stdout[: result.stdout.rindex("}") + 1])
    return result, payload


def test_demo_call_runs_the_flow_and_is_recorded(stack):
    result, call = _demo_call(stack, digits="0", hold=2.0)
    assert result.returncode == 0, result.stderr
    # The digit reached the published flow's menu, which chose the queue: the path proves the round trip.
    assert call["path"] == "flow:demo/v1>main:0>queue:atencion"
    assert call["did"] == "5551000"
    assert call["disposition"] == "ANSWERED"
    assert abs(call["billsec"] - call["sipp_seconds"]) < 1.0, call
    # The caller streams a tone while it waits: its leg carries audio, and so does the other (the menu,
    # then the queue's music), both measured on the call's recording.
    assert call["both_legs_audio"] is True, call.get("legs")
    assert call["legs"]["caller"]["rms"] > 500 and call["legs"]["agent"]["rms"] > 100, call["legs"]

    token = stack.token("boss", "boss-password-1")
    [record] = _records(stack, token, call["sip_call_id"])
    assert record["id"] == call["call_record_id"]
    assert abs(record["duration"] - call["sipp_seconds"]) < 1.0
    assert any(ch.startswith("PJSIP/demo-") for ch in record["channels"])
    # Filters and paging
    page = stack.get("/api/calls", token, did="5551000", limit=1).json()
    assert page["total"] >= 1 and len(page["items"]) == 1
    assert stack.get("/api/calls", token, did="0000").json()["total"] == 0


def test_other_menu_choice_and_timeout_paths(stack):
    result, call = _demo_call(stack, digits="2", hold=1.0)
    assert result.returncode == 0, result.stderr
    assert call["path"] == "flow:demo/v1>main:2"  # hung up while the case lookup asked for the number
    # A caller who hangs up in the middle of the menu still leaves the path walked so far.
    result, call = _demo_call(stack, digits="", hold=1.0)
    assert result.returncode == 0, result.stderr
    assert call["path"] == "flow:demo/v1"


def test_api_requires_auth_and_roles(stack):
    assert stack.get("/api/calls").status_code == 401
    agent = stack.token("ana", "agent-password-1")
    assert stack.get("/api/users", agent).status_code == 403
    assert stack.get("/api/calls", agent).status_code == 403
    assert stack.get("/api/users/me", agent).status_code == 200


def test_fallback_when_api_and_fastagi_are_down_then_recorded_once(stack):
    token = stack.token("boss", "boss-password-1")
    stack.stop_service("api")
    stack.stop_service("fastagi")
    try:
        result = stack.cli("demo", "call", "--digits", "1", "--hold", "6", check=False, timeout=120)
        # sipp succeeded (answered, held, hung up normally); no record yet: the API is down.
        assert '"sip_ok": true' in result.stdout, result.stdout + result.stderr
        call_id = result.stdout.split('"sip_call_id": "')[1].split('"')[0]
        cdr_lines = _cdr_rows(stack, call_id)
        # Option 1 is a lookup (a FastAGI step): with our server down the caller gets the apology.
        assert cdr_lines and cdr_lines[0]["path"] == FALLBACK_PATH
        # The caller went to the default queue at once and hears the apology there as the first hold
        # music (class centralita-apology, apology file first): no dead air, no silent hangup.
        messages = _asterisk_log(stack)
        assert "Started music on hold, class 'centralita-apology'" in messages
        assert cdr_lines[0]["lastapp"] == "Queue"
    finally:
        stack.start_service("fastagi")
        stack.start_service("api")
    assert stack.wait_health("ok")
    records = stack.wait_for(lambda: _records(stack, token, call_id), 15)
    assert len(records) == 1 and records[0]["path"] == FALLBACK_PATH
    # Restarting the ingester again must not duplicate it.
    stack.stop_service("api")
    stack.start_service("api")
    assert stack.wait_health("ok")
    time.sleep(2.5)
    assert len(_records(stack, token, call_id)) == 1


def test_asterisk_killed_and_restarted_links_reconnect(stack):
    api_pid = stack.procs["api"].pid
    stack.kill_asterisk()
    degraded = stack.wait_health("degraded", 15)
    assert degraded and degraded["components"]["ami"]["status"] == "down"
    started = time.monotonic()
    stack.start_asterisk()
    healthy = stack.wait_health("ok", 10)
    assert healthy, f"not ok within 10 s of Asterisk's restart: {stack.health()}"
    print(f"AMI and ARI reconnected {time.monotonic() - started:.1f} s after Asterisk was started again")
    assert stack.procs["api"].pid == api_pid and stack.procs["api"].poll() is None
    result, call = _demo_call(stack, digits="0", hold=1.0)
    assert result.returncode == 0 and call["path"] == "flow:demo/v1>main:0>queue:atencion"


def _cdr_rows(stack, call_id):
    from api.calls.service import CDR_COLUMNS
    from centralita.runtime import cdr_directory

    path = cdr_directory(stack.settings()) / "Master.csv"
    with path.open() as fh:
        return [dict(zip(CDR_COLUMNS, row)) for row in csv.reader(fh) if row and row[-1] == call_id]


def _asterisk_log(stack):
    from centralita.telephony.pbx import instance_paths

    paths = instance_paths(stack.settings())
    return paths.host(f"{paths.log}/messages.log").read_text(errors="replace")
