"""/api/ivr/...: flows (CRUD, validate, publish, rollback, versions, simulate, export, metrics), DIDs,
prompts, contacts, survey answers, and the demo self-service integration. Thin: logic is in services."""

from __future__ import annotations

import hmac

import yaml
from fastapi import APIRouter, Depends, File, Form, Query, Request, Response, UploadFile
from fastapi.concurrency import run_in_threadpool
from sqlmodel import Session, col, select

from api.deps import client_of, current_user, oauth2_scheme, require_admin, require_agent, require_supervisor
from api.errors import responses
from api.types import DB_INT_MAX, Id
from centralita.db import get_session
from centralita.errors import FieldError, NotFound
from centralita.settings import Settings, get_settings
from centralita.telephony.apply import after_commit
from ivr import demo_integration, metrics, service, split_compare
from ivr import schemas as s
from ivr import split as ab
from ivr.models import Contact, FlowVersion, HoursOverride, Prompt, SurveyAnswer
from ivr.validation import FlowInvalid

router = APIRouter(prefix="/ivr", tags=["ivr"])
NOT_FOUND = responses(404)  # a flow (or its version) named in the path does not exist


def _flow(session: Session, name: str):
    return service.get_flow(session, name)


def _summary(session: Session, flow) -> dict:
    versions = service.list_versions(session, flow)
    return {
        "name": flow.name,
        "published_version": flow.published_version,
        "latest_version": versions[0].version if versions else None,
        "updated_at": flow.updated_at,
    }


# -- flows ------------------------------------------------------------------------------------
@router.get("/flows", response_model=list[s.FlowSummary], dependencies=[Depends(require_supervisor)])
def list_flows(session: Session = Depends(get_session)):
    return [_summary(session, f) for f in service.list_flows(session)]


@router.get("/flows/{name}", response_model=s.FlowOut, dependencies=[Depends(require_supervisor)], responses=NOT_FOUND)
def get_flow(name: str, session: Session = Depends(get_session)):
    flow = _flow(session, name)
    return {**_summary(session, flow), "definition": flow.definition}


@router.put("/flows/{name}", response_model=s.VersionOut, status_code=201)
def save_flow(name: str, body: s.FlowIn, session: Session = Depends(get_session), user=Depends(require_admin)):
    """Validate and store a new version (not yet published)."""
    version = service.save(session, name, body.definition, user=user, comment=body.comment, settings=get_settings())
    session.commit()
    return version


@router.post("/flows/{name}/validate", response_model=s.ValidationOut, dependencies=[Depends(require_admin)])
def validate_flow(name: str, body: s.FlowIn, session: Session = Depends(get_session)):
    try:
        service.check(session, body.definition, get_settings())
    except FlowInvalid as exc:
        return {"valid": False, "errors": [e.as_dict() for e in exc.errors]}
    return {"valid": True, "errors": []}


def _published(session: Session, name: str, row: FlowVersion, settings: Settings) -> dict:
    session.commit()  # the dialplan changes only once the database has the new state
    reloaded = after_commit(settings, {"dialplan"}).reloaded
    return {"flow": name, "published_version": row.version, "dialplan_reloaded": reloaded}


@router.post("/flows/{name}/publish", response_model=s.PublishOut, responses=NOT_FOUND)
def publish_flow(name: str, body: s.PublishIn, session: Session = Depends(get_session), user=Depends(require_admin)):
    settings = get_settings()
    row = service.publish(session, name, body.version, user=user, settings=settings)
    return _published(session, name, row, settings)


@router.post("/flows/{name}/rollback", response_model=s.PublishOut, responses=NOT_FOUND)
def rollback_flow(name: str, body: s.RollbackIn, session: Session = Depends(get_session), user=Depends(require_admin)):
    settings = get_settings()
    row = service.rollback(session, name, body.version, user=user, settings=settings)
    return _published(session, name, row, settings)


@router.get(
    "/flows/{name}/versions",
    response_model=list[s.VersionOut],
    dependencies=[Depends(require_supervisor)],
    responses=NOT_FOUND,
)
def list_versions(name: str, session: Session = Depends(get_session)):
    return [
        s.VersionOut.model_validate(v, from_attributes=True).model_copy(update={"definition": None})
        for v in service.list_versions(session, _flow(session, name))
    ]


@router.get(
    "/flows/{name}/versions/{version}",
    response_model=s.VersionOut,
    dependencies=[Depends(require_supervisor)],
    responses=NOT_FOUND,
)
def get_version(name: str, version: Id, session: Session = Depends(get_session)):
    return service.get_version(session, _flow(session, name), version)


