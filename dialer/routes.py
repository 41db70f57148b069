"""Thin HTTP layer over dialer.service: campaigns, contact lists and imports, do-not-call, what-if.

Supervisors run campaigns; taking a number off the do-not-call list is for admins.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import date
from typing import Literal

from fastapi import APIRouter, Depends, File, Form, Query, Request, UploadFile
from fastapi.responses import Response
from sqlmodel import Session

from api.deps import client_of, require_admin, require_agent, require_supervisor
from api.errors import responses
from api.types import Day, Id, Offset
from api.users.models import User
from centralita.db import get_session, saved_id
from dialer import service
from dialer.errors import DialerError
from dialer.imports import import_file
from dialer.schemas import (
    AttemptOut,
    AttemptPage,
    CampaignCreate,
    CampaignOut,
    CampaignSettings,
    ContactOut,
    ContactPage,
    DispositionIn,
    DispositionOut,
    DncCreate,
    DncOut,
    DncPage,
    ImportOut,
    ImportSummary,
    ListCreate,
    ListOut,
    ListUpdate,
    WhatIfIn,
)
from dialer.whatif import WhatIf, run_whatif

router = APIRouter(prefix="/dialer", tags=["dialer"])
NOT_FOUND = responses(404)  # the campaign, list or number in the path does not exist


def _campaign_out(c) -> CampaignOut:
    return CampaignOut.model_validate(c, from_attributes=True)


def _list_out(cl, counts: dict | None = None) -> ListOut:
    return ListOut.model_validate(cl, from_attributes=True).model_copy(update={"contacts": counts or {}})


@router.get("/campaigns", response_model=list[CampaignOut], dependencies=[Depends(require_supervisor)])
def list_campaigns(session: Session = Depends(get_session)) -> list[CampaignOut]:
    return [_campaign_out(c) for c in service.list_campaigns(session)]


@router.post("/campaigns", response_model=CampaignOut, status_code=201, responses=responses(409))
def create_campaign(
    body: CampaignCreate,
    request: Request,
    user: User = Depends(require_supervisor),
    session: Session = Depends(get_session),
) -> CampaignOut:
    campaign = service.create_campaign(session, body.name, body.given(), user=user, client=client_of(request))
    session.commit()
    return _campaign_out(campaign)


@router.get(
    "/campaigns/{key}", response_model=CampaignOut, dependencies=[Depends(require_supervisor)], responses=NOT_FOUND
)
def get_campaign(key: str, session: Session = Depends(get_session)) -> CampaignOut:
    return _campaign_out(service.get_campaign(session, key))


@router.patch("/campaigns/{key}", response_model=CampaignOut, responses=responses(404, 409))
def update_campaign(
    key: str,
    body: CampaignSettings,
    request: Request,
    user: User = Depends(require_supervisor),
    session: Session = Depends(get_session),
) -> CampaignOut:
    campaign = service.update_campaign(
        session, service.get_campaign(session, key), body.given(), user=user, client=client_of(request)
    )
    session.commit()
    return _campaign_out(campaign)


# Declared before /{action}: otherwise "simulate" would be read as an unknown action.
@router.post("/campaigns/{key}/simulate", dependencies=[Depends(require_supervisor)], responses=NOT_FOUND)
def simulate_campaign(key: str, body: WhatIfIn, session: Session = Depends(get_session)) -> dict:
    """What-if: the campaign's pacing on the simulator (several seeds); nothing is dialled or stored."""
    return run_whatif(session, service.get_campaign(session, key), WhatIf(**body.model_dump()))


@router.post("/campaigns/{key}/{action}", response_model=CampaignOut, responses=responses(404, 409))
def change_state(
    key: str,
    action: Literal["start", "pause", "stop"],
    request: Request,
    user: User = Depends(require_supervisor),
    session: Session = Depends(get_session),
) -> CampaignOut:
    campaign = service.change_state(
        session, service.get_campaign(session, key), action, user=user, client=client_of(request)
    )
    session.commit()
    return _campaign_out(campaign)


