"""`centralita booking ...`: services, a day's slots, booking, cancelling, moving and searching.
Errors are printed as `error: field: message` (exit 2 for bad input, 1 for a conflict or a miss)."""

from __future__ import annotations

import json
from datetime import date, datetime

import typer
from pydantic import ValidationError

from booking import service
from booking.routes import booking_out, notification_out, service_out, waitlist_out
from booking.schemas import ServiceIn
from centralita.db import session_scope
from centralita.errors import FieldError
from centralita.settings import get_settings
from centralita.timeutil import utcnow

app = typer.Typer(help="Appointments: services, slots and bookings with exact capacity.", no_args_is_help=True)
services_app = typer.Typer(help="Booking services (what is booked, when, how many per slot).", no_args_is_help=True)
app.add_typer(services_app, name="services")
waitlist_app = typer.Typer(help="People waiting for a place on a day (a freed place is booked for them).")
app.add_typer(waitlist_app, name="waitlist", no_args_is_help=True)
reminders_app = typer.Typer(help="Reminders by SMS (Kannel) and email (SMTP) before each booking.")
app.add_typer(reminders_app, name="reminders", no_args_is_help=True)


def _fail(exc: FieldError) -> typer.Exit:
    extra = ""
    if isinstance(exc, service.BookingConflict):
        extra = f" [{exc.reason}]"
    typer.echo(f"error: {exc.field}: {exc.message}{extra}", err=True)
    return typer.Exit(2 if exc.status == 422 else 1)


def _invalid(exc: ValidationError) -> typer.Exit:
    first = exc.errors()[0]
    field = ".".join(str(p) for p in first["loc"]) or "input"
    return _fail(FieldError(field, first["msg"].removeprefix("Value error, ")))


def _day(value: str, name: str = "date") -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise _fail(FieldError(name, f"'{value}' is not a YYYY-MM-DD date")) from None


def _start(value: str) -> datetime:
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise _fail(FieldError("start", f"'{value}' is not an ISO 8601 time (e.g. 2026-12-03T09:30)")) from None