@router.get("/flows/{name}/export", dependencies=[Depends(require_supervisor)], responses=NOT_FOUND)
def export_flow(
    name: str,
    format: str = Query("json", pattern="^(json|yaml)$"),
    version: int | None = Query(None, ge=1, le=DB_INT_MAX),
    session: Session = Depends(get_session),
):
    flow = _flow(session, name)
    definition = flow.definition if version is None else service.get_version(session, flow, version).definition
    if format == "yaml":
        return Response(yaml.safe_dump(definition, allow_unicode=True, sort_keys=False), media_type="application/yaml")
    return definition


@router.delete("/flows/{name}", status_code=204, responses=responses(404, 409))
def delete_flow(name: str, session: Session = Depends(get_session), user=Depends(require_admin)):
    service.delete_flow(session, name, user=user)
    session.commit()
    after_commit(get_settings(), {"dialplan"})


@router.post(
    "/flows/{name}/simulate",
    response_model=s.SimulateOut,
    dependencies=[Depends(require_supervisor)],
    responses=NOT_FOUND,
)
def simulate_flow(name: str, body: s.SimulateIn, session: Session = Depends(get_session)):
    from ivr.simulation_runner import run_simulation

    walk = run_simulation(
        session,
        name,
        body.digits,
        at=body.at,
        version=body.version,
        known_caller=body.known_caller,
        lookups=body.lookups,
    )
    return {"path": walk.path_text, "outcome": walk.outcome, "said": walk.said}


# -- A/B tests --------------------------------------------------------------------------------
def _split_out(session: Session, split, reloaded: bool | None = None) -> dict:
    return {**split.model_dump(), "flow": ab.flow_of(session, split).name, "dialplan_reloaded": reloaded}


def _split_applied(session: Session, split) -> dict:
    session.commit()  # the dialplan changes only once the database has the new state
    session.refresh(split)
    return _split_out(session, split, after_commit(get_settings(), {"dialplan"}).reloaded)


@router.put("/flows/{name}/split", response_model=s.SplitOut, responses=NOT_FOUND)
def start_split(name: str, body: s.SplitIn, session: Session = Depends(get_session), user=Depends(require_admin)):
    """Start an A/B test (a running one is replaced: its period ends here)."""
    split = ab.start(session, name, body.version, body.share, body.by, user=user, settings=get_settings())
    return _split_applied(session, split)


@router.delete("/flows/{name}/split", response_model=s.SplitOut, responses=NOT_FOUND)
def end_split(name: str, session: Session = Depends(get_session), user=Depends(require_admin)):
    """End the test: every new call takes the published version again."""
    return _split_applied(session, ab.end(session, name, user=user))


@router.post("/flows/{name}/split/promote", response_model=s.SplitOut, responses=NOT_FOUND)
def promote_split(name: str, session: Session = Depends(get_session), user=Depends(require_admin)):
    """Publish the tested version and end the test."""
    return _split_applied(session, ab.promote(session, name, user=user, settings=get_settings()))


@router.get("/flows/{name}/split", dependencies=[Depends(require_supervisor)], responses=NOT_FOUND)
def split_comparison(name: str, session: Session = Depends(get_session)):
    """The running test (else the last one) compared over its period: figures, B − A with 95 % intervals."""
    split = ab.latest(session, name)
    if split is None:
        raise NotFound("name", f"flow '{name}' has had no A/B test")
    return split_compare.compare(session, split)


@router.get("/flows/{name}/metrics", dependencies=[Depends(require_supervisor)], responses=NOT_FOUND)
def flow_metrics(name: str, session: Session = Depends(get_session)):
    _flow(session, name)
    return {"flow": name, "versions": metrics.version_metrics(session, name)}


@router.put("/flows/{name}/hours/{node}", responses=NOT_FOUND)
def set_hours_override(
    name: str,
    node: str,
    body: s.OverrideIn,
    request: Request,
    session: Session = Depends(get_session),
    user=Depends(require_supervisor),
):
    """Open or close now (e.g. an emergency), or back to the schedule: applies to the next caller."""
    from api.audit.service import record as audit

    flow = _flow(session, name)
    if (flow.definition.get("nodes", {}).get(node) or {}).get("type") != "hours":
        raise FieldError("node", f"'{node}' is not an hours node of flow '{name}'")
    row = session.exec(select(HoursOverride).where(HoursOverride.flow == name, HoursOverride.node == node)).first()
    if body.state == "auto":
        if row:
            session.delete(row)
    else:
        row = row or HoursOverride(flow=name, node=node, state=body.state)
        row.state, row.set_by = body.state, getattr(user, "username", "")
        session.add(row)
    audit(
        session,
        "ivr.hours.override",
        user=user,
        target=f"flow:{name}/{node}",
        detail={"state": body.state},
        client=client_of(request),
    )
    session.commit()
    return {"flow": name, "node": node, "state": body.state}


