"""Flows, versions, publishing and DIDs: the IVR's logic, with no HTTP in it.

Every save validates and stores a new immutable version; publishing (or rolling back) moves the
flow's `published_version`; the caller commits, and only then applies the dialplan
(`centralita.telephony.apply.after_commit`), so a failed save never touches Asterisk and Asterisk never
runs a version the database does not know."""

from __future__ import annotations

import logging
from dataclasses import replace
from functools import lru_cache

from sqlalchemy import func
from sqlmodel import Session, col, select

from api.audit.service import record as audit
from centralita import errors
from centralita.db import saved_id
from centralita.settings import Settings
from centralita.telephony import channel_vars as cv
from centralita.timeutil import utcnow
from ivr import validation
from ivr.compiler import Compiler, Context, exten_lines, flow_context
from ivr.destinations import is_valid_name
from ivr.flowdef import FlowDefinition
from ivr.models import Did, Flow, FlowSplit, FlowVersion
from ivr.prompts import resolver

log = logging.getLogger("centralita.ivr")
KEEP_PUBLISHED = 5  # older published versions stay compiled so calls inside them finish normally


NotFound = errors.NotFound  # kept as a name: the CLI and other capabilities import it from here


def get_flow(session: Session, name: str) -> Flow:
    flow = session.exec(select(Flow).where(Flow.name == name)).first()
    if flow is None:
        raise NotFound("name", f"flow '{name}' not found")
    return flow


def list_flows(session: Session) -> list[Flow]:
    return list(session.exec(select(Flow).order_by(Flow.name)))


def live_definitions(session: Session) -> list[tuple[str, dict]]:
    """(flow, definition) of every version callers can reach now: the published ones and the versions of
    running A/B tests. What deleting a shared thing (a calendar, a queue) must not break."""
    out = []
    for flow in session.exec(select(Flow).where(col(Flow.published_version).is_not(None))):
        numbers = {flow.published_version}
        numbers |= set(
            session.exec(
                select(FlowSplit.version).where(FlowSplit.flow_id == flow.id, col(FlowSplit.ended_at).is_(None))
            ).all()
        )
        for row in session.exec(
            select(FlowVersion).where(FlowVersion.flow_id == flow.id, col(FlowVersion.version).in_(numbers))
        ):
            out.append((flow.name, row.definition))
    return out


def get_version(session: Session, flow: Flow, version: int) -> FlowVersion:
    row = session.exec(
        select(FlowVersion).where(FlowVersion.flow_id == flow.id, FlowVersion.version == version)
    ).first()
    if row is None:
        raise NotFound("version", f"flow '{flow.name}' has no version {version}")
    return row


def prompt_uses(session: Session) -> dict[str, list[str]]:
    """{prompt name: [flow names]}: the flows whose draft or published version names the prompt."""
    out: dict[str, set[str]] = {}
    for flow in list_flows(session):
        definitions = [flow.definition]
        if flow.published_version is not None:
            definitions.append(get_version(session, flow, flow.published_version).definition)
        for definition in definitions:
            try:
                nodes = validation.parse(definition).nodes.values()
            except validation.FlowInvalid:  # a draft that does not parse names nothing for sure
                continue
            for name in (p for node in nodes for _field, p in validation.prompts_of(node) if p):
                out.setdefault(name, set()).add(flow.name)
    return {name: sorted(flows) for name, flows in out.items()}


def list_versions(session: Session, flow: Flow) -> list[FlowVersion]:
    return list(
        session.exec(
            select(FlowVersion).where(FlowVersion.flow_id == flow.id).order_by(col(FlowVersion.version).desc())
        )
    )


def check(session: Session, definition: dict, settings: Settings | None = None) -> FlowDefinition:
    """Validate against the prompts and published flows that exist now; raises FlowInvalid."""
    prompts = resolver(session, settings)
    published = set(session.exec(select(Flow.name).where(col(Flow.published_version).is_not(None))).all())
    from booking.models import BookingService
    from ivr.calendars import shared_names

    services = set(session.exec(select(BookingService.name)).all())
    names = replace(shared_names(session), booking_service_exists=services.__contains__)
    return validation.validate(definition, prompts.exists, lambda name: name in published, names)