@router.get("/lists", response_model=list[ListOut], dependencies=[Depends(require_supervisor)])
def list_lists(session: Session = Depends(get_session)) -> list[ListOut]:
    return [_list_out(cl, counts) for cl, counts in service.list_counts(session)]


@router.post("/lists", response_model=ListOut, status_code=201, responses=responses(404, 409))
def create_list(
    body: ListCreate,
    request: Request,
    user: User = Depends(require_supervisor),
    session: Session = Depends(get_session),
) -> ListOut:
    cl = service.create_list(
        session, body.name, campaign=body.campaign, region=body.region, user=user, client=client_of(request)
    )
    session.commit()
    return _list_out(cl)


@router.patch("/lists/{key}", response_model=ListOut, responses=NOT_FOUND)
def update_list(
    key: str,
    body: ListUpdate,
    request: Request,
    user: User = Depends(require_supervisor),
    session: Session = Depends(get_session),
) -> ListOut:
    changes = body.model_dump(exclude_unset=True)
    cl = service.update_list(
        session,
        service.get_list(session, key),
        campaign=changes.get("campaign", ...),
        active=changes.get("active"),
        user=user,
        client=client_of(request),
    )
    session.commit()
    return _list_out(cl)


@router.post("/lists/{key}/import", response_model=ImportOut, responses=NOT_FOUND)
def import_contacts(
    key: str,
    request: Request,
    file: UploadFile = File(..., description="CSV or XLSX"),
    mapping: str = Form("", description='JSON object target -> column, e.g. {"phone": "Teléfono"}'),
    encoding: str = Form("utf-8", max_length=32),
    user: User = Depends(require_supervisor),
    session: Session = Depends(get_session),
) -> ImportOut:
    """Add a file's rows to the list: every rejected row comes back with its reason; a bad file changes nothing."""
    try:
        parsed = json.loads(mapping) if mapping.strip() else None
    except json.JSONDecodeError as exc:
        raise DialerError("mapping", f"not valid JSON ({exc.msg})") from None
    if parsed is not None and not (isinstance(parsed, dict) and all(isinstance(v, str) for v in parsed.values())):
        raise DialerError("mapping", "must be a JSON object of target: column names")
    # A DialerError leaves before the commit: closing the request's session rolls everything back.
    contact_list = service.get_list(session, key)
    report = import_file(
        session,
        contact_list,
        file.file.read(),
        file.filename or "",
        parsed,
        encoding,
        user=user,
        client=client_of(request),
    )
    session.commit()
    return ImportOut(**{**asdict(report), "rejected": report.rejected})


@router.get(
    "/lists/{key}/imports",
    response_model=list[ImportSummary],
    dependencies=[Depends(require_supervisor)],
    responses=NOT_FOUND,
)
def list_imports(key: str, session: Session = Depends(get_session)) -> list[ImportSummary]:
    rows = service.list_imports(session, service.get_list(session, key))
    return [ImportSummary.model_validate(r, from_attributes=True) for r in rows]


@router.get(
    "/lists/{key}/contacts", response_model=ContactPage, dependencies=[Depends(require_supervisor)], responses=NOT_FOUND
)
def list_contacts(
    key: str,
    status: str | None = Query(None, max_length=16),
    limit: int = Query(50, ge=1, le=500),
    offset: Offset = 0,
    session: Session = Depends(get_session),
) -> ContactPage:
    total, rows = service.list_contacts(session, service.get_list(session, key), status, limit, offset)
    return ContactPage(
        total=total,
        limit=limit,
        offset=offset,
        items=[ContactOut.model_validate(r, from_attributes=True) for r in rows],
    )


@router.get("/dnc", response_model=DncPage, dependencies=[Depends(require_supervisor)])
def list_dnc(
    limit: int = Query(100, ge=1, le=1000), offset: Offset = 0, session: Session = Depends(get_session)
) -> DncPage:
    total, rows = service.list_dnc(session, limit, offset)
    return DncPage(total=total, items=[DncOut.model_validate(r, from_attributes=True) for r in rows])