def _opening(values: list[str]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for item in values:
        day, sep, spans = item.partition("=")
        if not sep:
            raise _fail(FieldError("opening", f"'{item}' is not DAY=HH:MM-HH:MM[,HH:MM-HH:MM] (e.g. mon=08:00-16:00)"))
        for d in day.split(","):
            out.setdefault(d.strip(), []).extend(s.strip() for s in spans.split(",") if s.strip())
    return out


@services_app.command("create")
def create(
    name: str,
    capacity: int = typer.Option(..., help="places per slot"),
    opening: list[str] = typer.Option(..., "--open", help="DAY=HH:MM-HH:MM (repeat; mon,tue,wed=... allowed)"),
    timezone: str = "America/Panama",
    slot_minutes: int = 60,
    days_ahead: int = 30,
    min_notice_minutes: int = 0,
    closed: list[str] = typer.Option([], "--closed", help="a holiday, YYYY-MM-DD (repeat)"),
    identity_min_digits: int = 1,
    identity_max_digits: int = 20,
    identity_check: str = typer.Option("none", help="none, luhn or mod11"),
) -> None:
    """Create a service (audited)."""
    body = {"name": name, "capacity": capacity, "opening": _opening(opening), "timezone": timezone}
    body |= {"slot_minutes": slot_minutes, "days_ahead": days_ahead, "min_notice_minutes": min_notice_minutes}
    body |= {"closed_dates": closed, "identity_min_digits": identity_min_digits}
    body |= {"identity_max_digits": identity_max_digits, "identity_check": identity_check}
    try:
        data = ServiceIn(**body)
    except ValidationError as exc:
        raise _invalid(exc) from None
    try:
        with session_scope() as session:
            row = service.create_service(session, data)
            typer.echo(service_out(row).model_dump_json())
    except FieldError as exc:
        raise _fail(exc) from None


@services_app.command("list")
def list_() -> None:
    """Every service, one JSON object per line."""
    with session_scope() as session:
        for row in service.list_services(session):
            typer.echo(service_out(row).model_dump_json())


@app.command("slots")
def slots(
    name: str, day: str = typer.Argument(..., metavar="DATE", help="YYYY-MM-DD, the service's local date")
) -> None:
    """A day's slots: start, capacity, booked (bookings and live holds)."""
    when = _day(day)
    try:
        with session_scope() as session:
            rows = service.day_slots(session, service.get_service(session, name), when, utcnow())
    except FieldError as exc:
        raise _fail(exc) from None
    typer.echo(json.dumps([{**r, "start": r["start"].isoformat()} for r in rows]))


@app.command("book")
def book(
    name: str,
    identity: str,
    start: str = typer.Argument(..., help="slot start, ISO 8601 (local if no offset)"),
    phone: str = typer.Option("", help="mobile for SMS reminders (E.164 or national)"),
    email: str = typer.Option("", help="address for email reminders"),
) -> None:
    """Book a place; prints {id, code, start}."""
    when = _start(start)
    try:
        with session_scope() as session:
            row = service.book(session, name, identity, when, utcnow(), client="cli", phone=phone, email=email)
            out = {"id": row.id, "code": row.code, "start": row.start.isoformat()}
    except FieldError as exc:
        raise _fail(exc) from None
    typer.echo(json.dumps(out))


@app.command("cancel")
def cancel(
    name: str, code: str, day: str = typer.Option("", "--date", help="YYYY-MM-DD when two days share the code")
) -> None:
    """Cancel a booking by its code (its place is free again, or given to the first on the waitlist,
    whose SMS and email are sent at once)."""
    when = _day(day) if day else None
    now = utcnow()
    try:
        with session_scope() as session:
            row = service.cancel(session, name, code, now, when, client="cli")
            out = booking_out(row, name).model_dump_json()
    except FieldError as exc:
        raise _fail(exc) from None
    typer.echo(out)
    _deliver(now)


def _deliver(now: datetime) -> None:
    from booking.notify import Deliverer
    from centralita import db

    done = Deliverer(get_settings(), db.get_engine()).deliver(now)
    if done.sent or done.failed or done.retry:
        typer.echo(json.dumps({"sent": len(done.sent), "failed": len(done.failed), "retry": len(done.retry)}), err=True)


@app.command("move")
def move(
    name: str,
    code: str,
    start: str,
    day: str = typer.Option("", "--date", help="YYYY-MM-DD when two days share the code"),
) -> None:
    """Reschedule a booking (cancel and book in one transaction)."""
    when = _start(start)
    old_day = _day(day) if day else None
    try:
        with session_scope() as session:
            row = service.move(session, name, code, when, utcnow(), old_day, client="cli")
            out = {"id": row.id, "code": row.code, "start": row.start.isoformat()}
    except FieldError as exc:
        raise _fail(exc) from None
    typer.echo(json.dumps(out))


@app.command("find")
def find(
    name: str,
    code: str = typer.Option("", help="confirmation code"),
    identity: str = typer.Option("", help="the identity's digits"),
    day: str = typer.Option("", "--date", help="YYYY-MM-DD"),
) -> None:
    """Bookings by code or identity, newest first, one JSON object per line."""
    when = _day(day) if day else None
    try:
        with session_scope() as session:
            rows = [booking_out(r, name).model_dump_json() for r in service.find(session, name, code, identity, when)]
    except FieldError as exc:
        raise _fail(exc) from None
    for line in rows:
        typer.echo(line)


@waitlist_app.command("add")
def waitlist_add(
    name: str,
    day: str = typer.Argument(..., metavar="DATE", help="YYYY-MM-DD, the day they want"),
    identity: str = typer.Argument(...),
    phone: str = typer.Option("", help="mobile for the SMS when a place is booked for them"),
    email: str = typer.Option("", help="address for the email when a place is booked for them"),
) -> None:
    """Put someone on a day's waitlist; prints their entry and position."""
    when = _day(day)
    try:
        with session_scope() as session:
            row = service.waitlist_add(session, name, when, identity, phone, email, client="cli")
            session.flush()
            out = waitlist_out(row, len(service.waitlist(session, name, when))).model_dump_json()
    except FieldError as exc:
        raise _fail(exc) from None
    typer.echo(out)


@waitlist_app.command("list")
def waitlist_list(name: str, day: str = typer.Argument(..., metavar="DATE")) -> None:
    """A day's waitlist in order, one JSON object per line (status booked: a place was given)."""
    when = _day(day)
    try:
        with session_scope() as session:
            rows = [
                waitlist_out(r, i).model_dump_json() for i, r in enumerate(service.waitlist(session, name, when), 1)
            ]
    except FieldError as exc:
        raise _fail(exc) from None
    for line in rows:
        typer.echo(line)


@reminders_app.command("run")
def reminders_run(
    now: str = typer.Option("", help="a fixed 'now' (ISO 8601 with offset), for rehearsals and tests"),
) -> None:
    """Queue the reminders due now (CENTRALITA_BOOKING_REMINDER_OFFSETS) and send every waiting message;
    prints {queued, sent, failed, retry}. Safe to run at any time, or twice at once: nothing goes out twice."""
    from booking.runtime import run_once

    when = utcnow()
    if now:
        when = _start(now)
        if when.tzinfo is None:
            raise _fail(FieldError("now", "give an offset (e.g. 2026-12-01T12:00:00+00:00)"))
    typer.echo(json.dumps(run_once(get_settings(), when)))


@app.command("notifications")
def notifications(
    name: str,
    code: str = typer.Option("", help="a booking's code"),
    day: str = typer.Option("", "--date", help="YYYY-MM-DD: every booking of that day (or the code's day)"),
) -> None:
    """The SMS and emails of a booking or a day, with their delivery state, one JSON object per line."""
    when = _day(day) if day else None
    try:
        with session_scope() as session:
            rows = [
                notification_out(n, b).model_dump_json() for n, b in service.notifications(session, name, code, when)
            ]
    except FieldError as exc:
        raise _fail(exc) from None
    for line in rows:
        typer.echo(line)
