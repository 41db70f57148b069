"""Booking logic (no HTTP). The service adds and audits; the caller commits once, and a raised error
leaves the caller to roll back, so nothing is half-written (a refused move keeps the old booking).

Capacity is decided by the database: `_take()` is one conditional UPDATE on the slot's counter
(rowcount 1 = the place is ours) under CHECK (taken <= capacity); the identity rule is a partial
UNIQUE index. Reads before them only give earlier, friendlier answers; they never decide.
"""

from __future__ import annotations

import secrets
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import delete, func, text, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from api.audit import service as audit
from booking import notify
from booking import slots as slotlib
from booking.models import (
    Booking,
    BookingException,
    BookingHold,
    BookingNotification,
    BookingService,
    BookingSlot,
    BookingWaitlist,
)
from booking.schemas import ExceptionIn, ServiceIn
from centralita.db import dialect_insert, saved_id
from centralita.errors import Conflict, FieldError, NotFound
from ivr.lookup import check_digit_ok


class BookingConflict(Conflict):
    """409 with a machine-readable `reason` (full, identity_has_booking, ...) and the next free slot."""

    def __init__(self, field: str, reason: str, message: str, next_free: datetime | None = None, **extra: Any):
        super().__init__(field, message)
        self.reason, self.next_free, self.extra = reason, next_free, extra

    def details(self) -> list[dict]:
        item = super().details()[0]
        item |= {"reason": self.reason, "next_free": self.next_free.isoformat() if self.next_free else None}
        return [item | self.extra]


def _table(model: Any) -> Any:
    return model.__table__  # SQLModel sets it on table models; mypy cannot see it


SLOTS, HOLDS, BOOKINGS = _table(BookingSlot), _table(BookingHold), _table(Booking)
WAITLIST = _table(BookingWaitlist)


def zone(service: BookingService) -> ZoneInfo:
    return ZoneInfo(service.timezone)


# ---------------------------------------------------------------- services


def create_service(session: Session, data: ServiceIn, user: Any = None, client: str = "") -> BookingService:
    if data.identity_min_digits > data.identity_max_digits:
        raise FieldError("identity_min_digits", "must not exceed identity_max_digits")
    if session.exec(select(BookingService.id).where(BookingService.name == data.name)).first() is not None:
        raise Conflict("name", f"a service named '{data.name}' exists")
    row = BookingService(
        **data.model_dump(exclude={"closed_dates", "opening"}),
        opening={k: list(v) for k, v in data.opening.items() if v},
        closed_dates=sorted({d.isoformat() for d in data.closed_dates}),
    )
    session.add(row)
    session.flush()
    audit.record(session, "booking.service.create", user=user, target=row.name, detail=data.model_dump(mode="json"))
    return row


def list_services(session: Session) -> list[BookingService]:
    return list(session.exec(select(BookingService).order_by(col(BookingService.name))).all())


def get_service(session: Session, name: str) -> BookingService:
    row = session.exec(select(BookingService).where(BookingService.name == name)).first()
    if row is None:
        raise NotFound("service", f"no booking service '{name}'")
    return row


def set_exception(
    session: Session, service: BookingService, day: date, data: ExceptionIn, user: Any = None, client: str = ""
) -> BookingException:
    """Close a date or give it another capacity per slot; slots already counted follow (the CHECK refuses
    a capacity below what is already taken)."""
    if data.capacity is None and not data.closed:
        raise FieldError("capacity", "give a capacity per slot, or closed: true")
    key = day.isoformat()
    sid = saved_id(service)
    row = session.exec(
        select(BookingException).where(BookingException.service_id == sid, BookingException.day == key)
    ).first()
    row = row or BookingException(service_id=sid, day=key)
    row.closed, row.capacity = data.closed, data.capacity
    session.add(row)
    if data.closed:
        active = session.exec(
            select(func.count()).where(Booking.service_id == sid, Booking.day == key, Booking.status == "booked")
        ).one()
        if active:
            raise Conflict("closed", f"{active} bookings on {key}: cancel or move them first")
    elif data.capacity is not None:
        busy = session.exec(
            select(func.max(BookingSlot.taken)).where(BookingSlot.service_id == sid, BookingSlot.day == key)
        ).one()
        if busy is not None and busy > data.capacity:
            raise Conflict("capacity", f"a slot on {key} already has {busy} places taken")
        session.execute(
            update(SLOTS).where(SLOTS.c.service_id == sid, SLOTS.c.day == key).values(capacity=data.capacity)
        )
    session.flush()
    audit.record(
        session,
        "booking.exception.set",
        user=user,
        target=f"{service.name}/{key}",
        detail=data.model_dump(),
        client=client,
    )
    return row


