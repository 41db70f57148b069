"""The `booking` node's FastAGI step (`AGI(${FASTAGI}/booking/ivr?node=…)`, compiled by ivr/compiler.py).

The caller types their identity (checked with the service's own rule); a caller with a live booking
hears it and keeps it (1) or cancels it (2); otherwise the next free slots are held and offered (keys
1..N, 9 for later dates, 0 for a person when the flow allows it), and the chosen one is booked with its
hold. The step ends by setting IVR_RESULT (the outcome the call's path records) and IVR_STEP (what is
left to say, '&'-joined files the dialplan plays after recording the outcome).

Every database step runs with the external timeout and commits only if it finished in time (else it
rolls back): the caller is told of a booking or a cancellation only when it is stored, and a failure
reaches the compiled fallback (an apology and a person), never dead air."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session

from booking import phone, service, spoken
from booking.models import BookingService
from centralita import db
from centralita.errors import Conflict, FieldError
from centralita.settings import get_settings
from centralita.telephony.fastagi import AgiCall, FastAgiServer
from ivr import hours
from ivr.agi_app import flow_node
from ivr.flowdef import BookingNode
from ivr.speech import Speaker

log = logging.getLogger("centralita.booking.ivr")
T = TypeVar("T")
ROUNDS = 4  # offers per call: the first, then up to three "9, later dates"


def register(server: FastAgiServer) -> None:
    server.add_route("booking/ivr", run_booking)


def _transaction(deadline: float, work: Callable[..., T], *args: Any) -> T:
    with Session(db.get_engine()) as session:
        out = work(session, *args)
        if time.monotonic() > deadline:  # the caller has already been sent to the fallback
            session.rollback()
            raise TimeoutError("booking step too slow: rolled back")
        session.commit()
        return out


async def _db(work: Callable[..., T], *args: Any) -> T:
    """One transaction off the event loop. It commits only inside the external timeout; the wait gives
    it a little longer to finish either way, so what the caller hears matches what is stored."""
    limit = get_settings().external_timeout
    deadline = time.monotonic() + limit
    return await asyncio.wait_for(asyncio.to_thread(_transaction, deadline, work, *args), limit + 2)


class Outcome(Exception):
    """The step's end: IVR_RESULT and the names still to say."""

    def __init__(self, result: str, say: list[str] | None = None):
        super().__init__(result)
        self.result, self.say = result, say or []


