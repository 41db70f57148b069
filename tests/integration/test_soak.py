"""`centralita bench soak` end to end on a tiny load (one call of each kind: an IVR lookup into a queue,
a call straight to a queue, a campaign call): its own stack under `centralita up -d`, sipp agents and
far end, the recorder worker. What is checked is the accounting, never a timing: every call placed is
completed or failed, and each completed call left one call record and one finished recording; the
Redis copy of the live state ends as /api/queues/live does; Asterisk logged no expression syntax
warning (calls without a flow) and wrote its CEL rows (the cel-custom directory exists under `up`)."""

from __future__ import annotations

import json
import subprocess

import pytest
from stack import CLI, REPO, port_base

from conftest import _require_tools

pytestmark = pytest.mark.asterisk
PORT_BASE = port_base(31000)


def test_a_tiny_soak_accounts_for_every_call():
    _require_tools()
    result = subprocess.run(
        [*CLI, "bench", "soak", "--calls", "3", "--port-base", str(PORT_BASE), "--json"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.stdout.strip(), result.stderr[-3000:]
    doc = json.loads(result.stdout.strip().splitlines()[-1])
    calls, kinds = doc["calls"], doc["calls"]["by_kind"]
    assert {k: v["placed"] for k, v in kinds.items()} == {"ivr": 1, "queue": 1, "dialer": 1}, kinds
    assert calls["placed"] == calls["completed"] + calls["failed"] == 3
    assert calls["completed"] == 3, kinds  # loopback, one call at a time: none may fail
    assert doc["call_records"] == doc["recordings"] == doc["recordings_done"] == calls["completed"], doc
    assert doc["accounting_ok"] and doc["records_ok"] and doc["recordings_ok"] and doc["backlog_drained"]
    # The IVR call did what it is for: the number looked up (the debt said), then the queue.
    assert doc["ivr_lookup_to_queue"] == 1 and doc["paths"]["no-flow"] == 1, doc["paths"]
    assert kinds["dialer"]["dispositions_given"] == 1 and kinds["dialer"]["contacts_left"] == 0, kinds["dialer"]
    assert doc["live_copy"]["match"] and doc["live_copy"]["redis_channels"] == 0, doc["live_copy"]
    assert doc["asterisk_log"] == {"expression_syntax_warnings": 0, "cel_write_errors": 0}
    events = doc["events"]
    assert events["error"] == "" and events["call_events"]["unmatched"] == 0, events
    assert events["call_events"]["n"] >= 4 * 3  # joined, answered, left, completed for each call
    for name in ("api", "recorder-worker"):
        process = doc["processes"][name]
        assert process["start"]["rss_mb"] > 0 and process["end"]["fds"] > 0, process
    # The rate is the derived one, and the document says how.
    assert doc["rate"]["calls_per_s"] == pytest.approx(0.3416, abs=1e-4) and "249,509" in doc["rate"]["how"]
