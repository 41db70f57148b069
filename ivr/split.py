"""A/B tests of flow versions: a second version takes a share of the calls beside the published one.

Assignment happens as the call enters the flow (the flow's alias context asks the FastAGI step
`ivr/split`, which only computes; when it fails the call takes the published version, so the test can
never cost a caller the IVR). Per call it is a fresh random draw; per caller it is a hash of the
caller's number salted with the test's id, so the same caller hears the same version for the whole
test and a new test reshuffles callers. The version reached is in each call's path
(`flow:demo/v2>…`), which is what the comparison reads."""

from __future__ import annotations

import hashlib
import secrets

from sqlmodel import Session, col, select

from api.audit.service import record as audit
from centralita import errors
from centralita.db import saved_id
from centralita.settings import Settings
from ivr.models import Flow, FlowSplit
from ivr.service import check, end_running_split, get_flow, get_version, publish, running_split

BY = ("call", "caller")
BUCKETS = 10_000  # shares are whole percents: 100 buckets each


def start(
    session: Session, name: str, version: int, share: int, by: str, *, user=None, settings: Settings | None = None
) -> FlowSplit:
    """Start (or replace: a new period) the flow's test. The caller commits, then reloads the dialplan."""
    flow = get_flow(session, name)
    if flow.published_version is None:
        raise errors.FieldError("version", f"flow '{name}' is not published: publish a version first")
    if not isinstance(share, int) or not 1 <= share <= 99:
        raise errors.FieldError("share", "a whole percent from 1 to 99")
    if by not in BY:
        raise errors.FieldError("by", "call or caller")
    if version == flow.published_version:
        raise errors.FieldError("version", f"version {version} is already the published one: pick another")
    try:
        row = get_version(session, flow, version)
    except errors.NotFound as exc:  # a version named in the body, not in the path: 422
        raise errors.FieldError("version", exc.message) from None
    check(session, row.definition, settings)  # its prompts and target flows must still exist
    end_running_split(session, flow, user=user, outcome="superseded")
    split = FlowSplit(
        flow_id=saved_id(flow),
        version=version,
        base_version=flow.published_version,
        share=share,
        by=by,
        started_by=getattr(user, "username", "") or "",
    )
    session.add(split)
    audit(
        session,
        "ivr.flow.split.start",
        user=user,
        target=f"flow:{name}",
        detail={"version": version, "base_version": flow.published_version, "share": share, "by": by},
    )
    session.flush()
    return split


def end(session: Session, name: str, *, user=None) -> FlowSplit:
    flow = get_flow(session, name)
    split = end_running_split(session, flow, user=user, outcome="ended")
    if split is None:
        raise errors.NotFound("name", f"flow '{name}' has no A/B test running")
    return split


def promote(session: Session, name: str, *, user=None, settings: Settings | None = None) -> FlowSplit:
    """Publish the tested version: the test ends as `promoted`, every new call gets that version."""
    flow = get_flow(session, name)
    split = running_split(session, flow)
    if split is None:
        raise errors.NotFound("name", f"flow '{name}' has no A/B test running")
    end_running_split(session, flow, user=user, outcome="promoted")
    publish(session, name, split.version, user=user, settings=settings, action="ivr.flow.split.promote")
    return split


def latest(session: Session, name: str) -> FlowSplit | None:
    """The running test, else the last one that ran (its period can still be compared)."""
    flow = get_flow(session, name)
    return session.exec(
        select(FlowSplit).where(FlowSplit.flow_id == flow.id).order_by(col(FlowSplit.started_at).desc())
    ).first()


def flow_of(session: Session, split: FlowSplit) -> Flow:
    return session.exec(select(Flow).where(Flow.id == split.flow_id)).one()


def running_by_flow(session: Session) -> dict[int, FlowSplit]:
    return {s.flow_id: s for s in session.exec(select(FlowSplit).where(col(FlowSplit.ended_at).is_(None)))}


def takes_b(by: str, share: int, caller: str, salt: str, draw=secrets.randbelow) -> bool:
    """Whether this call goes to the tested version. A caller without a usable number is drawn per call."""
    digits = "".join(ch for ch in caller if ch.isdigit())
    if by == "caller" and digits:
        bucket = int.from_bytes(hashlib.sha256(f"{salt}:{digits}".encode()).digest()[:8], "big") % BUCKETS
    else:
        bucket = draw(BUCKETS)
    return bucket < share * BUCKETS // 100


def salt(flow: Flow | str, split_id: int) -> str:
    return f"{getattr(flow, 'name', flow)}:{split_id}"