def _exception(session: Session, service: BookingService, key: str) -> BookingException | None:
    return session.exec(
        select(BookingException).where(BookingException.service_id == saved_id(service), BookingException.day == key)
    ).first()


def _day_plan(session: Session, service: BookingService, day: date) -> tuple[list[datetime], int]:
    """(starts, capacity per slot) of a local date; no starts when it is closed."""
    key = day.isoformat()
    exc = _exception(session, service, key)
    if key in service.closed_dates or (exc is not None and exc.closed):
        return [], 0
    capacity = exc.capacity if exc is not None and exc.capacity is not None else service.capacity
    return slotlib.day_starts(service.opening, day, service.slot_minutes, zone(service)), capacity


# ---------------------------------------------------------------- slots


def _counts(session: Session, sid: int, since: datetime, until: datetime, now: datetime) -> dict[datetime, tuple]:
    """start → (capacity, places taken by bookings and live holds) of the counted slots in [since, until]."""
    rows = session.exec(
        select(BookingSlot.id, BookingSlot.start, BookingSlot.capacity, BookingSlot.taken).where(
            BookingSlot.service_id == sid, col(BookingSlot.start) >= since, col(BookingSlot.start) <= until
        )
    ).all()
    if not rows:
        return {}
    expired: dict[int | None, int] = dict(
        session.exec(
            select(BookingHold.slot_id, func.count())
            .join(BookingSlot, col(BookingSlot.id) == col(BookingHold.slot_id))
            .where(
                BookingSlot.service_id == sid,
                col(BookingSlot.start) >= since,
                col(BookingSlot.start) <= until,
                col(BookingHold.expires_at) <= now,
            )
            .group_by(col(BookingHold.slot_id))
        ).all()
    )
    return {start.astimezone(UTC): (cap, taken - expired.get(sid_, 0)) for sid_, start, cap, taken in rows}


def day_slots(session: Session, service: BookingService, day: date, now: datetime) -> list[dict]:
    """[{start, capacity, booked}] of a local date; `booked` counts bookings and live holds."""
    starts, capacity = _day_plan(session, service, day)
    if not starts:
        return []
    counted = _counts(session, saved_id(service), starts[0], starts[-1], now)
    out = []
    for start in starts:
        cap, taken = counted.get(start, (capacity, 0))
        out.append({"start": start, "capacity": cap, "booked": taken})
    return out


def next_free(session: Session, service: BookingService, after: datetime, now: datetime) -> datetime | None:
    """The first slot later than `after` with a free place, inside the booking window."""
    tz = zone(service)
    earliest = max(after + timedelta(seconds=1), now + timedelta(minutes=service.min_notice_minutes))
    day, last = slotlib.local_day(earliest, tz), slotlib.last_day(now, tz, service.days_ahead)
    while day <= last:
        starts, capacity = _day_plan(session, service, day)
        starts = [s for s in starts if s >= earliest]
        if starts:
            counted = _counts(session, saved_id(service), starts[0], starts[-1], now)
            for start in starts:
                cap, taken = counted.get(start, (capacity, 0))
                if taken < cap:
                    return start
        day += timedelta(days=1)
    return None


def _aware(start: datetime, service: BookingService) -> datetime:
    try:
        utc = (start if start.tzinfo else start.replace(tzinfo=zone(service))).astimezone(UTC)
        utc.astimezone(zone(service))  # and it has a local time there
        return utc
    except OverflowError:
        raise FieldError("start", "out of range") from None


