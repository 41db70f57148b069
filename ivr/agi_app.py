"""FastAGI scripts of the IVR: the dynamic steps compiled flows call (`AGI(${FASTAGI}/ivr/<step>?node=…)`).

Each script sets IVR_RESULT for the dialplan to branch on. Anything slow (database, HTTP) runs with a
timeout; if a script fails, Asterisk sees AGISTATUS ≠ SUCCESS and the compiled fallback takes over."""

from __future__ import annotations

import asyncio
import json
import logging
import time

import httpx
from sqlmodel import Session, select

from centralita import db
from centralita.phones import caller_e164
from centralita.settings import get_settings
from centralita.telephony import channel_vars as cv
from centralita.telephony.fastagi import AgiCall, FastAgiServer
from ivr import calendars, callers, hours, lookup, split
from ivr.flowdef import is_nps_question
from ivr.models import HoursOverride, SurveyAnswer
from ivr.service import load_version
from ivr.speech import Speaker

log = logging.getLogger("centralita.ivr")


def build_server() -> FastAgiServer:
    """The FastAGI server with every capability's scripts (`<capability>/agi.py: register(server)`)."""
    from centralita.capabilities import contributions

    server = FastAgiServer()
    register(server)
    for _name, module in contributions("agi"):
        module.register(server)
    return server


def register(server: FastAgiServer) -> None:
    server.add_route("ivr/lookup", run_lookup)
    server.add_route("ivr/hours", run_hours)
    server.add_route("ivr/identify", run_identify)
    server.add_route("ivr/survey", run_survey)
    server.add_route("ivr/split", run_split)


async def _db(fn, *args):
    """Database work off the event loop, bounded by the external timeout."""
    return await asyncio.wait_for(asyncio.to_thread(fn, *args), get_settings().external_timeout)


async def flow_node(call: AgiCall, kind: str):
    """(flow, version, node) of the step a compiled flow called; other capabilities' steps use it too."""
    flow, version = call.params.get("flow"), call.params.get("v")
    if not flow or not version:  # dialplan compiled before flow and version rode in the URL
        flow, version = await call.get_variable("IVR_FLOW"), await call.get_variable("IVR_VERSION")
    definition = await _db(load_version, flow, int(version or 0), get_settings().sqlalchemy_url)
    node = definition.nodes.get(call.params.get("node", "")) if definition else None
    if node is None or node.type != kind:
        raise LookupError(f"{flow} v{version}: no {kind} node {call.params.get('node')!r}")
    return flow, int(version), node


_client: httpx.AsyncClient | None = None


def http_client() -> httpx.AsyncClient:
    """One pooled client per server: no connection setup per call (the lookup is on every call's path)."""
    global _client
    if _client is None:
        _client = httpx.AsyncClient(limits=httpx.Limits(max_connections=200, max_keepalive_connections=50))
    return _client


class StepClock:
    """How long a step works on its own (database, HTTP, decisions), leaving out the time spent playing
    to and listening to the caller: the figure the benchmark's agi_p50/p99 report."""

    def __init__(self):
        self.started, self.media = time.perf_counter(), 0.0

    async def media_call(self, awaitable):
        began = time.perf_counter()
        try:
            return await awaitable
        finally:
            self.media += time.perf_counter() - began

    def own_ms(self) -> str:
        return f"{(time.perf_counter() - self.started - self.media) * 1000:.1f}"


async def run_lookup(call: AgiCall) -> None:
    clock = StepClock()
    _flow, _version, node = await flow_node(call, "lookup")
    speaker = Speaker(call, get_settings())
    result, digits, found = await _lookup_steps(call, node, speaker, clock)
    # One round trip for everything the dialplan needs: it branches on the result (fail → apology +
    # fallback), appends the digits to CENTRALITA_DIGITS and hands what was found to the queue.
    await call.set_variable("IVR_STEP", f"{result}|{digits}|{clock.own_ms()}|{found}")


async def _lookup_steps(call: AgiCall, node, speaker: Speaker, clock: StepClock) -> tuple[str, str, str]:
    digits = ""
    for attempt in range(node.tries):
        digits = await clock.media_call(call.get_data(speaker.path(node.prompt), 5000, node.max_digits))
        if lookup.digits_ok(node, digits):
            break
        if attempt < node.tries - 1:
            await clock.media_call(call.stream_file(speaker.path("invalid")))
    else:
        return "invalid", "", ""
    try:
        data = await lookup.fetch(http_client(), node, digits, call.caller)
    except lookup.LookupFailed as exc:
        log.warning("lookup %s failed: %s", node.url, exc)
        return "fail", digits, ""
    if not lookup.found(node, data):
        if node.not_found_prompt:
            await clock.media_call(call.stream_file(speaker.path(node.not_found_prompt)))
        return "notfound", digits, ""
    said = lookup.plan(node, data)
    found = json.dumps({s.kind: s.value for s in said}, default=str, ensure_ascii=False)[:400]
    for item in said:
        await clock.media_call(speaker.say(item))
    return "ok", digits, found