def save(
    session: Session, name: str, definition: dict, *, user=None, comment: str = "", settings: Settings | None = None
) -> FlowVersion:
    """Validate and store a new version (creating the flow on first save). Caller commits."""
    if not is_valid_name(name):
        raise validation.FlowInvalid(
            [validation.FlowError("", "name", "lower-case letters, digits, '-', '_' (max 32)")]
        )
    parsed = check(session, definition, settings)
    flow = session.exec(select(Flow).where(Flow.name == name)).first()
    if flow is None:
        flow = Flow(name=name, definition={})
        session.add(flow)
        session.flush()
    stored = parsed.model_dump(mode="json", exclude_defaults=False)
    last = session.exec(select(func.max(FlowVersion.version)).where(FlowVersion.flow_id == flow.id)).one() or 0
    version = FlowVersion(
        flow_id=saved_id(flow),
        version=last + 1,
        definition=stored,
        comment=comment[:200],
        created_by=getattr(user, "username", "") or "",
    )
    flow.definition, flow.updated_at = stored, utcnow()
    session.add(version)
    session.add(flow)
    audit(session, "ivr.flow.save", user=user, target=f"flow:{name}", detail={"version": version.version})
    session.flush()
    return version


def publish(
    session: Session,
    name: str,
    version: int | None = None,
    *,
    user=None,
    settings: Settings | None = None,
    action: str = "ivr.flow.publish",
) -> FlowVersion:
    """Make `version` (default: the newest) what callers get. Re-validated: a version whose prompts or
    target flows have since disappeared is refused. Caller commits, then calls `after_commit`."""
    flow = get_flow(session, name)
    if version is None:
        version = session.exec(select(func.max(FlowVersion.version)).where(FlowVersion.flow_id == flow.id)).one()
        if version is None:
            raise NotFound("name", f"flow '{name}' has no saved version")
    row = get_version(session, flow, version)
    check(session, row.definition, settings)
    # A test compares against the version published when it started: a new publish ends it.
    end_running_split(session, flow, user=user, outcome="superseded")
    row.published_at = utcnow()
    flow.published_version = row.version
    session.add(row)
    session.add(flow)
    audit(session, action, user=user, target=f"flow:{name}", detail={"version": row.version})
    session.flush()
    return row


def running_split(session: Session, flow: Flow) -> FlowSplit | None:
    return session.exec(
        select(FlowSplit).where(FlowSplit.flow_id == flow.id, col(FlowSplit.ended_at).is_(None))
    ).first()


def end_running_split(session: Session, flow: Flow, *, user=None, outcome: str) -> FlowSplit | None:
    """End the flow's running A/B test, if any (ended | promoted | superseded), audited."""
    split = running_split(session, flow)
    if split is None:
        return None
    split.ended_at, split.ended_by, split.outcome = utcnow(), getattr(user, "username", "") or "", outcome
    session.add(split)
    audit(session, "ivr.flow.split.end", user=user, target=f"flow:{flow.name}", detail={"outcome": outcome})
    session.flush()  # the running-test index must see it ended before a new test is added
    return split


def rollback(session: Session, name: str, version: int, *, user=None, settings: Settings | None = None) -> FlowVersion:
    return publish(session, name, version, user=user, settings=settings, action="ivr.flow.rollback")


def delete_flow(session: Session, name: str, *, user=None) -> None:
    flow = get_flow(session, name)
    if session.exec(select(Did).where(Did.flow_id == flow.id)).first():
        raise errors.Conflict("name", f"flow '{name}' still has DIDs; move them first")
    for row in list_versions(session, flow):
        session.delete(row)
    session.delete(flow)
    audit(session, "ivr.flow.delete", user=user, target=f"flow:{name}")


