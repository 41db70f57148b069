"""The booking service on SQLite and PostgreSQL: the error list (each naming its field, nothing
half-written), holds, cancel, move, statuses, search, exceptions and the waitlist."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlmodel import select

from booking import service
from booking.models import Booking, BookingSlot
from booking.schemas import ExceptionIn
from booking.tests.conftest import NOW, SLOT, make_service
from centralita.errors import FieldError

LUHN_OK = "123455"  # the demo's Luhn-valid taxpayer number


def _counts(session):
    slots = {s.start: s.taken for s in session.exec(select(BookingSlot)).all()}
    return slots, len(session.exec(select(Booking)).all())


@pytest.mark.parametrize(
    ("service_name", "identity", "start", "field", "words"),
    [
        ("nope", "1", SLOT, "service", "no booking service"),
        ("placas", "12a4", SLOT, "identity", "digits only"),
        ("placas", "", SLOT, "identity", "digits only"),
        ("placas", "1", NOW - timedelta(hours=1), "start", "in the past"),
        ("placas", "1", NOW + timedelta(minutes=30), "start", "notice"),
        ("placas", "1", datetime(2026, 12, 5, 14, 0, tzinfo=UTC), "start", "closed day"),  # a Saturday
        ("placas", "1", datetime(2027, 1, 4, 14, 0, tzinfo=UTC), "start", "booking window"),
        ("placas", "1", SLOT + timedelta(minutes=30), "start", "not a slot start"),
        ("placas", "1", datetime(2026, 12, 2, 22, 0, tzinfo=UTC), "start", "not a slot start"),  # 17:00, after hours
        ("placas", "1", datetime(2026, 12, 25, 14, 0, tzinfo=UTC), "start", "closed day"),  # holiday
        ("placas", "1", datetime(9999, 12, 31, 23, 0, tzinfo=UTC), "start", "booking window"),
    ],
)
def test_bad_input_names_the_field_and_writes_nothing(booking_db, service_name, identity, start, field, words):
    session = booking_db
    svc = service.get_service(session, "placas")
    svc.closed_dates = ["2026-12-25"]
    session.add(svc)
    session.commit()
    with pytest.raises(FieldError) as err:
        service.book(session, service_name, identity, start, NOW)
    session.rollback()
    assert err.value.field == field and words in err.value.message, err.value
    assert _counts(session) == ({}, 0)


def test_identity_length_and_check_digit(booking_db):
    session = booking_db
    make_service(session, "cedulas", identity_min_digits=6, identity_max_digits=6, identity_check="luhn")
    for bad, words in (("12345", "5 digits"), ("123456", "check digit")):
        with pytest.raises(FieldError, match=words):
            service.book(session, "cedulas", bad, SLOT, NOW)
        session.rollback()
    row = service.book(session, "cedulas", LUHN_OK, SLOT, NOW)
    session.commit()
    assert len(row.code) == 6 and row.code.isdigit() and row.day == "2026-12-02"


def test_full_slot_names_the_next_free_and_rolls_back(booking_db):
    session = booking_db
    make_service(session, "pocos", capacity=2)
    for ident in ("1", "2"):
        service.book(session, "pocos", ident, SLOT, NOW)
        session.commit()
    with pytest.raises(service.BookingConflict) as err:
        service.book(session, "pocos", "3", SLOT, NOW)
    session.rollback()
    assert err.value.reason == "full" and err.value.next_free == SLOT + timedelta(hours=1)
    detail = err.value.details()[0]
    assert detail["reason"] == "full" and detail["next_free"] == "2026-12-02T15:00:00+00:00"
    assert detail["loc"] == ["body", "start"] and err.value.status == 409
    slot = session.exec(select(BookingSlot).where(BookingSlot.start == SLOT)).one()
    assert (slot.capacity, slot.taken) == (2, 2)


def test_one_active_booking_per_identity(booking_db):
    session = booking_db
    first = service.book(session, "placas", "8", SLOT, NOW)
    session.commit()
    with pytest.raises(service.BookingConflict) as err:
        service.book(session, "placas", "8", SLOT + timedelta(hours=1), NOW)
    session.rollback()
    assert err.value.reason == "identity_has_booking" and err.value.extra["code"] == first.code
    make_service(session, "otro")  # another service: its own rule
    service.book(session, "otro", "8", SLOT, NOW)
    session.commit()
    service.cancel(session, "placas", first.code, NOW)
    session.commit()
    again = service.book(session, "placas", "8", SLOT + timedelta(hours=2), NOW)  # cancelled: may book again
    session.commit()
    assert again.status == "booked"


def test_cancel_frees_the_place_and_the_code_is_needed(booking_db):
    session = booking_db
    make_service(session, "uno", capacity=1)
    row = service.book(session, "uno", "5", SLOT, NOW)
    session.commit()
    with pytest.raises(FieldError) as err:
        service.cancel(session, "uno", "000000", NOW)
    assert err.value.field == "code" and err.value.status == 404
    service.cancel(session, "uno", row.code, NOW)
    session.commit()
    with pytest.raises(service.BookingConflict, match="cancelled"):
        service.cancel(session, "uno", row.code, NOW)
    session.rollback()
    assert service.book(session, "uno", "6", SLOT, NOW).status == "booked"
    session.commit()


def test_move_is_atomic(booking_db):
    session = booking_db
    make_service(session, "uno", capacity=1)
    blocker = service.book(session, "uno", "1", SLOT + timedelta(hours=1), NOW)
    mine = service.book(session, "uno", "2", SLOT, NOW)
    session.commit()
    with pytest.raises(service.BookingConflict) as err:  # the new slot is full: nothing changes
        service.move(session, "uno", mine.code, SLOT + timedelta(hours=1), NOW)
    session.rollback()
    assert err.value.reason == "full"
    session.refresh(mine)
    assert mine.status == "booked"
    moved = service.move(session, "uno", mine.code, SLOT + timedelta(hours=2), NOW)
    session.commit()
    session.refresh(mine)
    assert mine.status == "cancelled" and moved.moved_from == mine.id and moved.identity == "2"
    slots = {
        r["start"]: r["booked"]
        for r in service.day_slots(session, service.get_service(session, "uno"), date(2026, 12, 2), NOW)
    }
    assert slots[SLOT] == 0 and slots[SLOT + timedelta(hours=1)] == 1 and slots[SLOT + timedelta(hours=2)] == 1
    assert blocker.status == "booked"


def test_statuses_and_search(booking_db):
    session = booking_db
    a = service.book(session, "placas", "11", SLOT, NOW)
    b = service.book(session, "placas", "12", SLOT, NOW)
    session.commit()
    service.set_status(session, "placas", a.code, "attended", NOW)
    service.set_status(session, "placas", b.code, "no_show", NOW)
    session.commit()
    with pytest.raises(FieldError) as err:
        service.set_status(session, "placas", a.code, "booked", NOW)
    assert err.value.field == "status"
    assert [r.status for r in service.find(session, "placas", identity="11")] == ["attended"]
    assert [r.identity for r in service.find(session, "placas", code=b.code)] == ["12"]
    with pytest.raises(FieldError) as err:
        service.find(session, "placas")
    assert err.value.field == "code"
    # attended and no-show keep their place
    row = service.day_slots(session, service.get_service(session, "placas"), date(2026, 12, 2), NOW)[1]
    assert row["start"] == SLOT and row["booked"] == 2


def test_hold_counts_until_it_expires_without_a_job(booking_db):
    session = booking_db
    make_service(session, "uno", capacity=1)
    service.hold(session, "uno", SLOT, NOW, seconds=60)
    session.commit()
    with pytest.raises(service.BookingConflict):  # the place is promised to the caller on the line
        service.book(session, "uno", "1", SLOT, NOW + timedelta(seconds=30))
    session.rollback()
    svc = service.get_service(session, "uno")
    assert service.day_slots(session, svc, date(2026, 12, 2), NOW)[1]["booked"] == 1
    later = NOW + timedelta(seconds=61)
    assert service.day_slots(session, svc, date(2026, 12, 2), later)[1]["booked"] == 0  # read as free
    assert service.book(session, "uno", "1", SLOT, later).status == "booked"  # reclaimed by this attempt
    session.commit()
    assert session.exec(select(BookingSlot)).one().taken == 1


def test_confirming_a_hold_uses_its_place(booking_db):
    session = booking_db
    make_service(session, "uno", capacity=1)
    held = service.hold(session, "uno", SLOT, NOW, seconds=60, identity="7")
    session.commit()
    row = service.book(session, "uno", "7", SLOT, NOW + timedelta(seconds=10), hold_token=held.token)
    session.commit()
    assert row.status == "booked" and session.exec(select(BookingSlot)).one().taken == 1
    with pytest.raises(FieldError) as err:
        service.book(
            session,
            "uno",
            "8",
            SLOT + timedelta(hours=1),
            NOW,
            hold_token=service.hold(session, "uno", SLOT + timedelta(hours=2), NOW, 60).token,
        )
    assert err.value.field == "hold"
    session.rollback()


def test_exceptions_close_or_change_capacity(booking_db):
    session = booking_db
    svc = service.get_service(session, "placas")
    service.book(session, "placas", "1", SLOT, NOW)
    session.commit()
    with pytest.raises(FieldError) as err:
        service.set_exception(session, svc, date(2026, 12, 2), ExceptionIn(closed=True))
    assert err.value.field == "closed"
    session.rollback()
    service.set_exception(session, svc, date(2026, 12, 2), ExceptionIn(capacity=10))
    service.set_exception(session, svc, date(2026, 12, 3), ExceptionIn(closed=True))
    session.commit()
    day = service.day_slots(session, svc, date(2026, 12, 2), NOW)
    assert {r["capacity"] for r in day} == {10} and day[1]["booked"] == 1
    assert service.day_slots(session, svc, date(2026, 12, 3), NOW) == []
    with pytest.raises(FieldError, match="closed day"):
        service.book(session, "placas", "2", SLOT + timedelta(days=1), NOW)
    session.rollback()
    with pytest.raises(FieldError) as err:
        service.set_exception(session, svc, date(2026, 12, 2), ExceptionIn(capacity=0))
    assert err.value.field == "capacity"
    session.rollback()


def test_waitlist_is_ordered(booking_db):
    session = booking_db
    for ident in ("30", "10", "20"):
        service.waitlist_add(session, "placas", date(2026, 12, 2), ident, phone="+50760000000")
    session.commit()
    with pytest.raises(FieldError) as err:
        service.waitlist_add(session, "placas", date(2026, 12, 2), "10")
    assert err.value.field == "identity"
    session.rollback()
    assert [w.identity for w in service.waitlist(session, "placas", date(2026, 12, 2))] == ["30", "10", "20"]
