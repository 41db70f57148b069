"""Lookup pieces: check digits, the HTTP call against a real local server (answer, not found, error,
too slow), caller numbers, and the DTMF captures sipp plays."""

from __future__ import annotations

import asyncio
import json
import struct
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from centralita.phones import caller_e164 as normalise
from centralita.telephony import dtmf_pcap
from ivr.flowdef import LookupNode
from ivr.lookup import LookupFailed, build_request, check_digit_ok, digits_ok, fetch, plan


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        kind = self.path.rsplit("/", 1)[-1]
        if kind == "slow":
            time.sleep(1.5)
        status, body = {"404": (404, b"{}"), "500": (500, b"oops"), "text": (200, b"not json")}.get(
            kind, (200, json.dumps({"found": True, "debt": 10.5, "who": {"name": "Ana"}}).encode())
        )
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        try:
            self.wfile.write(body)
        except BrokenPipeError:
            pass

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def server():
    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{srv.server_port}"
    srv.shutdown()


def node(url: str, **extra) -> LookupNode:
    return LookupNode.model_validate(
        {"prompt": "p", "url": url + "/{digits}", "timeout_s": 0.5, "next": {"type": "hangup"}, **extra}
    )


def run(coro):
    async def main():
        async with httpx.AsyncClient() as client:
            return await coro(client)

    return asyncio.run(main())


def test_check_digits_and_lengths():
    assert check_digit_ok("123455", "luhn") and not check_digit_ok("123456", "luhn")
    assert check_digit_ok("79927398713", "luhn")
    assert check_digit_ok("12345678", "none")
    n = LookupNode.model_validate(
        {"prompt": "p", "url": "http://x/{digits}", "min_digits": 4, "max_digits": 6, "next": {"type": "hangup"}}
    )
    assert digits_ok(n, "1234") and not digits_ok(n, "123") and not digits_ok(n, "") and not digits_ok(n, "12a4")


def test_request_is_built_from_the_template():
    n = node("http://h/api", method="GET")
    assert build_request(n, "12 3", "+507")[0] == "http://h/api/12%203"


def test_answer_not_found_error_and_timeout(server):
    data = run(lambda c: fetch(c, node(server), "ok", "1"))
    said = plan(
        node(
            server,
            say=[{"field": "debt", "say": "amount"}, {"field": "who.name"}, {"field": "missing", "say": "digits"}],
        ),
        data,
    )
    assert [(s.kind, s.value) for s in said] == [("amount", 10.5), ("text", "Ana")]
    assert run(lambda c: fetch(c, node(server), "404", "1")) == {"found": False}
    for bad in ("500", "text", "slow"):
        with pytest.raises(LookupFailed):
            run(lambda c: fetch(c, node(server), bad, "1"))
    with pytest.raises(LookupFailed):  # nothing listens there
        run(lambda c: fetch(c, node("http://127.0.0.1:9"), "1", "1"))


def test_caller_numbers_are_normalised():
    assert normalise("+507 6123-4567", "PA") == "+50761234567"
    assert normalise("0050761234567", "PA") == "+50761234567"
    assert normalise('"Juan" <sip:61234567@10.0.0.1>', "PA") == "+50761234567"
    assert normalise("anonymous", "PA") == ""


def test_dtmf_capture_gives_each_digit_its_own_event():
    data, duration = dtmf_pcap.build("55,#")
    assert duration == 600 + 600 + 1000 + 600
    offset, events = 24, []
    while offset < len(data):
        _sec, _usec, length, _orig = struct.unpack("<IIII", data[offset : offset + 16])
        rtp = data[offset + 16 + 42 : offset + 16 + length]
        _b0, marker_pt, seq, ts, _ssrc = struct.unpack("!BBHII", rtp[:12])
        event, flags, _dur = struct.unpack("!BBH", rtp[12:16])
        events.append((seq, ts, event, bool(flags & 0x80), marker_pt & 0x7F))
        offset += 16 + length
    assert [e[0] for e in events] == sorted(e[0] for e in events)  # rising sequence numbers
    starts = sorted({(e[1], e[2]) for e in events})
    assert starts == [(0, 5), (4800, 5), (17600, 11)]  # same digit twice: two distinct events
    assert all(e[4] == 101 for e in events) and sum(e[3] for e in events) == 9  # three end packets each


def test_pauses_before_the_first_digit_become_a_scenario_pause(tmp_path):
    """sipp times a capture from its first packet: ',,,,,0' as one capture would key 0 at once, and a
    caller meant to key it 5 s later would key it while the call is still being identified."""
    from centralita.telephony.sipp import digit_steps

    assert dtmf_pcap.leading_pause(",,,,,0") == (5000, "0")
    assert dtmf_pcap.leading_pause("1,2") == (0, "1,2")
    steps = digit_steps(",,0", tmp_path)
    assert steps[0] == 2000 and str(steps[1]).endswith(".pcap")
    assert str(digit_steps("1", tmp_path)[0]).endswith(".pcap")  # no pause step when the key comes at once
    with pytest.raises(ValueError, match="leading pause"):
        dtmf_pcap.build(",1")
