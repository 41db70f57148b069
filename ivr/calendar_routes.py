"""/api/ivr/calendars and /api/ivr/holidays: shared business hours and holiday lists. Supervisors
read, admins change; each change is audited and committed once. Logic is in ivr/calendars.py."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request
from sqlmodel import Session

from api.deps import client_of, require_admin, require_supervisor
from api.errors import responses
from centralita.db import get_session
from ivr import calendar_schemas as s
from ivr import calendars
from ivr.flowdef import CALENDAR_NAME

router = APIRouter()
Name = Annotated[str, Path(pattern=CALENDAR_NAME, max_length=64)]


# -- holiday lists ----------------------------------------------------------------------------
@router.get("/holidays", response_model=list[s.HolidayListOut], dependencies=[Depends(require_supervisor)])
def list_holiday_lists(session: Session = Depends(get_session)):
    return [calendars.holiday_list_out(r) for r in calendars.list_holiday_lists(session)]


@router.get(
    "/holidays/{name}",
    response_model=s.HolidayListOut,
    dependencies=[Depends(require_supervisor)],
    responses=responses(404),
)
def get_holiday_list(name: Name, session: Session = Depends(get_session)):
    return calendars.holiday_list_out(calendars.get_holiday_list(session, name))


@router.put("/holidays/{name}", response_model=s.HolidayListOut)
def put_holiday_list(
    body: s.HolidayListIn,
    request: Request,
    name: Name,
    session: Session = Depends(get_session),
    user=Depends(require_admin),
):
    """Create or replace the list: every flow using it sees the change on its next call (no publish)."""
    row = calendars.put_holiday_list(session, name, body, user=user, client=client_of(request))
    session.commit()
    return calendars.holiday_list_out(row)


@router.delete("/holidays/{name}", status_code=204, responses=responses(404, 409))
def delete_holiday_list(
    request: Request, name: Name, session: Session = Depends(get_session), user=Depends(require_admin)
):
    """Refused (409) while a calendar or a published flow uses it."""
    calendars.delete_holiday_list(session, name, user=user, client=client_of(request))
    session.commit()


# -- calendars --------------------------------------------------------------------------------
@router.get("/calendars", response_model=list[s.CalendarOut], dependencies=[Depends(require_supervisor)])
def list_calendars(session: Session = Depends(get_session)):
    return [calendars.calendar_out(r) for r in calendars.list_calendars(session)]


@router.get(
    "/calendars/{name}",
    response_model=s.CalendarOut,
    dependencies=[Depends(require_supervisor)],
    responses=responses(404),
)
def get_calendar(name: Name, session: Session = Depends(get_session)):
    return calendars.calendar_out(calendars.get_calendar(session, name))


@router.put("/calendars/{name}", response_model=s.CalendarOut)
def put_calendar(
    body: s.CalendarIn,
    request: Request,
    name: Name,
    session: Session = Depends(get_session),
    user=Depends(require_admin),
):
    """Create or replace the calendar; hours nodes naming it follow at once (no publish)."""
    row = calendars.put_calendar(session, name, body, user=user, client=client_of(request))
    session.commit()
    return calendars.calendar_out(row)


@router.delete("/calendars/{name}", status_code=204, responses=responses(404, 409))
def delete_calendar(request: Request, name: Name, session: Session = Depends(get_session), user=Depends(require_admin)):
    """Refused (409) while a published flow uses it."""
    calendars.delete_calendar(session, name, user=user, client=client_of(request))
    session.commit()