def check_start(session: Session, service: BookingService, start: datetime, now: datetime) -> tuple[datetime, int]:
    """(UTC start, capacity) of a bookable slot, or a FieldError on `start` saying why not."""
    tz = zone(service)
    start = _aware(start, service)
    local = start.astimezone(tz)
    if start < now:
        raise FieldError("start", f"{local.isoformat()} is in the past")
    if start < now + timedelta(minutes=service.min_notice_minutes):
        raise FieldError("start", f"needs {service.min_notice_minutes} minutes' notice")
    last = slotlib.last_day(now, tz, service.days_ahead)
    if local.date() > last:
        raise FieldError("start", f"outside the booking window (the last bookable day is {last.isoformat()})")
    starts, capacity = _day_plan(session, service, local.date())
    if not starts:
        raise FieldError("start", f"{local.date().isoformat()} is a closed day")
    if start not in starts:
        first = starts[0].astimezone(tz).strftime("%H:%M")
        raise FieldError(
            "start", f"{local.strftime('%H:%M')} is not a slot start (slots of {service.slot_minutes} min from {first})"
        )
    return start, capacity


def check_identity(service: BookingService, identity: str) -> str:
    identity = identity.strip()
    if not identity.isdigit():
        raise FieldError("identity", "digits only")
    if not service.identity_min_digits <= len(identity) <= service.identity_max_digits:
        span = f"{service.identity_min_digits}..{service.identity_max_digits}"
        raise FieldError("identity", f"{len(identity)} digits; this service takes {span}")
    if not check_digit_ok(identity, service.identity_check):
        raise FieldError("identity", f"the check digit is wrong ({service.identity_check})")
    return identity


# ---------------------------------------------------------------- the counter


def _patient(session: Session) -> None:
    """SQLite has one writer at a time: a booking waits its turn (up to 30 s) rather than fail with
    'database is locked' after the 5 s every other write accepts. PostgreSQL waits on the row itself."""
    if session.get_bind().dialect.name == "sqlite":
        session.execute(text("PRAGMA busy_timeout = 30000"))


def _slot_id(session: Session, service: BookingService, start: datetime, capacity: int) -> int:
    """The counter row of a slot, created on first use (INSERT ... ON CONFLICT DO NOTHING: racing
    creators end with one row)."""
    sid = saved_id(service)
    _patient(session)
    stmt = dialect_insert(session)(SLOTS).values(
        service_id=sid, start=start, day=slotlib.local_day(start, zone(service)).isoformat(), capacity=capacity, taken=0
    )
    session.execute(stmt.on_conflict_do_nothing(index_elements=["service_id", "start"]))
    return session.execute(select(SLOTS.c.id).where(SLOTS.c.service_id == sid, SLOTS.c.start == start)).scalar_one()


def _increment(session: Session, slot_id: int) -> bool:
    result = session.execute(
        update(SLOTS).where(SLOTS.c.id == slot_id, SLOTS.c.taken < SLOTS.c.capacity).values(taken=SLOTS.c.taken + 1)
    )
    return result.rowcount == 1  # type: ignore[attr-defined]


def _take(session: Session, slot_id: int, now: datetime) -> bool:
    """Take one place of the slot. When it looks full, expired holds on it are reclaimed first (each
    deleted by exactly one transaction, which gives its place back), then one more try."""
    if _increment(session, slot_id):
        return True
    freed = session.execute(delete(HOLDS).where(HOLDS.c.slot_id == slot_id, HOLDS.c.expires_at <= now)).rowcount  # type: ignore[attr-defined]
    if freed:
        session.execute(update(SLOTS).where(SLOTS.c.id == slot_id).values(taken=SLOTS.c.taken - freed))
        return _increment(session, slot_id)
    return False


def _release(session: Session, slot_id: int) -> None:
    session.execute(update(SLOTS).where(SLOTS.c.id == slot_id, SLOTS.c.taken > 0).values(taken=SLOTS.c.taken - 1))


def _active(session: Session, service: BookingService, identity: str) -> Booking | None:
    return session.exec(
        select(Booking).where(
            Booking.service_id == saved_id(service), Booking.identity == identity, Booking.status == "booked"
        )
    ).first()


def _identity_conflict(existing: Booking) -> BookingConflict:
    return BookingConflict(
        "identity",
        "identity_has_booking",
        f"this identity already has booking {existing.code} at {existing.start.isoformat()}",
        code=existing.code,
        start=existing.start.isoformat(),
    )


