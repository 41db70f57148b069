"""Security: banned SIP source addresses and the security log (failed authentications, refused calls).

Revision ID: security_0001
Revises: 0001
"""

import sqlalchemy as sa
from sqlmodel.sql.sqltypes import UTCDateTime
from alembic import op

revision = "security_0001"
down_revision = "0001"
branch_labels = ("security",)
depends_on = None


def _s(n: int) -> sa.String:
    return sa.String(length=n)


def upgrade() -> None:
    op.create_table(
        "sip_bans",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("ip", _s(64), nullable=False),
        sa.Column("reason", _s(200), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("banned_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.Column("lifted_at", UTCDateTime(), nullable=True),
        sa.Column("lifted_by", _s(64), nullable=False),
    )
    op.create_index("ix_sip_bans_ip", "sip_bans", ["ip"])
    op.create_index("ix_sip_bans_expires_at", "sip_bans", ["expires_at"])
    op.create_index("ix_sip_bans_lifted_at", "sip_bans", ["lifted_at"])
    op.create_table(
        "security_events",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("kind", _s(40), nullable=False),
        sa.Column("ip", _s(64), nullable=False),
        sa.Column("account", _s(100), nullable=False),
        sa.Column("service", _s(20), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
    )
    op.create_index("ix_security_events_at", "security_events", ["at"])
    op.create_index("ix_security_events_kind", "security_events", ["kind"])
    op.create_index("ix_security_events_ip", "security_events", ["ip"])


def downgrade() -> None:
    op.drop_table("security_events")
    op.drop_table("sip_bans")
