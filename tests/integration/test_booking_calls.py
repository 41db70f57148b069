"""Booking by phone end to end: sipp callers (RFC 4733 DTMF) into the real Asterisk, the compiled booking
node, its FastAGI step and the database, all through the API the admin uses.

What a caller heard is read from Asterisk's own log of the caller's channel (every file it played, in
order), and compared with what was stored: the same slot, the same code. The FastAGI server runs with
the IVR's injected clock (CENTRALITA_IVR_CLOCK: Tuesday 2026-12-01 07:00 in Panamá), so the offered slots
are known at any hour, on any weekday, and under libfaketime."""

from __future__ import annotations

import os
import re
from datetime import UTC, datetime

import httpx
import pytest
from stack import port_base

from centralita.telephony.sipp import place_call

pytestmark = pytest.mark.asterisk
PORT_BASE = port_base(19000)
DID = "5552100"
CLOCK = "2026-12-01T07:00:00-05:00"
IDENTITY = "123455"  # six digits, Luhn-valid
# Slots of 30 minutes from 08:00 (60 minutes' notice): 08:00, 08:30, 09:00 are offered; 2 takes 08:30.
CHOSEN = datetime(2026, 12, 1, 13, 30, tzinfo=UTC)
DATE_WORDS = ["digits/es-el", "digits/day-2", "digits/h-1", "digits/es-de", "digits/mon-11"]
TIME_WORDS = ["digits/at", "digits/8", "digits/and", "digits/30", "digits/a-m"]  # a las ocho y treinta a.m.
WEEK = {d: ["08:00-16:00"] for d in ("mon", "tue", "wed", "thu", "fri")}


def _api(stack, method, path, token, **kwargs) -> httpx.Response:
    return httpx.request(
        method, f"{stack.api_url}{path}", headers={"Authorization": f"Bearer {token}"}, timeout=60, **kwargs
    )


def _service(name: str, **extra) -> dict:
    return {
        "name": name,
        "timezone": "America/Panama",
        "slot_minutes": 30,
        "capacity": 2,
        "opening": WEEK,
        "days_ahead": 30,
        "min_notice_minutes": 60,
        "identity_min_digits": 6,
        "identity_max_digits": 6,
        "identity_check": "luhn",
    } | extra


def _restart_fastagi(stack, **env) -> None:
    import asyncio

    from centralita.telephony.fastagi import probe

    stack.stop_service("fastagi")
    stack.env.update(env)
    stack.start_service("fastagi")
    settings = stack.settings()
    assert stack.wait_for(lambda: asyncio.run(probe("127.0.0.1", settings.fastagi_port)), 30, 0.3)


@pytest.fixture(scope="module")
def booking(stack):
    """Two services (one closed all of its window), a flow whose menu leads to three booking nodes, a DID."""
    token = stack.token("boss", "boss-password-1")
    r = _api(stack, "POST", "/api/ivr/prompts", token, json={"name": "t-menu", "text": "Menú."})
    assert r.status_code == 201, r.text
    for body in (_service("placas"), _service("cerrado", days_ahead=0), _service("antiguo")):
        r = _api(stack, "POST", "/api/booking/services", token, json=body)
        assert r.status_code == 201, r.text
    r = _api(stack, "PUT", "/api/booking/services/cerrado/exceptions/2026-12-01", token, json={"closed": True})
    assert r.status_code == 200, r.text
    node = {"type": "booking", "timeout_s": 4, "tries": 2}
    definition = {
        "start": "menu",
        "nodes": {
            "menu": {
                "type": "menu",
                "prompt": "t-menu",
                "timeout_s": 3,
                "options": {
                    "1": {"type": "node", "node": "cita"},
                    "2": {"type": "node", "node": "cerrada"},
                    "3": {"type": "node", "node": "antigua"},
                },
            },
            "cita": {**node, "service": "placas"},
            "cerrada": {**node, "service": "cerrado"},
            "antigua": {**node, "service": "antiguo"},
        },
    }
    r = _api(stack, "PUT", "/api/ivr/flows/citas", token, json={"definition": definition, "comment": "tests"})
    assert r.status_code == 201, r.text
    r = _api(stack, "POST", "/api/ivr/flows/citas/publish", token, json={})
    assert r.status_code == 200 and r.json()["dialplan_reloaded"], r.text
    r = _api(stack, "PUT", f"/api/ivr/dids/{DID}", token, json={"flow": "citas"})
    assert r.status_code == 200, r.text
    _restart_fastagi(stack, CENTRALITA_IVR_CLOCK=CLOCK)
    return {"token": token}


