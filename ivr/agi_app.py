"""FastAGI scripts of the IVR. Asterisk runs `AGI(${FASTAGI}/ivr/entry)` for every inbound call."""
from __future__ import annotations

import asyncio
import logging

from sqlmodel import Session

from centralita import db
from centralita.settings import get_settings
from centralita.telephony.fastagi import AgiCall, FastAgiServer
from ivr.service import SYSTEM_PROMPTS, Route, destination, load_flow

log = logging.getLogger("centralita.ivr")


def build_server() -> FastAgiServer:
    """The FastAGI server with every capability's scripts (`<capability>/agi.py: register(server)`)."""
    from centralita.capabilities import contributions

    server = FastAgiServer()
    server.add_route("ivr/entry", entry)
    for _name, module in contributions("agi"):
        module.register(server)
    return server


async def _prompt(call: AgiCall, name: str) -> str:
    if name in SYSTEM_PROMPTS:
        return f"{await call.get_variable('PROMPTS')}/{name}"
    return name


async def entry(call: AgiCall) -> None:
    settings = get_settings()
    flow_name = await call.get_variable("CENTRALITA_FLOW")

    def read_flow():
        with Session(db.get_engine()) as session:
            return load_flow(session, flow_name)

    try:
        flow = await asyncio.wait_for(asyncio.to_thread(read_flow), settings.external_timeout)
    except Exception:  # database trouble: straight to a person, never silence
        log.exception("flow lookup failed")
        flow = None
    route = Route(queue=settings.default_queue, path=[f"flow:{flow_name}" if flow else "no-flow"])
    await _save_path(call, route)
    if flow:
        route = await run_menu(call, flow, route, settings.default_queue)
    route.path.append(f"{route.kind}:{route.queue}" if route.kind == "queue" else route.kind)
    await call.set_variable("CENTRALITA_QUEUE", route.queue)
    await call.set_variable("CENTRALITA_ROUTE", route.kind)
    await call.set_variable("__CENTRALITA_DIGITS", route.digits)
    await _save_path(call, route)


async def _save_path(call: AgiCall, route: Route) -> None:
    """Written after every step, so a caller who hangs up mid-menu still leaves their path."""
    await call.set_variable("CDR(path)", ">".join(route.path)[:250])


async def run_menu(call: AgiCall, flow: dict, route: Route, default_queue: str) -> Route:
    tries = int(flow.get("max_tries", 2))
    prompt = await _prompt(call, flow["prompt"])
    for _ in range(tries):
        digit = await call.get_data(prompt, int(flow.get("timeout_ms", 5000)), 1)
        route.digits += digit
        option = flow["options"].get(digit) if digit else None
        if option:
            route.path.append(f"menu:{digit}")
            route.kind, route.queue = destination(option, default_queue)
            return route
        route.path.append("menu:timeout" if not digit else f"menu:invalid:{digit}")
        await _save_path(call, route)
        if digit:
            await call.stream_file(await _prompt(call, "invalid"))
    route.kind, route.queue = destination(flow.get("default", {}), default_queue)
    return route
