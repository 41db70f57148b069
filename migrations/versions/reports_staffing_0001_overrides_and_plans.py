"""Staffing: forecast overrides (holidays, events) and saved week plans.

Revision ID: reports_staffing_0001
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op
from sqlmodel.sql.sqltypes import UTCDateTime

revision = "reports_staffing_0001"
down_revision = "0001"
branch_labels = ("reports_staffing",)
depends_on = None


def _s(n: int) -> sa.String:
    return sa.String(length=n)


def upgrade() -> None:
    op.create_table(
        "staffing_overrides",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("queue", _s(64), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("start_minute", sa.Integer(), nullable=False),
        sa.Column("end_minute", sa.Integer(), nullable=False),
        sa.Column("factor", sa.Float(), nullable=True),
        sa.Column("calls", sa.Float(), nullable=True),
        sa.Column("label", _s(200), nullable=False),
        sa.Column("source", _s(200), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("created_by", _s(64), nullable=False),
    )
    op.create_index("ix_staffing_overrides_queue", "staffing_overrides", ["queue"])
    op.create_index("ix_staffing_overrides_day", "staffing_overrides", ["day"])
    op.create_table(
        "staffing_plans",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("queue", _s(64), nullable=False),
        sa.Column("week_start", sa.Date(), nullable=False),
        sa.Column("method", _s(32), nullable=False),
        sa.Column("model", _s(16), nullable=False),
        sa.Column("target_sl", sa.Float(), nullable=False),
        sa.Column("threshold_s", sa.Float(), nullable=False),
        sa.Column("shrinkage", sa.Float(), nullable=False),
        sa.Column("aht_s", sa.Float(), nullable=False),
        sa.Column("patience_s", sa.Float(), nullable=True),
        sa.Column("timezone", _s(64), nullable=False),
        sa.Column("intervals", sa.JSON(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("created_by", _s(64), nullable=False),
        sa.UniqueConstraint("queue", "week_start", name="uq_staffing_plans_queue_week"),
    )
    op.create_index("ix_staffing_plans_queue", "staffing_plans", ["queue"])


def downgrade() -> None:
    op.drop_table("staffing_plans")
    op.drop_table("staffing_overrides")
