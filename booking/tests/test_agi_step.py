"""The booking node's FastAGI step over a real socket, on SQLite and PostgreSQL, with Asterisk's side of
the AGI conversation scripted (what the caller keys, when they hang up). The clock is the IVR's injected
one (CENTRALITA_IVR_CLOCK = the booking tests' NOW, a Tuesday 07:00 in Panamá), so slots are known."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime

import pytest
from sqlmodel import Session, select

from booking import service
from booking.models import Booking, BookingHold, BookingService, BookingSlot
from booking.schemas import ExceptionIn
from booking.tests.conftest import NOW, make_service
from centralita.settings import reset_settings_cache
from centralita.telephony.fastagi import FastAgiServer

IDENTITY = "123455"  # six digits, Luhn-valid
# NOW + the service's 60 minutes' notice: the first three slots are 08:00, 09:00, 10:00 in Panamá.
FIRST = [datetime(2026, 12, 1, h, tzinfo=UTC) for h in (13, 14, 15)]


class ScriptedAsterisk:
    """Asterisk's end of one AGI session. `keys` is what the caller does, in order: a plain entry answers
    the next GET DATA ('' = silence); '!d' is key d pressed during the next playback that accepts it,
    '!d@name' during the playback of `name` ('!2@digits/2': right after hearing "marque dos"); 'hangup'
    hangs up at the next playback."""

    def __init__(self, keys: list[str]):
        self.keys, self.commands, self.variables = list(keys), [], {}

    async def call(self, port: int, script: str) -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(f"agi_network: yes\nagi_network_script: {script}\nagi_callerid: 61234567\n\n".encode())
        await writer.drain()
        while line := (await reader.readline()).decode().strip():
            self.commands.append(line)
            writer.write((self.answer(line) + "\n").encode())
            await writer.drain()
        writer.close()

    def answer(self, command: str) -> str:
        if command.startswith("GET DATA"):
            typed = self.keys.pop(0).lstrip("!") if self.keys else ""
            return f"200 result={typed}" + ("" if typed else " (timeout)")
        if command.startswith("STREAM FILE"):
            if self.keys and self.keys[0] == "hangup":
                return "200 result=-1 endpos=0"
            played, accepts = command.split(" ")[2], command.rsplit(" ", 1)[1].strip('"')
            if accepts and self.keys and self.keys[0].startswith("!"):
                key, _, at = self.keys[0][1:].partition("@")
                if key in accepts and played.endswith(at):
                    self.keys.pop(0)
                    return f"200 result={ord(key)} endpos=800"
            return "200 result=0 endpos=800"
        if command.startswith("SET VARIABLE"):
            name, value = command[len("SET VARIABLE ") :].split(" ", 1)
            self.variables[name] = value.strip('"')
            return "200 result=1"
        return "200 result=0"

    def heard(self) -> list[str]:
        """Every name played: the step's own playbacks, then what it left for the dialplan (IVR_STEP)."""
        played = [c.split(" ")[2] for c in self.commands if c.startswith(("STREAM FILE", "GET DATA"))]
        left = [f for f in self.variables.get("IVR_STEP", "").split("&") if f]
        return [p if p.startswith("digits/") else p.rsplit("/", 1)[-1] for p in played + left]


@pytest.fixture
def agi(stack_env, monkeypatch):
    """A service 'citas' (capacity 2, six-digit Luhn identities), a flow with its booking node, and a
    function that runs one scripted call through a real FastAGI server."""
    from booking.agi import register
    from centralita import db
    from ivr import service as flows

    monkeypatch.setenv("CENTRALITA_IVR_CLOCK", NOW.isoformat())
    monkeypatch.setenv("CENTRALITA_EXTERNAL_TIMEOUT", "5")
    reset_settings_cache()
    session = Session(db.get_engine())
    make_service(session, "citas", capacity=2, identity_min_digits=6, identity_max_digits=6, identity_check="luhn")
    definition = {
        "start": "cita",
        "nodes": {"cita": {"type": "booking", "service": "citas", "offer": 3, "timeout_s": 2}},
    }
    flows.save(session, "citas", definition)
    session.commit()

    def run(keys: list[str]) -> ScriptedAsterisk:
        async def main() -> ScriptedAsterisk:
            server = FastAgiServer()
            register(server)
            await server.start("127.0.0.1", 0)
            port = server._server.sockets[0].getsockname()[1]
            asterisk = ScriptedAsterisk(keys)
            await asyncio.wait_for(asterisk.call(port, "booking/ivr?node=cita&flow=citas&v=1&op=1"), 30)
            await server.stop()
            return asterisk

        result = asyncio.run(main())
        session.expire_all()
        return result

    run.session = session
    yield run
    session.close()


