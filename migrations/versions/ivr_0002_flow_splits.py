"""ivr: A/B tests of flow versions (splits)

Revision ID: ivr_0002
Revises: ivr_0001
Create Date: 2026-12-02
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel

revision = "ivr_0002"
down_revision = "ivr_0001"
branch_labels = None
depends_on = None

S = sqlmodel.sql.sqltypes.AutoString
T = sqlmodel.sql.sqltypes.UTCDateTime


def upgrade() -> None:
    op.create_table(
        "ivr_flow_splits",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("flow_id", sa.Integer(), sa.ForeignKey("flows.id"), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("base_version", sa.Integer(), nullable=False),
        sa.Column("share", sa.Integer(), nullable=False),
        sa.Column("by", S(length=8), nullable=False),
        sa.Column("started_at", T(), nullable=False),
        sa.Column("started_by", S(length=64), nullable=False),
        sa.Column("ended_at", T(), nullable=True),
        sa.Column("ended_by", S(length=64), nullable=False),
        sa.Column("outcome", S(length=16), nullable=False),
    )
    op.create_index("ix_ivr_flow_splits_flow_id", "ivr_flow_splits", ["flow_id"])
    # At most one running test per flow, whatever two admins click at once.
    op.create_index(
        "uq_ivr_flow_splits_running",
        "ivr_flow_splits",
        ["flow_id"],
        unique=True,
        sqlite_where=sa.text("ended_at IS NULL"),
        postgresql_where=sa.text("ended_at IS NULL"),
    )


def downgrade() -> None:
    op.drop_index("uq_ivr_flow_splits_running", table_name="ivr_flow_splits")
    op.drop_index("ix_ivr_flow_splits_flow_id", table_name="ivr_flow_splits")
    op.drop_table("ivr_flow_splits")
