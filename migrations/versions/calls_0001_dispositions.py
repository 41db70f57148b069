"""Calls: the agents' dispositions of their calls (code and note, one per agent and call).

Revision ID: calls_0001
Revises: 0001
"""

import sqlalchemy as sa
from sqlmodel.sql.sqltypes import UTCDateTime
from alembic import op

revision = "calls_0001"
down_revision = "0001"
branch_labels = ("calls",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "call_dispositions",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("linkedid", sa.String(length=64), nullable=False),
        sa.Column("agent", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=True),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("note", sa.String(length=1000), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.UniqueConstraint("linkedid", "agent", name="uq_call_dispositions_linkedid_agent"),
    )
    op.create_index("ix_call_dispositions_linkedid", "call_dispositions", ["linkedid"])


def downgrade() -> None:
    op.drop_table("call_dispositions")
