"""Scheduled reports: schedules, their runs (one per schedule × period) and the files kept for download.

Revision ID: reports_scheduled_0001
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op
from sqlmodel.sql.sqltypes import UTCDateTime

revision = "reports_scheduled_0001"
down_revision = "0001"
branch_labels = ("reports_scheduled",)
depends_on = None


def _s(n: int) -> sa.String:
    return sa.String(length=n)


def upgrade() -> None:
    op.create_table(
        "report_schedules",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", _s(100), nullable=False),
        sa.Column("frequency", _s(10), nullable=False),
        sa.Column("weekday", sa.Integer(), nullable=True),
        sa.Column("day_of_month", sa.Integer(), nullable=True),
        sa.Column("hour", sa.Integer(), nullable=False),
        sa.Column("minute", sa.Integer(), nullable=False),
        sa.Column("queues", sa.JSON(), nullable=False),
        sa.Column("group_by", _s(100), nullable=False),
        sa.Column("filters", sa.JSON(), nullable=False),
        sa.Column("formats", sa.JSON(), nullable=False),
        sa.Column("recipients", sa.JSON(), nullable=False),
        sa.Column("owner_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=False),
        sa.Column("role", _s(16), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("active_since", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_report_schedules_name", "report_schedules", ["name"], unique=True)
    op.create_index("ix_report_schedules_owner_id", "report_schedules", ["owner_id"])
    op.create_table(
        "report_runs",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("schedule_id", sa.Integer(), sa.ForeignKey("report_schedules.id"), nullable=False),
        sa.Column("period_start", UTCDateTime(), nullable=False),
        sa.Column("period_end", UTCDateTime(), nullable=False),
        sa.Column("due_at", UTCDateTime(), nullable=False),
        sa.Column("status", _s(10), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("error", _s(500), nullable=False),
        sa.Column("started_at", UTCDateTime(), nullable=False),
        sa.Column("finished_at", UTCDateTime(), nullable=True),
        sa.Column("message_id", _s(255), nullable=False),
        sa.Column("refused", sa.JSON(), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        # The exactly-once key: a period of a schedule is claimed by one INSERT, never twice.
        sa.UniqueConstraint("schedule_id", "period_start", name="uq_report_run_schedule_period"),
    )
    op.create_index("ix_report_runs_schedule_id", "report_runs", ["schedule_id"])
    op.create_index("ix_report_runs_status", "report_runs", ["status"])
    op.create_table(
        "report_run_files",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("run_id", sa.Integer(), sa.ForeignKey("report_runs.id"), nullable=False),
        sa.Column("format", _s(8), nullable=False),
        sa.Column("filename", _s(200), nullable=False),
        sa.Column("content_type", _s(100), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.UniqueConstraint("run_id", "format", name="uq_report_run_file_format"),
    )
    op.create_index("ix_report_run_files_run_id", "report_run_files", ["run_id"])


def downgrade() -> None:
    op.drop_table("report_run_files")
    op.drop_table("report_runs")
    op.drop_table("report_schedules")
