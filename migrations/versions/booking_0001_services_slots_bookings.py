"""Booking: services, per-date exceptions, per-slot counters (CHECK taken <= capacity), holds, bookings
(one active per identity and service: a partial UNIQUE index) and the waitlist.

Revision ID: booking_0001
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op
from sqlmodel.sql.sqltypes import UTCDateTime

revision = "booking_0001"
down_revision = "0001"
branch_labels = ("booking",)
depends_on = None


def _s(n: int) -> sa.String:
    return sa.String(length=n)


def upgrade() -> None:
    op.create_table(
        "booking_services",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", _s(100), nullable=False),
        sa.Column("timezone", _s(64), nullable=False),
        sa.Column("slot_minutes", sa.Integer(), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=False),
        sa.Column("opening", sa.JSON(), nullable=False),
        sa.Column("closed_dates", sa.JSON(), nullable=False),
        sa.Column("days_ahead", sa.Integer(), nullable=False),
        sa.Column("min_notice_minutes", sa.Integer(), nullable=False),
        sa.Column("identity_min_digits", sa.Integer(), nullable=False),
        sa.Column("identity_max_digits", sa.Integer(), nullable=False),
        sa.Column("identity_check", _s(8), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_booking_services_name", "booking_services", ["name"], unique=True)
    op.create_table(
        "booking_exceptions",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("service_id", sa.Integer(), sa.ForeignKey("booking_services.id"), nullable=False),
        sa.Column("day", _s(10), nullable=False),
        sa.Column("closed", sa.Boolean(), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=True),
        sa.UniqueConstraint("service_id", "day", name="uq_booking_exception_day"),
    )
    op.create_index("ix_booking_exceptions_service_id", "booking_exceptions", ["service_id"])
    op.create_table(
        "booking_slots",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("service_id", sa.Integer(), sa.ForeignKey("booking_services.id"), nullable=False),
        sa.Column("start", UTCDateTime(), nullable=False),
        sa.Column("day", _s(10), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=False),
        sa.Column("taken", sa.Integer(), nullable=False),
        sa.UniqueConstraint("service_id", "start", name="uq_booking_slot_start"),
        # The capacity rule itself: no transaction can commit a slot over its capacity.
        sa.CheckConstraint("taken >= 0 AND taken <= capacity", name="ck_booking_slot_capacity"),
    )
    op.create_table(
        "booking_holds",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("slot_id", sa.Integer(), sa.ForeignKey("booking_slots.id"), nullable=False),
        sa.Column("token", _s(32), nullable=False),
        sa.Column("identity", _s(20), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.UniqueConstraint("token", name="uq_booking_hold_token"),
    )
    op.create_index("ix_booking_holds_slot_id", "booking_holds", ["slot_id"])
    op.create_table(
        "booking_bookings",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("service_id", sa.Integer(), sa.ForeignKey("booking_services.id"), nullable=False),
        sa.Column("slot_id", sa.Integer(), sa.ForeignKey("booking_slots.id"), nullable=False),
        sa.Column("start", UTCDateTime(), nullable=False),
        sa.Column("day", _s(10), nullable=False),
        sa.Column("code", _s(8), nullable=False),
        sa.Column("identity", _s(20), nullable=False),
        sa.Column("status", _s(10), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("moved_from", sa.Integer(), nullable=True),
        sa.UniqueConstraint("service_id", "day", "code", name="uq_booking_code_day"),
        sa.CheckConstraint(
            "status IN ('booked', 'cancelled', 'attended', 'no_show')", name="ck_booking_bookings_status"
        ),
    )
    # One active booking per identity and service, on both backends (partial index).
    op.create_index(
        "uq_booking_active_identity",
        "booking_bookings",
        ["service_id", "identity"],
        unique=True,
        sqlite_where=sa.text("status = 'booked'"),
        postgresql_where=sa.text("status = 'booked'"),
    )
    op.create_index("ix_booking_bookings_slot_status", "booking_bookings", ["slot_id", "status"])
    op.create_index("ix_booking_bookings_identity", "booking_bookings", ["identity"])
    op.create_table(
        "booking_waitlist",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("service_id", sa.Integer(), sa.ForeignKey("booking_services.id"), nullable=False),
        sa.Column("day", _s(10), nullable=False),
        sa.Column("identity", _s(20), nullable=False),
        sa.Column("phone", _s(32), nullable=False),
        sa.Column("email", _s(200), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.UniqueConstraint("service_id", "day", "identity", name="uq_booking_waitlist_identity"),
    )
    op.create_index("ix_booking_waitlist_service_id", "booking_waitlist", ["service_id"])


def downgrade() -> None:
    for table in ("booking_waitlist", "booking_bookings", "booking_holds", "booking_slots", "booking_exceptions"):
        op.drop_table(table)
    op.drop_table("booking_services")