def set_did(session: Session, number: str, flow_name: str, *, user=None) -> Did:
    if not number.isdigit() or not 2 <= len(number) <= 32:
        raise errors.FieldError("number", "digits only (2-32)")
    flow = session.exec(select(Flow).where(Flow.name == flow_name)).first()
    if flow is None:  # a reference in the body, not the resource addressed: 422
        raise errors.FieldError("flow", f"flow '{flow_name}' not found")
    did = session.exec(select(Did).where(Did.number == number)).first() or Did(number=number, flow_id=saved_id(flow))
    did.flow_id = saved_id(flow)
    session.add(did)
    audit(session, "ivr.did.set", user=user, target=f"did:{number}", detail={"flow": flow_name})
    return did


def list_dids(session: Session) -> list[tuple[str, str]]:
    names = {f.id: f.name for f in session.exec(select(Flow))}
    return [(d.number, names.get(d.flow_id, "")) for d in session.exec(select(Did).order_by(Did.number))]


# -- dialplan ---------------------------------------------------------------------------------
def dialplan_contexts(session: Session, settings: Settings, modes: dict[str, dict] | None = None) -> list[Context]:
    """Every published flow's current version, plus its recent earlier ones for calls still inside.
    `modes` (flow → Compiler options) is for the benchmark's comparison flows only."""
    prompts = resolver(session)
    out: list[Context] = []
    for flow in list_flows(session):
        if flow.published_version is None:
            continue
        rows = session.exec(
            select(FlowVersion)
            .where(FlowVersion.flow_id == flow.id, col(FlowVersion.published_at).is_not(None))
            .order_by(col(FlowVersion.published_at).desc())
            .limit(KEEP_PUBLISHED)
        ).all()
        versions = {r.version: r for r in rows}
        versions.setdefault(flow.published_version, get_version(session, flow, flow.published_version))
        split = running_split(session, flow)
        if split is not None:
            versions.setdefault(split.version, get_version(session, flow, split.version))
        out.append(entry_context(flow, split))
        for number, row in sorted(versions.items()):
            parsed = FlowDefinition.model_validate(row.definition)
            out += Compiler(
                flow.name, number, parsed, prompts, settings.default_queue, **(modes or {}).get(flow.name, {})
            ).compile()
    return out


def entry_context(flow: Flow, split: FlowSplit | None) -> Context:
    """`ivr-<flow>`, where DIDs and other flows send calls: to the published version, or, while an A/B
    test runs, to the version the FastAGI step `ivr/split` picks (the published one if it fails)."""
    published = f"Goto({flow_context(flow.name, flow.published_version or 0)},s,1)"  # only published flows come here
    if split is None:
        return Context(f"ivr-{flow.name}", [f"exten => s,1,{published}"])
    query = f"flow={flow.name}&split={split.id}&share={split.share}&by={split.by}"
    tested = flow_context(flow.name, split.version)
    apps = [
        f"Set({cv.SPLIT}=)",
        f"AGI(${{FASTAGI}}/ivr/split?{query})",
        f'GotoIf($["${{AGISTATUS}}" = "SUCCESS" & "{cv.ref(cv.SPLIT)}" = "b"]?{tested},s,1)',
        published,
    ]
    return Context(f"ivr-{flow.name}", exten_lines("s", apps))


@lru_cache(maxsize=256)
def _cached_version(flow: str, version: int, url: str) -> FlowDefinition | None:
    from centralita import db

    with Session(db.get_engine()) as session:
        row = session.exec(
            select(FlowVersion)
            .join(Flow, col(Flow.id) == col(FlowVersion.flow_id))
            .where(Flow.name == flow, FlowVersion.version == version)
        ).first()
        return FlowDefinition.model_validate(row.definition) if row else None


def load_version(flow: str, version: int, url: str) -> FlowDefinition | None:
    """A version's parsed definition. Versions never change, so the FastAGI server caches them."""
    found = _cached_version(flow, version, url)
    if found is None:
        _cached_version.cache_clear()  # do not remember a miss
    return found