def _override(flow: str, node: str) -> str | None:
    with Session(db.get_engine()) as session:
        row = session.exec(select(HoursOverride).where(HoursOverride.flow == flow, HoursOverride.node == node)).first()
        return row.state if row else None


def _load_shared() -> hours.Shared:
    with Session(db.get_engine()) as session:
        return calendars.snapshot(session)


_shared = calendars.SharedCache()  # one per FastAGI server: a changed holiday applies within its ttl


async def _shared_calendars() -> hours.Shared | None:
    """The shared calendars and lists; on a database failure the last copy (or None: see ivr/hours.py)."""
    if (fresh := _shared.fresh()) is not None:
        return fresh
    try:
        return _shared.put(await _db(_load_shared))
    except Exception as exc:  # any failure (or the timeout) means "use what we have"
        return _shared.failed(exc)


async def run_hours(call: AgiCall) -> None:
    flow, _version, node = await flow_node(call, "hours")
    override = await _db(_override, flow, call.params["node"])
    shared = await _shared_calendars() if hours.uses_shared(node) else None
    is_open = hours.is_open(node, hours.now(get_settings().ivr_clock), override, shared)
    await call.set_variable("IVR_RESULT", "open" if is_open else "closed")


def _identify(raw: str, region: str):
    with Session(db.get_engine()) as session:
        e164 = caller_e164(raw, region)
        contact = callers.find_contact(session, e164)
        return e164, (contact.id, contact.name, contact.national_id) if contact else None


async def run_identify(call: AgiCall) -> None:
    settings = get_settings()
    e164, contact = await _db(_identify, call.caller, settings.default_region)
    # Inherited (__) so the queue, the agent's channel and the call record all see who called.
    await call.set_variable(cv.inherited(cv.CALLER), e164)
    await call.set_variable(cv.inherited(cv.CONTACT), str(contact[0]) if contact else "")
    await call.set_variable(cv.inherited(cv.CONTACT_NAME), contact[1] if contact else "")
    await call.set_variable("IVR_RESULT", "known" if contact else "unknown")
    await _announce(
        settings,
        "ivr.caller_identified",
        {
            "channel": call.channel,
            "uniqueid": call.headers.get("agi_uniqueid", ""),
            "caller": e164,
            "contact_id": contact[0] if contact else None,
            "contact_name": contact[1] if contact else "",
        },
    )


async def run_split(call: AgiCall) -> None:
    """Which version of a flow under an A/B test this call takes: pure computation from the URL's
    parameters (no database), so it answers as fast as Asterisk asks."""
    p = call.params
    chosen = split.takes_b(
        p.get("by", "call"), int(p.get("share", "0")), call.caller, split.salt(p["flow"], int(p["split"]))
    )
    await call.set_variable(cv.SPLIT, "b" if chosen else "a")


_redis = None


async def _announce(settings, event: str, data: dict) -> None:
    """Publish on the bus with one client per server (it reconnects by itself after Redis restarts)."""
    global _redis
    from centralita import bus

    if _redis is None:
        _redis = bus.connect(settings)
    try:
        await asyncio.wait_for(bus.publish(_redis, event, data), settings.external_timeout)
    except Exception as exc:
        log.debug("event %s not published: %s", event, exc)


def _store_answers(rows: list[SurveyAnswer]) -> None:
    with db.session_scope() as session:
        for row in rows:
            session.add(row)


CSAT_ANSWERS = {str(n) for n in range(1, 6)}
NPS_ANSWERS = {str(n) for n in range(11)}


async def run_survey(call: AgiCall) -> None:
    flow, version, node = await flow_node(call, "survey")
    speaker = Speaker(call, get_settings())
    meta = {
        name: await call.get_variable(var)
        for name, var in (("linkedid", "CHANNEL(linkedid)"), ("agent", "MEMBERNAME"), ("queue", cv.QUEUE))
    }
    rows = []
    for number, question in enumerate(node.questions, start=1):
        answer = ""
        valid, digits = (NPS_ANSWERS, 2) if is_nps_question(question) else (CSAT_ANSWERS, 1)
        for _ in range(2):  # one retry for an answer outside the scale
            answer = await call.get_data(speaker.path(question), node.timeout_s * 1000, digits)
            if answer in valid:
                break
            answer = ""
        if answer:
            rows.append(
                SurveyAnswer(
                    linkedid=meta["linkedid"],
                    flow=flow,
                    version=version,
                    question=number,
                    answer=int(answer),
                    agent=meta["agent"],
                    queue=meta["queue"],
                    caller=call.caller,
                )
            )
        # Stored after every answer: a caller who hangs up halfway still counts.
        if rows:
            await _db(_store_answers, rows)
            rows = []
    await call.set_variable("IVR_RESULT", "done")