class Dialogue:
    def __init__(self, call: AgiCall, node: BookingNode, now: datetime, operator: bool):
        self.call, self.node, self.now, self.operator = call, node, now, operator
        self.speaker = Speaker(call, get_settings())
        self.held: list[phone.Held] = []

    # -- media ----------------------------------------------------------------------------------------
    async def file(self, name: str) -> str:
        if name.startswith("tts:"):
            return await self.speaker.tts(name[len("tts:") :])
        return self.speaker.path(name)

    async def play(self, names: list[str], keys: str = "") -> str:
        """Play in order; a key in `keys` stops it and is returned ('' when everything was heard)."""
        for name in names:
            result = await self.call.command(f'STREAM FILE {await self.file(name)} "{keys}"', timeout=300)
            code = result.get("result", ("0", ""))[0]
            if code.isdigit() and int(code) > 0:
                return chr(int(code))
        return ""

    async def ask(self, prompt: str, max_digits: int) -> str:
        return await self.call.get_data(await self.file(prompt), self.node.timeout_s * 1000, max_digits)

    async def files(self, names: list[str]) -> list[str]:
        return [await self.file(n) for n in names]

    # -- the dialogue ---------------------------------------------------------------------------------
    async def run(self) -> Outcome:
        node = self.node
        svc = await _db(phone.rules, node.service)
        if svc is None:
            log.warning("booking node: no service %r", node.service)
            return Outcome("unknown", ["booking-unknown"])
        zone = ZoneInfo(svc.timezone)
        identity = await self.identity(svc)
        existing = await _db(phone.active, svc.name, identity)
        if existing is not None:
            return await self.existing(svc, zone, existing)
        try:
            return await self.offers(svc, zone, identity)
        finally:
            await self.release(self.held)

    async def identity(self, svc: BookingService) -> str:
        for attempt in range(self.node.tries):
            digits = await self.ask(self.node.prompt, svc.identity_max_digits)
            if digits == "0" and self.operator and svc.identity_min_digits > 1:
                raise Outcome("operator")
            try:
                return service.check_identity(svc, digits)  # the service's own rule, as on the API
            except FieldError:
                if attempt < self.node.tries - 1:
                    await self.play(["booking-bad-identity"])
        raise Outcome("invalid", ["booking-bad-identity"])

    async def existing(self, svc: BookingService, zone: ZoneInfo, booking: phone.Existing) -> Outcome:
        keys = "12" + ("0" if self.operator else "")
        said = ["booking-you-have", *spoken.when_words(booking.start, zone), "booking-your-code"]
        choice = await self.play([*said, *spoken.code_words(booking.code)], keys)
        for _ in range(self.node.tries):
            if choice and choice in keys:
                break
            choice = await self.ask("booking-keep-or-cancel", 1)
        if choice == "0" and self.operator:
            return Outcome("operator")
        if choice != "2":  # keeping is the safe default: silence changes nothing stored
            return Outcome("kept", ["booking-kept"])
        try:
            await _db(phone.cancel, svc.name, booking, self.now)
        except Conflict:  # cancelled meanwhile (an agent, another call): it is not booked either way
            log.info("booking %s was no longer booked", booking.code)
        return Outcome("cancelled", ["booking-cancelled"])

    async def offers(self, svc: BookingService, zone: ZoneInfo, identity: str) -> Outcome:
        after = self.now - timedelta(seconds=1)
        node = self.node
        seconds = node.hold_s or get_settings().booking_hold_seconds
        for _round in range(ROUNDS):
            held = await _db(phone.offer, svc.name, identity, after, self.now, node.offer, seconds)
            self.held = held
            if not held:
                return Outcome("none", ["booking-none"])
            keys = "".join(str(k) for k in range(1, len(held) + 1)) + "9" + ("0" if self.operator else "")
            choice = await self.play(spoken.offer_words([h.start for h in held], zone), keys)
            for _ in range(node.tries):
                if choice and choice in keys:
                    break
                choice = await self.ask("booking-choose", 1)
            if not choice or choice not in keys:
                return Outcome("nochoice", ["booking-no-choice"])
            if choice == "0":
                return Outcome("operator")
            if choice == "9":
                await self.release(held)
                self.held, after = [], held[-1].start
                continue
            chosen = held[int(choice) - 1]
            others = [h.token for h in held if h is not chosen]
            try:
                code = await _db(phone.confirm, svc.name, identity, chosen, others, self.now)
            except service.BookingConflict as refused:  # rolled back: every offered place is still held
                await self.release(held)
                self.held = []
                if refused.reason == "identity_has_booking":  # booked meanwhile on another call or by an agent
                    existing = await _db(phone.active, svc.name, identity)
                    if existing is not None:
                        return await self.existing(svc, zone, existing)
                # The hold ran out and its place went to someone else: say so and offer again.
                await self.play(["booking-taken"])
                after = self.now - timedelta(seconds=1)
                continue
            self.held = []
            said = ["booking-confirmed", *spoken.when_words(chosen.start, zone), "booking-your-code"]
            return Outcome("booked", [*said, *spoken.code_words(code), "booking-repeat-code", *spoken.code_words(code)])
        return Outcome("nochoice", ["booking-no-choice"])

    async def release(self, held: list[phone.Held]) -> None:
        """Give back offered places nobody took; if that fails they come back when their hold expires."""
        if not held:
            return
        try:
            await _db(phone.release, [h.token for h in held])
        except Exception as exc:
            log.warning("holds not released (they expire by themselves): %s", exc)


async def run_booking(call: AgiCall) -> None:
    _flow, _version, node = await flow_node(call, "booking")
    settings = get_settings()
    dialogue = Dialogue(call, node, hours.now(settings.ivr_clock), call.params.get("op") == "1")
    try:
        outcome = await dialogue.run()
    except Outcome as raised:
        outcome = raised
    except (TimeoutError, OSError, SQLAlchemyError) as exc:  # the database is down or too slow
        log.warning("booking step failed: %s", exc)
        outcome = Outcome("fail")
    await call.set_variable("IVR_STEP", "&".join(await dialogue.files(outcome.say)))
    await call.set_variable("IVR_RESULT", outcome.result)
