"""Users: failed logins per username and per source address, and their lockouts.

Revision ID: users_0001
Revises: 0001
"""

import sqlalchemy as sa
from sqlmodel.sql.sqltypes import UTCDateTime
from alembic import op

revision = "users_0001"
down_revision = "0001"
branch_labels = ("users",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "login_throttle",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("scope", sa.String(length=8), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("window_start", UTCDateTime(), nullable=True),
        sa.Column("locked_until", UTCDateTime(), nullable=True),
        sa.Column("lockouts", sa.Integer(), nullable=False),
        sa.UniqueConstraint("scope", "key", name="uq_login_throttle_scope_key"),
    )
    op.create_index("ix_login_throttle_locked_until", "login_throttle", ["locked_until"])


def downgrade() -> None:
    op.drop_table("login_throttle")