def _log(stack) -> str:
    from centralita.telephony.pbx import instance_paths

    paths = instance_paths(stack.settings())
    return paths.host(f"{paths.log}/messages.log").read_text(errors="replace")


PLAYED = re.compile(r"<(PJSIP/[^>]+)> Playing '([^']+)'")  # file.c (apps) and res_agi.c (STREAM FILE)


def _call(stack, digits: str, hold: float, caller: str = "61234567"):
    """A call and every file Asterisk played on its channel, in order: our prompts by name, Asterisk's
    sounds as digits/N (e.g. '/srv/…/prompts/booking-offer.slin' → booking-offer, 'digits/8.gsm' → digits/8)."""
    before = len(_log(stack))
    result = place_call(stack.settings(), DID, digits=digits, hold_seconds=hold, caller=caller, timeout=120)
    assert result.answered_ms is not None and result.call_id, result.output
    found = [m.groups() for m in PLAYED.finditer(_log(stack)[before:])]
    channel = found[0][0] if found else ""
    heard = []
    for on, played in found:
        if on == channel:
            name = os.path.splitext(played.rsplit("/", 1)[-1])[0]
            heard.append(f"digits/{name}" if "digits/" in played else name)
    return result, heard


def _said(heard: list[str], *names: str) -> bool:
    """`names` were played one right after the other (the queue's own announcements may follow)."""
    n = len(names)
    return any(tuple(heard[i : i + n]) == names for i in range(len(heard) - n + 1))


def _path(stack, token, call_id) -> str:
    def find():
        items = _api(stack, "GET", "/api/calls", token, params={"limit": 500}).json()["items"]
        return next((c for c in items if c["sip_call_id"] == call_id), None)

    found = stack.wait_for(find, 20, 0.5)
    assert found, f"no call record for {call_id}"
    return found["path"]


def _bookings(stack, token) -> list[dict]:
    r = _api(stack, "GET", "/api/booking/bookings", token, params={"service": "placas", "identity": IDENTITY})
    assert r.status_code == 200, r.text
    return r.json()


def _booked_at(stack, token, start: datetime) -> int:
    slots = _api(stack, "GET", "/api/booking/services/placas/slots", token, params={"date": "2026-12-01"}).json()
    return next(s["booked"] for s in slots if datetime.fromisoformat(s["start"]) == start)


def test_a_caller_books_by_dtmf_and_hears_the_slot_and_the_code(stack, booking):
    token = booking["token"]
    # 1 (booking), the identity and #, then 2 while the offers are said ("..., marque dos").
    call, heard = _call(stack, "1,," + IDENTITY + "#,,,,,,,2", hold=40.0)
    assert _path(stack, token, call.call_id) == "flow:citas/v1>menu:1>cita:booked>hangup"
    [stored] = _bookings(stack, token)
    assert stored["status"] == "booked" and datetime.fromisoformat(stored["start"]) == CHOSEN, stored
    code = [f"digits/{d}" for d in stored["code"]]
    assert len(code) == 6
    # The offers began with the first slot's date and time ("el martes primero de diciembre a las ocho").
    # The key may cut the offers short wherever it lands (how far they got depends on the machine's
    # load): what was heard is the start of that sentence, and reached the weekday at least.
    offer = heard.index("booking-offer")
    first_slot = [*DATE_WORDS, "digits/at", "digits/8"]
    said = heard[offer + 1 : heard.index("booking-confirmed")][: len(first_slot)]
    assert len(said) >= 2 and said == first_slot[: len(said)], heard
    # Then the confirmation: the chosen slot and the stored code, said twice, digit by digit.
    confirmed = heard[heard.index("booking-confirmed") :]
    assert confirmed == [
        "booking-confirmed",
        *DATE_WORDS,
        *TIME_WORDS,
        "booking-your-code",
        *code,
        "booking-repeat-code",
        *code,
        "goodbye",  # the flow's next: hangup
    ], heard
    assert _booked_at(stack, token, CHOSEN) == 1


