"""Booking over HTTP: services are admin's; slots, bookings, holds and the waitlist agent and up.

A booking is named by its code, which is unique per service and day: routes take `service` (and, when
two days share a code, `date`) as query parameters, e.g. `DELETE /api/booking/bookings/482913?service=placas`.
"""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, Depends, Query, Request
from sqlmodel import Session

from api.deps import client_of, require_admin, require_agent, require_supervisor
from api.errors import responses
from api.users.models import User
from booking import service
from booking.models import Booking, BookingNotification, BookingService
from booking.schemas import (
    BookingCreated,
    BookingIn,
    BookingOut,
    ExceptionIn,
    HoldIn,
    HoldOut,
    MoveIn,
    NotificationOut,
    ReminderRunOut,
    ServiceIn,
    ServiceOut,
    SlotOut,
    StatusIn,
    WaitlistIn,
    WaitlistOut,
)
from centralita.db import get_session, saved_id
from centralita.settings import get_settings
from centralita.timeutil import utcnow

router = APIRouter(tags=["booking"])


def service_out(row: BookingService) -> ServiceOut:
    return ServiceOut(
        id=saved_id(row),
        name=row.name,
        timezone=row.timezone,
        slot_minutes=row.slot_minutes,
        capacity=row.capacity,
        opening=dict(row.opening),
        days_ahead=row.days_ahead,
        min_notice_minutes=row.min_notice_minutes,
        closed_dates=list(row.closed_dates),
        identity_min_digits=row.identity_min_digits,
        identity_max_digits=row.identity_max_digits,
        identity_check=row.identity_check,
    )


def booking_out(row: Booking, service_name: str) -> BookingOut:
    return BookingOut(
        id=saved_id(row),
        service=service_name,
        code=row.code,
        day=row.day,
        start=row.start,
        identity=row.identity,
        status=row.status,
        moved_from=row.moved_from,
        phone=row.phone,
        email=row.email,
    )


@router.post("/booking/services", status_code=201, response_model=ServiceOut, responses=responses(409))
def create_service(
    body: ServiceIn,
    request: Request,
    user: User = Depends(require_admin),
    session: Session = Depends(get_session),
) -> ServiceOut:
    row = service.create_service(session, body, user, client_of(request))
    session.commit()
    return service_out(row)


@router.get("/booking/services", response_model=list[ServiceOut])
def list_services(_user: User = Depends(require_agent), session: Session = Depends(get_session)) -> list[ServiceOut]:
    return [service_out(r) for r in service.list_services(session)]


@router.put("/booking/services/{name}/exceptions/{day}", responses=responses(404, 409))
def set_exception(
    name: str,
    day: date,
    body: ExceptionIn,
    request: Request,
    user: User = Depends(require_admin),
    session: Session = Depends(get_session),
) -> dict:
    row = service.set_exception(session, service.get_service(session, name), day, body, user, client_of(request))
    session.commit()
    return {"service": name, "date": row.day, "closed": row.closed, "capacity": row.capacity}


@router.get("/booking/services/{name}/slots", response_model=list[SlotOut], responses=responses(404))
def slots(
    name: str,
    day: date = Query(alias="date"),
    _user: User = Depends(require_agent),
    session: Session = Depends(get_session),
) -> list[SlotOut]:
    rows = service.day_slots(session, service.get_service(session, name), day, utcnow())
    return [SlotOut(**r) for r in rows]


@router.post("/booking/holds", status_code=201, response_model=HoldOut, responses=responses(404, 409))
def create_hold(body: HoldIn, _user: User = Depends(require_agent), session: Session = Depends(get_session)) -> HoldOut:
    seconds = get_settings().booking_hold_seconds
    row = service.hold(session, body.service, body.start, utcnow(), seconds, body.identity)
    session.commit()
    start = service.slot_start(session, row.slot_id)
    return HoldOut(token=row.token, start=start, expires_at=row.expires_at)


@router.post("/booking/bookings", status_code=201, response_model=BookingCreated, responses=responses(404, 409))
def create_booking(
    body: BookingIn,
    request: Request,
    user: User = Depends(require_agent),
    session: Session = Depends(get_session),
) -> BookingCreated:
    row = service.book(
        session,
        body.service,
        body.identity,
        body.start,
        utcnow(),
        user,
        body.hold,
        client_of(request),
        phone=body.phone,
        email=body.email,
    )
    session.commit()
    return BookingCreated(id=saved_id(row), code=row.code, start=row.start)