# -- DIDs -------------------------------------------------------------------------------------
@router.get("/dids", dependencies=[Depends(require_supervisor)])
def list_dids(session: Session = Depends(get_session)):
    return [{"number": n, "flow": f} for n, f in service.list_dids(session)]


@router.put("/dids/{number}")
def set_did(number: str, body: s.DidIn, session: Session = Depends(get_session), user=Depends(require_admin)):
    service.set_did(session, number, body.flow, user=user)
    session.commit()
    reloaded = after_commit(get_settings(), {"dialplan"}).reloaded
    return {"number": number, "flow": body.flow, "dialplan_reloaded": reloaded}


# -- prompts ----------------------------------------------------------------------------------
@router.get("/prompts", response_model=list[s.PromptOut], dependencies=[Depends(require_supervisor)])
def list_prompts(session: Session = Depends(get_session)):
    return list(session.exec(select(Prompt).order_by(Prompt.name)))


def _save_prompt(session: Session, user, **kwargs) -> Prompt:
    from ivr.prompts import save_audited

    prompt = save_audited(session, user=user, **kwargs)
    session.commit()
    after_commit(get_settings(), {"dialplan"})  # the file must be in Asterisk's prompt directory before a flow uses it
    return prompt


@router.post("/prompts", response_model=s.PromptOut, status_code=201)
def create_tts_prompt(body: s.PromptIn, session: Session = Depends(get_session), user=Depends(require_admin)):
    """Text spoken by the built-in TTS engine (espeak-ng, Spanish voice by default)."""
    return _save_prompt(session, user, name=body.name, text=body.text, language=body.language)


@router.post("/prompts/upload", response_model=s.PromptOut, status_code=201)
async def upload_prompt(
    name: str = Form(...),
    audio: UploadFile = File(...),
    session: Session = Depends(get_session),
    user=Depends(require_admin),
):
    data = await audio.read()
    return await run_in_threadpool(
        _save_prompt, session, user, name=name, audio=data, filename=audio.filename or "upload.wav"
    )


# -- contacts and surveys ---------------------------------------------------------------------
@router.get("/contacts", response_model=list[s.ContactOut], dependencies=[Depends(require_supervisor)])
def list_contacts(session: Session = Depends(get_session), limit: int = Query(100, ge=1, le=1000)):
    return list(session.exec(select(Contact).order_by(col(Contact.id)).limit(limit)))


@router.post("/contacts", response_model=s.ContactOut, status_code=201, dependencies=[Depends(require_admin)])
def save_contact(body: s.ContactIn, session: Session = Depends(get_session)):
    from ivr.callers import save_contact as save

    contact = save(session, body.phone, get_settings().default_region, body.name, body.national_id, body.note)
    session.commit()
    return contact


@router.get("/surveys", response_model=list[s.SurveyAnswerOut], dependencies=[Depends(require_supervisor)])
def list_survey_answers(
    linkedid: str | None = Query(None, max_length=64),
    flow: str | None = Query(None, max_length=64),
    limit: int = Query(100, ge=1, le=1000),
    session: Session = Depends(get_session),
):
    query = select(SurveyAnswer)
    if linkedid:
        query = query.where(SurveyAnswer.linkedid == linkedid)
    if flow:
        query = query.where(SurveyAnswer.flow == flow)
    return list(session.exec(query.order_by(col(SurveyAnswer.id).desc()).limit(limit)))


# -- the demo integration ---------------------------------------------------------------------
def integration_caller(
    request: Request, token: str | None = Depends(oauth2_scheme), session: Session = Depends(get_session)
):
    """The demo flow's key (see demo_integration.integration_key), or any signed-in agent."""
    if token and hmac.compare_digest(token, demo_integration.integration_key(get_settings())):
        return "integration"
    return require_agent(current_user(request, token, session))


@router.get("/demo/taxpayers/{number}", dependencies=[Depends(integration_caller)], responses=responses(401))
def demo_taxpayer(number: str):
    return demo_integration.taxpayer(number)


@router.get("/demo/cases/{number}", dependencies=[Depends(integration_caller)], responses=responses(401))
def demo_case(number: str):
    return demo_integration.case(number)


@router.get("/demo/accounts/{national_id}", dependencies=[Depends(integration_caller)], responses=responses(401))
def demo_account(national_id: str):
    return demo_integration.account(national_id)


def _include_calendars() -> None:
    from ivr.calendar_routes import router as calendar_router

    router.include_router(calendar_router)


_include_calendars()