def _taken(session) -> dict[datetime, int]:
    rows = session.exec(select(BookingSlot)).all()
    return {(r.start if r.start.tzinfo else r.start.replace(tzinfo=UTC)): r.taken for r in rows}


def _bookings(session) -> list[Booking]:
    return list(session.exec(select(Booking).order_by(Booking.id)).all())


def test_a_caller_books_the_slot_they_chose_and_hears_it_and_the_code_twice(agi):
    call = agi([IDENTITY, "!2@digits/2"])  # the second offer, pressed as its "marque dos" is said
    assert call.variables["IVR_RESULT"] == "booked"
    [booking] = _bookings(agi.session)
    assert (booking.identity, booking.status, booking.start.replace(tzinfo=UTC)) == (IDENTITY, "booked", FIRST[1])
    # The other two offered places were given back in the same transaction; no hold is left.
    assert _taken(agi.session) == {FIRST[0]: 0, FIRST[1]: 1, FIRST[2]: 0}
    assert agi.session.exec(select(BookingHold)).all() == []
    heard = call.heard()
    offers = heard[heard.index("booking-offer") :]
    # "el martes primero de diciembre a las ocho a.m., marque uno; a las nueve a.m., marque dos; ..."
    assert offers[:12] == [
        "booking-offer",
        *("digits/es-el", "digits/day-2", "digits/h-1", "digits/es-de", "digits/mon-11"),
        *("digits/at", "digits/8", "digits/a-m", "booking-press", "digits/1"),
        "digits/at",
    ]
    code = [f"digits/{d}" for d in booking.code]
    confirmed = heard[heard.index("booking-confirmed") :]
    assert confirmed == [
        "booking-confirmed",
        *("digits/es-el", "digits/day-2", "digits/h-1", "digits/es-de", "digits/mon-11"),
        *("digits/at", "digits/9", "digits/a-m"),
        "booking-your-code",
        *code,
        "booking-repeat-code",
        *code,
    ]


def test_a_caller_with_a_booking_hears_it_and_cancels_it_and_the_place_is_free_again(agi):
    session = agi.session
    booked = service.book(session, "citas", IDENTITY, FIRST[2], NOW)
    session.commit()
    code = booked.code
    call = agi([IDENTITY, "2"])  # silence during the read-back, then 2 at "conservarla 1, cancelarla 2"
    assert call.variables["IVR_RESULT"] == "cancelled"
    heard = call.heard()
    start = heard.index("booking-you-have")
    assert heard[start + 1 : start + 10] == [
        *("digits/es-el", "digits/day-2", "digits/h-1", "digits/es-de", "digits/mon-11"),
        *("digits/at", "digits/10", "digits/a-m", "booking-your-code"),
    ]
    assert heard[start + 10 : start + 16] == [f"digits/{d}" for d in code]
    assert heard[-1] == "booking-cancelled"
    [row] = _bookings(session)
    assert row.status == "cancelled" and _taken(session)[FIRST[2]] == 0


def test_keeping_or_staying_silent_changes_nothing(agi):
    session = agi.session
    service.book(session, "citas", IDENTITY, FIRST[0], NOW)
    session.commit()
    for keys in ([IDENTITY, "!1"], [IDENTITY, "", "", ""]):
        call = agi(keys)
        assert call.variables["IVR_RESULT"] == "kept" and call.heard()[-1] == "booking-kept"
    [row] = _bookings(session)
    assert row.status == "booked" and _taken(session)[FIRST[0]] == 1


@pytest.mark.parametrize(("keys", "result"), [(["123456", "12345", "1234567"], "invalid"), (["0"], "operator")])
def test_a_malformed_identity_is_explained_and_nothing_is_held_or_stored(agi, keys, result):
    call = agi(keys)  # a wrong check digit, too short, too long (the service's own rule)
    assert call.variables["IVR_RESULT"] == result
    if result == "invalid":
        assert call.heard().count("booking-bad-identity") == 3  # twice between tries, then before the fallback
    assert _bookings(agi.session) == [] and _taken(agi.session) == {}