@router.get("/booking/bookings", response_model=list[BookingOut], responses=responses(404))
def search(
    service_name: str = Query(alias="service"),
    code: str | None = None,
    identity: str | None = None,
    day: date | None = Query(None, alias="date"),
    _user: User = Depends(require_agent),
    session: Session = Depends(get_session),
) -> list[BookingOut]:
    return [booking_out(r, service_name) for r in service.find(session, service_name, code, identity, day)]


@router.delete("/booking/bookings/{code}", response_model=BookingOut, responses=responses(404, 409))
def cancel(
    code: str,
    request: Request,
    service_name: str = Query(alias="service"),
    day: date | None = Query(None, alias="date"),
    user: User = Depends(require_agent),
    session: Session = Depends(get_session),
) -> BookingOut:
    row = service.cancel(session, service_name, code, utcnow(), day, user, client_of(request))
    session.commit()
    return booking_out(row, service_name)


@router.post(
    "/booking/bookings/{code}/move", status_code=201, response_model=BookingCreated, responses=responses(404, 409)
)
def move(
    code: str,
    body: MoveIn,
    request: Request,
    service_name: str = Query(alias="service"),
    day: date | None = Query(None, alias="date"),
    user: User = Depends(require_agent),
    session: Session = Depends(get_session),
) -> BookingCreated:
    row = service.move(session, service_name, code, body.start, utcnow(), day, user, client_of(request))
    session.commit()
    return BookingCreated(id=saved_id(row), code=row.code, start=row.start)


@router.post("/booking/bookings/{code}/status", response_model=BookingOut, responses=responses(404, 409))
def set_status(
    code: str,
    body: StatusIn,
    request: Request,
    service_name: str = Query(alias="service"),
    day: date | None = Query(None, alias="date"),
    user: User = Depends(require_agent),
    session: Session = Depends(get_session),
) -> BookingOut:
    row = service.set_status(session, service_name, code, body.status, utcnow(), day, user, client_of(request))
    session.commit()
    return booking_out(row, service_name)


@router.post("/booking/waitlist", status_code=201, response_model=WaitlistOut, responses=responses(404, 409))
def waitlist_add(
    body: WaitlistIn,
    request: Request,
    user: User = Depends(require_agent),
    session: Session = Depends(get_session),
) -> WaitlistOut:
    row = service.waitlist_add(
        session, body.service, body.date, body.identity, body.phone, body.email, user, client_of(request)
    )
    session.commit()
    position = len(service.waitlist(session, body.service, body.date))
    return waitlist_out(row, position)


@router.get("/booking/waitlist", response_model=list[WaitlistOut], responses=responses(404))
def waitlist(
    service_name: str = Query(alias="service"),
    day: date = Query(alias="date"),
    _user: User = Depends(require_agent),
    session: Session = Depends(get_session),
) -> list[WaitlistOut]:
    return [waitlist_out(r, i) for i, r in enumerate(service.waitlist(session, service_name, day), 1)]


def waitlist_out(row, position: int) -> WaitlistOut:
    return WaitlistOut(
        id=saved_id(row),
        position=position,
        date=row.day,
        identity=row.identity,
        phone=row.phone,
        email=row.email,
        created_at=row.created_at,
        status=row.status,
        booking_id=row.booking_id,
    )


def notification_out(row: BookingNotification, booking: Booking) -> NotificationOut:
    return NotificationOut(
        id=saved_id(row),
        booking_id=row.booking_id,
        code=booking.code,
        kind=row.kind,
        offset_minutes=row.offset_minutes,
        channel=row.channel,
        recipient=row.recipient,
        status=row.status,
        attempts=row.attempts,
        error=row.error,
        created_at=row.created_at,
        sent_at=row.sent_at,
    )


@router.get("/booking/notifications", response_model=list[NotificationOut], responses=responses(404))
def notifications(
    service_name: str = Query(alias="service"),
    code: str | None = None,
    day: date | None = Query(None, alias="date"),
    _user: User = Depends(require_agent),
    session: Session = Depends(get_session),
) -> list[NotificationOut]:
    """The SMS and emails of one booking (`code`) or of a day's bookings, with their delivery state."""
    return [notification_out(n, b) for n, b in service.notifications(session, service_name, code, day)]


@router.post("/booking/reminders/run", response_model=ReminderRunOut)
def run_reminders(_user: User = Depends(require_supervisor)) -> ReminderRunOut:
    """Queue the reminders due now and deliver every waiting message (what the API's tick does)."""
    from booking.runtime import run_once

    return ReminderRunOut(**run_once(get_settings(), utcnow()))