def _full(session: Session, service: BookingService, start: datetime, now: datetime) -> BookingConflict:
    nxt = next_free(session, service, start, now)
    said = (
        f"; the next free slot is {nxt.astimezone(zone(service)).isoformat()}"
        if nxt
        else "; no free slot in the window"
    )
    return BookingConflict("start", "full", f"the slot is full{said}", nxt)


def _code() -> str:
    return str(100_000 + secrets.randbelow(900_000))  # six digits, never a leading zero: easy to say


# ---------------------------------------------------------------- bookings


def hold(
    session: Session, service_name: str, start: datetime, now: datetime, seconds: float, identity: str = ""
) -> BookingHold:
    """Keep a place for `seconds` while a caller is offered it (it counts against capacity)."""
    service = get_service(session, service_name)
    if identity:
        identity = check_identity(service, identity)
    start, capacity = check_start(session, service, start, now)
    slot_id = _slot_id(session, service, start, capacity)
    if not _take(session, slot_id, now):
        raise _full(session, service, start, now)
    row = BookingHold(
        slot_id=slot_id, token=secrets.token_hex(12), identity=identity, expires_at=now + timedelta(seconds=seconds)
    )
    session.add(row)
    session.flush()
    return row


def release_hold(session: Session, token: str) -> bool:
    """Give back the place of a hold nobody took (a caller chose another slot or hung up). Deleting the
    row decides, as in `_take`: of a release and a reclaim of the same expired hold, exactly one gives
    the place back. False when it was already gone."""
    slot_id = session.exec(select(BookingHold.slot_id).where(BookingHold.token == token)).first()
    if slot_id is None:
        return False
    if session.execute(delete(HOLDS).where(HOLDS.c.token == token)).rowcount != 1:  # type: ignore[attr-defined]
        return False
    _release(session, slot_id)
    return True


def book(
    session: Session,
    service_name: str,
    identity: str,
    start: datetime,
    now: datetime,
    user: Any = None,
    hold_token: str | None = None,
    client: str = "",
    moved_from: Booking | None = None,
    phone: str = "",
    email: str = "",
) -> Booking:
    """`phone` (E.164 or national in settings.default_region) and `email` are where reminders go."""
    service = get_service(session, service_name)
    identity = check_identity(service, identity)
    start, capacity = check_start(session, service, start, now)
    phone, email = notify.contact(phone, email)
    existing = _active(session, service, identity)
    if existing is not None:
        raise _identity_conflict(existing)
    slot_id = _slot_id(session, service, start, capacity)
    held = False
    if hold_token:
        hold_row = session.exec(select(BookingHold).where(BookingHold.token == hold_token)).first()
        if hold_row is not None and hold_row.slot_id != slot_id:
            raise FieldError("hold", "this hold is for another slot")
        # Deleting the hold turns its place into the booking's; 0 rows: it expired and was reclaimed.
        held = session.execute(delete(HOLDS).where(HOLDS.c.token == hold_token)).rowcount == 1  # type: ignore[attr-defined]
    if not held and not _take(session, slot_id, now):
        raise _full(session, service, start, now)
    day = slotlib.local_day(start, zone(service)).isoformat()
    for _attempt in range(8):
        row = Booking(
            service_id=saved_id(service),
            slot_id=slot_id,
            start=start,
            day=day,
            code=_code(),
            identity=identity,
            created_at=now,
            updated_at=now,
            moved_from=moved_from.id if moved_from else None,
            phone=phone,
            email=email,
        )
        try:
            with session.begin_nested():  # a clash rolls back this INSERT only
                session.add(row)
        except IntegrityError:
            existing = _active(session, service, identity)
            if existing is not None:  # a concurrent booking of the same identity committed first
                raise _identity_conflict(existing) from None
            continue  # the code was taken that day: draw another
        break
    else:
        raise Conflict("code", "no free confirmation code for that day")
    detail = {"service": service.name, "identity": identity, "start": start.isoformat(), "code": row.code}
    if moved_from is not None:
        detail["moved_from"] = moved_from.code
    audit.record(
        session, "booking.book", user=user, target=f"{service.name}/{day}/{row.code}", detail=detail, client=client
    )
    return row