def test_a_second_call_hears_the_booking_and_cancels_it(stack, booking):
    token = booking["token"]
    [before] = _bookings(stack, token)
    assert before["status"] == "booked"
    # The booking is read back; 2 pressed during the read-back cancels it.
    call, heard = _call(stack, "1,," + IDENTITY + "#,,,,,,2", hold=20.0)
    assert _path(stack, token, call.call_id) == "flow:citas/v1>menu:1>cita:cancelled>hangup"
    # As with the offers, the key cuts the read-back wherever it lands: what was heard is its start.
    readback = heard[heard.index("booking-you-have") + 1 : heard.index("booking-cancelled")]
    whole = [*DATE_WORDS, *TIME_WORDS, "booking-your-code", *[f"digits/{d}" for d in before["code"]]]
    assert len(readback) >= 2 and readback == whole[: len(readback)], heard
    [after] = _bookings(stack, token)
    assert (after["code"], after["status"]) == (before["code"], "cancelled")
    assert _booked_at(stack, token, CHOSEN) == 0  # the place is free again


def test_a_malformed_identity_is_explained_then_a_person(stack, booking):
    token = booking["token"]
    call, heard = _call(stack, "1,,123456#,,,,,123456#", hold=12.0)  # a wrong check digit, twice
    assert _path(stack, token, call.call_id) == "flow:citas/v1>menu:1>cita:invalid>queue:atencion"
    assert heard.count("booking-bad-identity") == 2 and _said(heard, "booking-bad-identity", "booking-to-agent"), heard


def test_no_free_slot_is_explained_then_a_person(stack, booking):
    token = booking["token"]
    call, heard = _call(stack, "2,," + IDENTITY + "#", hold=12.0)  # a service whose only day is closed
    assert _path(stack, token, call.call_id) == "flow:citas/v1>menu:2>cerrada:none>queue:atencion"
    assert _said(heard, "booking-none", "booking-to-agent"), heard


def test_a_service_gone_at_call_time_is_explained_then_a_person(stack, booking):
    """Renamed in the database after the flow was published (the API offers no way to do it)."""
    from sqlalchemy import create_engine, text

    engine = create_engine(stack.env["DATABASE_URL"])
    with engine.begin() as conn:
        conn.execute(text("UPDATE booking_services SET name = 'antiguo-cerrado' WHERE name = 'antiguo'"))
    engine.dispose()
    token = booking["token"]
    call, heard = _call(stack, "3", hold=8.0)
    assert _path(stack, token, call.call_id) == "flow:citas/v1>menu:3>antigua:unknown>queue:atencion"
    assert _said(heard, "booking-unknown", "booking-to-agent"), heard


def test_a_database_that_is_down_gives_the_apology_and_a_person(stack, booking):
    from centralita.telephony.sipp import free_port

    token = booking["token"]
    good = stack.env["DATABASE_URL"]
    _restart_fastagi(stack, DATABASE_URL=f"postgresql+psycopg://postgres@127.0.0.1:{free_port(1)}/none")
    try:
        before = len(_log(stack))
        call, _heard = _call(stack, "1,," + IDENTITY + "#", hold=6.0)
        log = _log(stack)[before:]
    finally:
        _restart_fastagi(stack, DATABASE_URL=good)
    assert _path(stack, token, call.call_id) == "flow:citas/v1>menu:1>cita:fail>queue:atencion"
    assert "centralita-apology" in log  # the apology is the first thing heard in the queue
    assert _bookings(stack, token)[0]["status"] == "cancelled"  # nothing new was written