def test_no_free_slot_or_a_closed_window_is_explained(agi):
    session = agi.session
    svc = service.get_service(session, "citas")
    svc.days_ahead = 0  # only today, and today is closed
    session.add(svc)
    service.set_exception(session, svc, NOW.date(), ExceptionIn(closed=True))
    session.commit()
    call = agi([IDENTITY])
    assert call.variables["IVR_RESULT"] == "none" and call.heard()[-1] == "booking-none"
    assert _bookings(session) == []


def test_full_slots_are_skipped_and_9_offers_later_ones(agi):
    session = agi.session
    for identity in ("000000", "000018"):  # the 08:00 slot is full (capacity 2)
        service.book(session, "citas", identity, FIRST[0], NOW)
    session.commit()
    call = agi([IDENTITY, "!9", "!1"])
    assert call.variables["IVR_RESULT"] == "booked"
    mine = next(b for b in _bookings(session) if b.identity == IDENTITY)
    # Offered 09:00, 10:00, 11:00; 9 → 12:00, 13:00, 14:00; 1 → 12:00. Nothing else is held.
    assert mine.start.replace(tzinfo=UTC) == datetime(2026, 12, 1, 17, tzinfo=UTC)
    assert sum(_taken(session).values()) == 3 and session.exec(select(BookingHold)).all() == []


def test_no_choice_or_a_hangup_gives_the_offered_places_back(agi):
    call = agi([IDENTITY, "", "", ""])
    assert call.variables["IVR_RESULT"] == "nochoice"
    assert set(_taken(agi.session).values()) == {0}
    call = agi([IDENTITY, "hangup"])  # hangs up while the offers are said
    assert "IVR_RESULT" not in call.variables
    assert set(_taken(agi.session).values()) == {0} and agi.session.exec(select(BookingHold)).all() == []
    assert _bookings(agi.session) == []


def test_a_service_gone_at_call_time_is_explained(agi):
    session = agi.session
    svc = service.get_service(session, "citas")
    svc.name = "citas-antes"  # renamed after the flow was published
    session.add(svc)
    session.commit()
    call = agi([IDENTITY])
    assert call.variables["IVR_RESULT"] == "unknown" and call.heard() == ["booking-unknown"]


def test_a_step_slower_than_its_timeout_is_rolled_back(stack_env):
    """What the caller was not told must not be stored: work that ends after its deadline rolls back."""
    from booking.agi import _transaction
    from centralita import db

    with Session(db.get_engine()) as session:
        make_service(session, "citas")

    def add_then_stall(session: Session) -> None:
        session.add(BookingService(name="half-written", opening={}))
        session.flush()
        time.sleep(0.3)

    with pytest.raises(TimeoutError):
        _transaction(time.monotonic() + 0.1, add_then_stall)
    with Session(db.get_engine()) as session:
        assert session.exec(select(BookingService.name)).all() == ["citas"]


def test_a_database_that_is_down_sends_the_caller_to_the_fallback(agi, monkeypatch):
    """The flow is cached, the database is not there: IVR_RESULT=fail (the dialplan's apology + fallback)."""
    from centralita import db

    agi([IDENTITY, ""])  # loads the flow version into the step's cache
    with monkeypatch.context() as patched:  # undone before stack_env's teardown resets the real engine
        patched.setattr(db, "get_engine", lambda: _dead_engine())
        call = agi([IDENTITY])
    assert call.variables == {"IVR_STEP": "", "IVR_RESULT": "fail"}


def _dead_engine():
    from sqlalchemy import create_engine

    from centralita.telephony.sipp import free_port

    # Nothing listens there: connecting fails at once, as with a stopped server.
    return create_engine(f"postgresql+psycopg://postgres@127.0.0.1:{free_port(1)}/none", pool_pre_ping=True)


def test_the_identity_rule_is_the_services(agi):
    """The same rule as the API: what book() refuses, the phone refuses."""
    svc = service.get_service(agi.session, "citas")
    assert (svc.identity_min_digits, svc.identity_max_digits, svc.identity_check) == (6, 6, "luhn")
    call = agi(["123456", IDENTITY, ""])  # a bad check digit, then a good one
    assert call.heard().count("booking-bad-identity") == 1 and call.variables["IVR_RESULT"] == "nochoice"