def find(
    session: Session, service_name: str, code: str | None = None, identity: str | None = None, day: date | None = None
) -> list[Booking]:
    service = get_service(session, service_name)
    if not code and not identity:
        raise FieldError("code", "give a code or an identity to search")
    query = select(Booking).where(Booking.service_id == saved_id(service))
    if code:
        query = query.where(Booking.code == code)
    if identity:
        query = query.where(Booking.identity == identity)
    if day:
        query = query.where(Booking.day == day.isoformat())
    return list(session.exec(query.order_by(col(Booking.start).desc(), col(Booking.id).desc())).all())


def by_code(session: Session, service_name: str, code: str, day: date | None = None) -> Booking:
    """A booking by its code: the code is unique per service and day, so with no `day` it is the
    active booking with that code (the date is asked for when two days share it)."""
    rows = find(session, service_name, code=code, day=day)
    if not day:
        rows = [r for r in rows if r.status == "booked"] or rows
    if not rows:
        raise NotFound("code", f"no booking {code}" + (f" on {day.isoformat()}" if day else ""))
    if len(rows) > 1:
        raise FieldError("date", f"{len(rows)} bookings have code {code}: give the date (YYYY-MM-DD)")
    return rows[0]


def _must_be_booked(row: Booking) -> None:
    if row.status != "booked":
        raise BookingConflict("code", "not_booked", f"booking {row.code} is {row.status}")


def cancel(
    session: Session,
    service_name: str,
    code: str,
    now: datetime,
    day: date | None = None,
    user: Any = None,
    client: str = "",
) -> Booking:
    """Cancel a booking; its place goes to the first person waiting for that day, if any (see
    offer_freed_place), in the same transaction — their SMS and email go out after the commit."""
    row = by_code(session, service_name, code, day)
    _must_be_booked(row)
    row.status, row.updated_at = "cancelled", now
    session.add(row)
    session.flush()  # the identity is free again before a move books the new slot
    _release(session, row.slot_id)
    audit.record(session, "booking.cancel", user=user, target=f"{service_name}/{row.day}/{row.code}", client=client)
    offer_freed_place(session, get_service(session, service_name), row, now)
    return row


def move(
    session: Session,
    service_name: str,
    code: str,
    start: datetime,
    now: datetime,
    day: date | None = None,
    user: Any = None,
    client: str = "",
) -> Booking:
    """Reschedule: cancel and book in one transaction; when the new slot is refused the caller rolls
    back and the old booking stands."""
    old = by_code(session, service_name, code, day)
    _must_be_booked(old)
    service = get_service(session, service_name)
    check_start(session, service, start, now)  # before touching the old booking: the clearer error
    cancel(session, service_name, code, now, day=date.fromisoformat(old.day), user=user, client=client)
    return book(session, service_name, old.identity, start, now, user=user, client=client, moved_from=old)


def set_status(
    session: Session,
    service_name: str,
    code: str,
    status: str,
    now: datetime,
    day: date | None = None,
    user: Any = None,
    client: str = "",
) -> Booking:
    """attended or no_show (the place stays used: it is not given back)."""
    if status not in ("attended", "no_show"):
        raise FieldError("status", "attended or no_show")
    row = by_code(session, service_name, code, day)
    _must_be_booked(row)
    row.status, row.updated_at = status, now
    session.add(row)
    session.flush()
    audit.record(session, f"booking.{status}", user=user, target=f"{service_name}/{row.day}/{row.code}", client=client)
    return row


# ---------------------------------------------------------------- waitlist


def waitlist_add(
    session: Session,
    service_name: str,
    day: date,
    identity: str,
    phone: str = "",
    email: str = "",
    user: Any = None,
    client: str = "",
) -> BookingWaitlist:
    service = get_service(session, service_name)
    identity = check_identity(service, identity)
    phone, email = notify.contact(phone, email)
    key = day.isoformat()
    clash = session.exec(
        select(BookingWaitlist.id).where(
            BookingWaitlist.service_id == saved_id(service),
            BookingWaitlist.day == key,
            BookingWaitlist.identity == identity,
        )
    ).first()
    if clash is not None:
        raise Conflict("identity", f"already on the waitlist of {key}")
    row = BookingWaitlist(service_id=saved_id(service), day=key, identity=identity, phone=phone, email=email)
    session.add(row)
    session.flush()
    audit.record(
        session,
        "booking.waitlist.add",
        user=user,
        target=f"{service.name}/{key}",
        detail={"identity": identity},
        client=client,
    )
    return row