@router.post("/dnc", response_model=DncOut, status_code=201, responses=responses(409))
def add_dnc(
    body: DncCreate, request: Request, user: User = Depends(require_supervisor), session: Session = Depends(get_session)
) -> DncOut:
    entry = service.add_dnc(session, body.phone, body.reason, region=body.region, user=user, client=client_of(request))
    session.commit()
    return DncOut.model_validate(entry, from_attributes=True)


@router.delete("/dnc/{phone}", status_code=204, responses=NOT_FOUND)
def remove_dnc(
    phone: str, request: Request, user: User = Depends(require_admin), session: Session = Depends(get_session)
) -> None:
    service.remove_dnc(session, phone, user=user, client=client_of(request))
    session.commit()


# Live figures, report, attempts and dispositions ---------------------------------------------------
@router.get("/campaigns/{key}/stats", dependencies=[Depends(require_supervisor)], responses=NOT_FOUND)
def campaign_stats(key: str, request: Request, session: Session = Depends(get_session)) -> dict:
    """Abandonment (rolling 24 h and cumulative), contacts left and, while the engine runs in this
    process, dial level, agents waiting and calls in progress (the `dialer.stats` event's document)."""
    from dialer.stats import campaign_stats as stats

    campaign = service.get_campaign(session, key)
    engine = getattr(getattr(request.app.state, "runtime", None), "dialer", None)
    return stats(session, saved_id(campaign), engine.figures_for(campaign.id) if engine else None)


def _report(session: Session, key: str, since: date | None, until: date | None) -> dict:
    from dialer.report import campaign_report

    return campaign_report(session, service.get_campaign(session, key), since, until)


@router.get("/campaigns/{key}/report", dependencies=[Depends(require_supervisor)], responses=NOT_FOUND)
def campaign_report(
    key: str, since: Day | None = None, until: Day | None = None, session: Session = Depends(get_session)
) -> dict:
    """Per day (campaign's time zone): attempts, answers, connects, right-party contacts,
    dispositions, abandonment; and the total."""
    return _report(session, key, since, until)


@router.get("/campaigns/{key}/report.csv", dependencies=[Depends(require_supervisor)], responses=NOT_FOUND)
def campaign_report_csv(
    key: str, since: Day | None = None, until: Day | None = None, session: Session = Depends(get_session)
) -> Response:
    from dialer.report import report_csv

    report = _report(session, key, since, until)
    return Response(
        report_csv(report),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{report["campaign"]}-report.csv"'},
    )


@router.get(
    "/campaigns/{key}/attempts",
    response_model=AttemptPage,
    dependencies=[Depends(require_supervisor)],
    responses=NOT_FOUND,
)
def list_attempts(
    key: str,
    limit: int = Query(100, ge=1, le=1000),
    offset: Offset = 0,
    session: Session = Depends(get_session),
) -> AttemptPage:
    total, rows = service.list_attempts(session, service.get_campaign(session, key), limit, offset)
    return AttemptPage(total=total, items=[AttemptOut.model_validate(r, from_attributes=True) for r in rows])


@router.post("/attempts/{attempt_id}/disposition", response_model=DispositionOut, responses=responses(403, 404, 409))
def give_disposition(
    attempt_id: Id,
    body: DispositionIn,
    request: Request,
    user: User = Depends(require_agent),
    session: Session = Depends(get_session),
) -> DispositionOut:
    """The agent of a connected call closes (any code), reschedules (`callback` + `callback_at`) or
    retries (`retry`) its contact."""
    attempt, contact = service.dispose(
        session,
        attempt_id,
        user,
        body.disposition,
        right_party=body.right_party,
        callback_at=body.callback_at,
        client=client_of(request),
    )
    session.commit()
    return DispositionOut(
        attempt=AttemptOut.model_validate(attempt, from_attributes=True),
        contact=ContactOut.model_validate(contact, from_attributes=True),
    )
