"""ivr: shared business-hours calendars and holiday lists

Revision ID: ivr_0003
Revises: ivr_0002
Create Date: 2026-12-02
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel

revision = "ivr_0003"
down_revision = "ivr_0002"
branch_labels = None
depends_on = None

S = sqlmodel.sql.sqltypes.AutoString
T = sqlmodel.sql.sqltypes.UTCDateTime


def upgrade() -> None:
    op.create_table(
        "ivr_holiday_lists",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", S(length=64), nullable=False),
        sa.Column("description", S(length=200), nullable=False),
        sa.Column("days", sa.JSON(), nullable=False),
        sa.Column("updated_at", T(), nullable=False),
        sa.Column("updated_by", S(length=64), nullable=False),
    )
    op.create_index("ix_ivr_holiday_lists_name", "ivr_holiday_lists", ["name"], unique=True)
    op.create_table(
        "ivr_calendars",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", S(length=64), nullable=False),
        sa.Column("description", S(length=200), nullable=False),
        sa.Column("timezone", S(length=64), nullable=False),
        sa.Column("schedule", sa.JSON(), nullable=False),
        sa.Column("holiday_lists", sa.JSON(), nullable=False),
        sa.Column("updated_at", T(), nullable=False),
        sa.Column("updated_by", S(length=64), nullable=False),
    )
    op.create_index("ix_ivr_calendars_name", "ivr_calendars", ["name"], unique=True)


def downgrade() -> None:
    op.drop_index("ix_ivr_calendars_name", table_name="ivr_calendars")
    op.drop_table("ivr_calendars")
    op.drop_index("ix_ivr_holiday_lists_name", table_name="ivr_holiday_lists")
    op.drop_table("ivr_holiday_lists")