def waitlist(session: Session, service_name: str, day: date) -> list[BookingWaitlist]:
    service = get_service(session, service_name)
    return list(
        session.exec(
            select(BookingWaitlist)
            .where(BookingWaitlist.service_id == saved_id(service), BookingWaitlist.day == day.isoformat())
            .order_by(col(BookingWaitlist.id))
        ).all()
    )


def slot_start(session: Session, slot_id: int) -> datetime:
    slot = session.get(BookingSlot, slot_id)
    if slot is None:
        raise NotFound("slot", f"no slot {slot_id}")
    return slot.start


def offer_freed_place(session: Session, service: BookingService, freed: Booking, now: datetime) -> Booking | None:
    """The place `freed` gave back goes to the first person still waiting for that service and day:
    booked for them outright, at that slot, with their phone and email, and an SMS and an email queued.

    Why booked outright rather than held until they accept: they asked for any place that day, and
    acceptance would need a channel back from them (an SMS reply, a link) that a phone-first service
    cannot count on; a place held for someone who never answers is a place nobody gets. Waitlists that
    notify everyone at once and let the fastest book reward whoever reads first, not who asked first.
    The person can cancel with the code they receive, which passes the place on again.

    Skipped: the canceller themselves (a move), people who meanwhile hold a booking of this service
    (one active booking per identity). Nothing is offered when the slot can no longer be booked (in the
    past or inside the minimum notice). Each try runs in a savepoint, so a refused one changes nothing."""
    waiting = session.exec(
        select(BookingWaitlist)
        .where(
            BookingWaitlist.service_id == saved_id(service),
            BookingWaitlist.day == freed.day,
            BookingWaitlist.status == "waiting",
            BookingWaitlist.identity != freed.identity,
        )
        .order_by(col(BookingWaitlist.id))
    ).all()
    for entry in waiting:
        try:
            with session.begin_nested():
                given = book(
                    session, service.name, entry.identity, freed.start, now, client="waitlist",
                    phone=entry.phone, email=entry.email,
                )  # fmt: skip
                # Conditional: of two cancellations racing for the same person, one gives them a place.
                taken = session.execute(
                    update(WAITLIST)
                    .where(WAITLIST.c.id == entry.id, WAITLIST.c.status == "waiting")
                    .values(status="booked", booking_id=saved_id(given))
                )
                if taken.rowcount != 1:  # type: ignore[attr-defined]
                    raise Conflict("waitlist", "already given a place")
        except BookingConflict as exc:
            if exc.reason == "identity_has_booking":
                continue
            return None  # full again (cannot happen inside this transaction, but never over capacity)
        except Conflict:
            continue
        except FieldError as exc:
            if exc.field == "start":
                return None  # the slot is no longer bookable (past, minimum notice): nobody gets it
            continue  # a contact stored before contacts were checked: the next person
        audit.record(
            session,
            "booking.waitlist.given",
            target=f"{service.name}/{given.day}/{given.code}",
            detail={"identity": entry.identity, "freed": freed.code, "start": given.start.isoformat()},
            client="waitlist",
        )
        notify.queue(session, given, "waitlist", 0, now)
        return given
    return None


def notifications(
    session: Session, service_name: str, code: str | None = None, day: date | None = None
) -> list[tuple[BookingNotification, Booking]]:
    """The messages of one booking (by code), or of every booking of a day, oldest first."""
    service = get_service(session, service_name)
    query = select(BookingNotification, Booking).join(Booking, col(Booking.id) == col(BookingNotification.booking_id))
    if code:
        query = query.where(Booking.id == saved_id(by_code(session, service_name, code, day)))
    elif day:
        query = query.where(Booking.service_id == saved_id(service), Booking.day == day.isoformat())
    else:
        raise FieldError("code", "give a booking code or a date")
    rows = session.exec(query.order_by(col(BookingNotification.id))).all()
    return [(n, b) for n, b in rows]
