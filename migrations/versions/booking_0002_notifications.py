"""Booking: contacts on bookings (phone, email), the waitlist's outcome (status, booking_id), the reminder
window's index and booking_notifications (one message per booking × kind × offset × channel, its
delivery state and attempts).

Plain ADD COLUMN on purpose (no batch copy): a copied booking_bookings would have to carry its partial
UNIQUE index by hand.

Revision ID: booking_0002
Revises: booking_0001
"""

import sqlalchemy as sa
from alembic import op
from sqlmodel.sql.sqltypes import UTCDateTime

revision = "booking_0002"
down_revision = "booking_0001"
branch_labels = None
depends_on = None


def _s(n: int) -> sa.String:
    return sa.String(length=n)


def upgrade() -> None:
    op.add_column("booking_bookings", sa.Column("phone", _s(32), nullable=False, server_default=""))
    op.add_column("booking_bookings", sa.Column("email", _s(200), nullable=False, server_default=""))
    op.create_index("ix_booking_bookings_status_start", "booking_bookings", ["status", "start"])
    op.add_column("booking_waitlist", sa.Column("status", _s(10), nullable=False, server_default="waiting"))
    op.add_column("booking_waitlist", sa.Column("booking_id", sa.Integer(), nullable=True))
    op.create_table(
        "booking_notifications",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("booking_id", sa.Integer(), sa.ForeignKey("booking_bookings.id"), nullable=False),
        sa.Column("kind", _s(10), nullable=False),
        sa.Column("offset_minutes", sa.Integer(), nullable=False),
        sa.Column("channel", _s(8), nullable=False),
        sa.Column("recipient", _s(200), nullable=False),
        sa.Column("status", _s(10), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("error", _s(500), nullable=False),
        sa.Column("reply", _s(255), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("next_attempt_at", UTCDateTime(), nullable=False),
        sa.Column("claimed_at", UTCDateTime(), nullable=True),
        sa.Column("sent_at", UTCDateTime(), nullable=True),
        # Once per booking, kind, offset and channel: two reminder runs cannot both create it.
        sa.UniqueConstraint("booking_id", "kind", "offset_minutes", "channel", name="uq_booking_notification"),
        sa.CheckConstraint(
            "status IN ('pending', 'sending', 'sent', 'failed')", name="ck_booking_notification_status"
        ),
    )
    op.create_index("ix_booking_notifications_booking_id", "booking_notifications", ["booking_id"])
    op.create_index("ix_booking_notifications_status", "booking_notifications", ["status", "next_attempt_at"])


def downgrade() -> None:
    op.drop_table("booking_notifications")
    op.drop_column("booking_waitlist", "booking_id")
    op.drop_column("booking_waitlist", "status")
    op.drop_index("ix_booking_bookings_status_start", "booking_bookings")
    op.drop_column("booking_bookings", "email")
    op.drop_column("booking_bookings", "phone")
