"""Services, per-date exceptions, per-slot counters, holds, bookings and the waitlist.

Capacity is the database's business, not the application's: `booking_slots.taken` counts bookings and
live holds under CHECK (taken <= capacity), and a place is taken only by the conditional
`UPDATE ... SET taken = taken + 1 WHERE taken < capacity` (rowcount 1 = the place is ours). One active
booking per identity and service is a partial UNIQUE index (status = 'booked'), on SQLite and PostgreSQL.
"""

from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, Column, Index, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from centralita.timeutil import utcnow

STATUSES = ("booked", "cancelled", "attended", "no_show")


class BookingService(SQLModel, table=True):
    __tablename__ = "booking_services"
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(index=True, unique=True, max_length=100)
    timezone: str = Field(default="America/Panama", max_length=64)
    slot_minutes: int = 60
    capacity: int = 1  # places per slot
    opening: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))  # mon..sun → ["08:00-16:00"]
    closed_dates: list = Field(default_factory=list, sa_column=Column(JSON, nullable=False))  # holidays, YYYY-MM-DD
    days_ahead: int = 30  # the last bookable local date is today + days_ahead
    min_notice_minutes: int = 0
    identity_min_digits: int = 1
    identity_max_digits: int = 20
    identity_check: str = Field(default="none", max_length=8)  # none | luhn | mod11 (ivr.lookup's rules)
    created_at: datetime = Field(default_factory=utcnow)


class BookingException(SQLModel, table=True):
    """One local date of one service: closed, or another capacity per slot (extra or reduced)."""

    __tablename__ = "booking_exceptions"
    __table_args__ = (UniqueConstraint("service_id", "day", name="uq_booking_exception_day"),)
    id: int | None = Field(default=None, primary_key=True)
    service_id: int = Field(foreign_key="booking_services.id", index=True)
    day: str = Field(max_length=10)  # YYYY-MM-DD in the service's zone
    closed: bool = False
    capacity: int | None = None


class BookingSlot(SQLModel, table=True):
    """The counter of one slot, created on first use with the capacity of its day."""

    __tablename__ = "booking_slots"
    __table_args__ = (
        UniqueConstraint("service_id", "start", name="uq_booking_slot_start"),
        CheckConstraint("taken >= 0 AND taken <= capacity", name="ck_booking_slot_capacity"),
    )
    id: int | None = Field(default=None, primary_key=True)
    service_id: int = Field(foreign_key="booking_services.id")
    start: datetime  # UTC
    day: str = Field(max_length=10)  # local date of the start
    capacity: int
    taken: int = 0  # bookings with status booked/attended/no_show + holds not yet reclaimed


class BookingHold(SQLModel, table=True):
    """A place kept while a caller is offered it. It counts in `taken` until confirmed (turned into a
    booking) or reclaimed: an expired hold is deleted, and `taken` decremented, by the next booking
    attempt that finds the slot full (and read as free by the slot listing meanwhile), so correctness
    needs no background job."""

    __tablename__ = "booking_holds"
    id: int | None = Field(default=None, primary_key=True)
    slot_id: int = Field(foreign_key="booking_slots.id", index=True)
    token: str = Field(max_length=32, unique=True)
    identity: str = Field(default="", max_length=20)
    expires_at: datetime


class Booking(SQLModel, table=True):
    __tablename__ = "booking_bookings"
    __table_args__ = (
        UniqueConstraint("service_id", "day", "code", name="uq_booking_code_day"),
        CheckConstraint("status IN ('booked', 'cancelled', 'attended', 'no_show')", name="ck_booking_bookings_status"),
        Index(
            "uq_booking_active_identity",
            "service_id",
            "identity",
            unique=True,
            sqlite_where=text("status = 'booked'"),
            postgresql_where=text("status = 'booked'"),
        ),
        Index("ix_booking_bookings_slot_status", "slot_id", "status"),
        Index("ix_booking_bookings_identity", "identity"),
        Index("ix_booking_bookings_status_start", "status", "start"),  # the reminder run's window
    )
    id: int | None = Field(default=None, primary_key=True)
    service_id: int = Field(foreign_key="booking_services.id")
    slot_id: int = Field(foreign_key="booking_slots.id")
    start: datetime  # UTC
    day: str = Field(max_length=10)  # local date
    code: str = Field(max_length=8)
    identity: str = Field(max_length=20)
    status: str = Field(default="booked", max_length=10)
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
    moved_from: int | None = None  # the booking this one replaced (rescheduling)
    phone: str = Field(default="", max_length=32)  # E.164, for SMS reminders; empty: none
    email: str = Field(default="", max_length=200)  # for email reminders; empty: none


class BookingWaitlist(SQLModel, table=True):
    """People waiting for a place on a date, first come first served (ordered by id)."""

    __tablename__ = "booking_waitlist"
    __table_args__ = (UniqueConstraint("service_id", "day", "identity", name="uq_booking_waitlist_identity"),)
    id: int | None = Field(default=None, primary_key=True)
    service_id: int = Field(foreign_key="booking_services.id", index=True)
    day: str = Field(max_length=10)
    identity: str = Field(max_length=20)
    phone: str = Field(default="", max_length=32)
    email: str = Field(default="", max_length=200)
    created_at: datetime = Field(default_factory=utcnow)
    # waiting → booked: a freed place on that day was booked for them (booking_id), see booking/notify.py
    status: str = Field(default="waiting", max_length=10)
    booking_id: int | None = None


NOTIFY_KINDS = ("waitlist", "reminder")
CHANNELS = ("sms", "email")
DELIVERY_STATUSES = ("pending", "sending", "sent", "failed")


class BookingNotification(SQLModel, table=True):
    """One message to one person about one booking on one channel: a waitlist place given to them, or
    the reminder at one offset. The UNIQUE key makes it exist once whoever creates it (two reminder runs,
    a run repeated after a restart); the status makes it go out at most once:
    pending → sending (claimed by a conditional UPDATE, committed before the send) → sent | failed.
    A definite failure (Kannel or the SMTP server refused, unreachable) goes back to pending with
    `next_attempt_at` until settings.booking_notify_max_attempts; a send that may have gone out (an
    answer that timed out, a process killed while `sending`) ends failed and is never repeated."""

    __tablename__ = "booking_notifications"
    __table_args__ = (
        UniqueConstraint("booking_id", "kind", "offset_minutes", "channel", name="uq_booking_notification"),
        CheckConstraint("status IN ('pending', 'sending', 'sent', 'failed')", name="ck_booking_notification_status"),
        Index("ix_booking_notifications_status", "status", "next_attempt_at"),
    )
    id: int | None = Field(default=None, primary_key=True)
    booking_id: int = Field(foreign_key="booking_bookings.id", index=True)
    kind: str = Field(max_length=10)  # waitlist | reminder
    offset_minutes: int = 0  # reminder: minutes before the start it is for; waitlist: 0
    channel: str = Field(max_length=8)  # sms | email
    recipient: str = Field(max_length=200)
    status: str = Field(default="pending", max_length=10)
    attempts: int = 0
    error: str = Field(default="", max_length=500)
    reply: str = Field(default="", max_length=255)  # Kannel's answer or the email's Message-ID
    created_at: datetime = Field(default_factory=utcnow)
    next_attempt_at: datetime = Field(default_factory=utcnow)
    claimed_at: datetime | None = None
    sent_at: datetime | None = None
