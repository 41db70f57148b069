"""`simulate` with the database: which version, the runtime hours overrides, the shared calendars and
holiday lists, real or no lookups."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, select

from centralita.errors import FieldError
from centralita.settings import get_settings
from ivr import calendars, hours, service
from ivr.flowdef import FlowDefinition
from ivr.models import HoursOverride
from ivr.simulate import Walk, http_fetch, simulate


def run_simulation(
    session: Session,
    name: str,
    digits: list[str],
    *,
    at: datetime | None = None,
    version: int | None = None,
    known_caller: bool = False,
    lookups: bool = True,
) -> Walk:
    flow = service.get_flow(session, name)
    rows = service.list_versions(session, flow)
    if not rows:
        raise service.NotFound("name", f"flow '{name}' has no saved version")
    row = rows[0] if version is None else service.get_version(session, flow, version)
    overrides = {o.node: o.state for o in session.exec(select(HoursOverride).where(HoursOverride.flow == name))}
    for d in digits:
        if any(c not in "0123456789*#" for c in d):
            raise FieldError("digits", f"'{d}' is not DTMF (0-9, * and #)")
    settings = get_settings()
    moment = at if at is not None else hours.now(settings.ivr_clock)
    if moment.tzinfo is None:
        moment = hours.parse_clock(moment.isoformat())
    return simulate(
        name,
        row.version,
        FlowDefinition.model_validate(row.definition),
        digits,
        at=moment,
        default_queue=settings.default_queue,
        overrides=overrides,
        known_caller=known_caller,
        fetch=http_fetch() if lookups else (lambda node, digits: {}),
        shared=calendars.snapshot(session),  # read now, as a call would (after its short cache)
    )
