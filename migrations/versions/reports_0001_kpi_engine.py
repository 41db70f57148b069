"""Reports: the KPI engine's facts (queue visits, agent legs, calls), 15-minute aggregates, per-queue
report settings and the incremental cursors; the daily roll-up.

Revision ID: reports_0001
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op
from sqlmodel.sql.sqltypes import UTCDateTime

revision = "reports_0001"
down_revision = "0001"
branch_labels = ("reports",)
depends_on = None

TABLES = (
    "report_queue_settings",
    "report_queue_visits",
    "report_agent_legs",
    "report_calls",
    "report_kpi_15m",
    "report_agent_15m",
    "report_kpi_day",
    "report_cursors",
)


def _s(n: int) -> sa.String:
    return sa.String(length=n)


def upgrade() -> None:
    op.create_table(
        "report_queue_settings",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("queue", _s(64), nullable=False),
        sa.Column("sl_threshold_s", sa.Integer(), nullable=False),
        sa.Column("short_abandon_s", sa.Integer(), nullable=False),
        sa.Column("colours", sa.JSON(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_report_queue_settings_queue", "report_queue_settings", ["queue"], unique=True)
    op.create_table(
        "report_queue_visits",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("callid", _s(64), nullable=False),
        sa.Column("linkedid", _s(64), nullable=False),
        sa.Column("queue", _s(64), nullable=False),
        sa.Column("caller", _s(80), nullable=False),
        sa.Column("entered_at", UTCDateTime(), nullable=False),
        sa.Column("interval_start", UTCDateTime(), nullable=False),
        sa.Column("ended_at", UTCDateTime(), nullable=True),
        sa.Column("outcome", _s(16), nullable=False),
        sa.Column("short_abandon", sa.Boolean(), nullable=False),
        sa.Column("left_by", _s(16), nullable=False),
        sa.Column("wait_s", sa.Float(), nullable=False),
        sa.Column("agent", _s(64), nullable=False),
        sa.Column("talk_s", sa.Float(), nullable=False),
        sa.Column("hold_s", sa.Float(), nullable=False),
        sa.Column("wrapup_s", sa.Float(), nullable=False),
        sa.Column("legs", sa.Integer(), nullable=False),
        sa.Column("transfers", sa.Integer(), nullable=False),
        sa.Column("sl_threshold_s", sa.Integer(), nullable=False),
        sa.Column("within_sl", sa.Boolean(), nullable=False),
        sa.Column("callback_requested", sa.Boolean(), nullable=False),
        sa.Column("callback_made", sa.Boolean(), nullable=False),
        sa.Column("repeat_within_fcr", sa.Boolean(), nullable=True),
        sa.Column("restart", sa.Boolean(), nullable=False),
        sa.Column("did", _s(80), nullable=False),
        sa.Column("flow_version", _s(80), nullable=False),
        sa.Column("campaign", _s(64), nullable=False),
        sa.UniqueConstraint("callid", "queue", name="uq_report_visit_callid_queue"),
    )
    op.create_index("ix_report_queue_visits_entered_at", "report_queue_visits", ["entered_at"])
    op.create_index("ix_report_queue_visits_interval_start", "report_queue_visits", ["interval_start"])
    op.create_index("ix_report_queue_visits_linkedid", "report_queue_visits", ["linkedid"])
    op.create_index("ix_report_visit_caller_entered", "report_queue_visits", ["caller", "entered_at"])
    op.create_index("ix_report_visit_queue_entered", "report_queue_visits", ["queue", "entered_at"])
    op.create_table(
        "report_agent_legs",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("callid", _s(64), nullable=False),
        sa.Column("queue", _s(64), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("agent", _s(64), nullable=False),
        sa.Column("connected_at", UTCDateTime(), nullable=False),
        sa.Column("interval_start", UTCDateTime(), nullable=False),
        sa.Column("ended_at", UTCDateTime(), nullable=True),
        sa.Column("ended_by", _s(20), nullable=False),
        sa.Column("talk_s", sa.Float(), nullable=False),
        sa.Column("hold_s", sa.Float(), nullable=False),
        sa.Column("wrapup_s", sa.Float(), nullable=False),
        sa.UniqueConstraint("callid", "queue", "seq", name="uq_report_leg"),
    )
    op.create_index("ix_report_agent_legs_connected_at", "report_agent_legs", ["connected_at"])
    op.create_index("ix_report_agent_legs_ended_at", "report_agent_legs", ["ended_at"])
    op.create_index("ix_report_agent_legs_interval_start", "report_agent_legs", ["interval_start"])
    op.create_index("ix_report_leg_agent_connected", "report_agent_legs", ["agent", "connected_at"])
    op.create_table(
        "report_calls",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("linkedid", _s(64), nullable=False),
        sa.Column("start", UTCDateTime(), nullable=False),
        sa.Column("interval_start", UTCDateTime(), nullable=False),
        sa.Column("caller", _s(80), nullable=False),
        sa.Column("did", _s(80), nullable=False),
        sa.Column("flow", _s(64), nullable=False),
        sa.Column("flow_version", _s(80), nullable=False),
        sa.Column("ivr_outcome", _s(16), nullable=False),
        sa.Column("queue", _s(64), nullable=False),
        sa.Column("agent", _s(64), nullable=False),
        sa.Column("campaign", _s(64), nullable=False),
        sa.Column("duration_s", sa.Float(), nullable=False),
        sa.Column("csat_sum", sa.Integer(), nullable=False),
        sa.Column("csat_n", sa.Integer(), nullable=False),
        sa.Column("csat_top2", sa.Integer(), nullable=False),
        sa.Column("nps_promoters", sa.Integer(), nullable=False),
        sa.Column("nps_detractors", sa.Integer(), nullable=False),
        sa.Column("nps_n", sa.Integer(), nullable=False),
    )
    op.create_index("ix_report_calls_interval_start", "report_calls", ["interval_start"])
    op.create_index("ix_report_calls_linkedid", "report_calls", ["linkedid"], unique=True)
    op.create_index("ix_report_calls_start", "report_calls", ["start"])
    op.create_table(
        "report_kpi_15m",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("interval_start", UTCDateTime(), nullable=False),
        sa.Column("queue", _s(64), nullable=False),
        sa.Column("agent", _s(64), nullable=False),
        sa.Column("flow_version", _s(80), nullable=False),
        sa.Column("did", _s(80), nullable=False),
        sa.Column("campaign", _s(64), nullable=False),
        sa.Column("local_day", _s(10), nullable=False),
        sa.Column("local_week", _s(8), nullable=False),
        sa.Column("local_month", _s(7), nullable=False),
        sa.Column("local_hour", sa.Integer(), nullable=False),
        sa.Column("local_weekday", sa.Integer(), nullable=False),
        sa.Column("offered", sa.Integer(), nullable=False),
        sa.Column("answered", sa.Integer(), nullable=False),
        sa.Column("abandoned", sa.Integer(), nullable=False),
        sa.Column("short_abandoned", sa.Integer(), nullable=False),
        sa.Column("timeouts", sa.Integer(), nullable=False),
        sa.Column("exits_key", sa.Integer(), nullable=False),
        sa.Column("exits_empty", sa.Integer(), nullable=False),
        sa.Column("overflows", sa.Integer(), nullable=False),
        sa.Column("restart_lost", sa.Integer(), nullable=False),
        sa.Column("callbacks_requested", sa.Integer(), nullable=False),
        sa.Column("callbacks_made", sa.Integer(), nullable=False),
        sa.Column("transfers", sa.Integer(), nullable=False),
        sa.Column("sl_answered", sa.Integer(), nullable=False),
        sa.Column("sl_abandoned", sa.Integer(), nullable=False),
        sa.Column("wait_answered_s", sa.Float(), nullable=False),
        sa.Column("wait_s", sa.Float(), nullable=False),
        sa.Column("wait_n", sa.Integer(), nullable=False),
        sa.Column("max_wait_s", sa.Float(), nullable=False),
        sa.Column("handled", sa.Integer(), nullable=False),
        sa.Column("talk_s", sa.Float(), nullable=False),
        sa.Column("hold_s", sa.Float(), nullable=False),
        sa.Column("wrapup_s", sa.Float(), nullable=False),
        sa.Column("fcr_n", sa.Integer(), nullable=False),
        sa.Column("fcr_resolved", sa.Integer(), nullable=False),
        sa.Column("ivr_calls", sa.Integer(), nullable=False),
        sa.Column("ivr_self_service", sa.Integer(), nullable=False),
        sa.Column("csat_sum", sa.Integer(), nullable=False),
        sa.Column("csat_n", sa.Integer(), nullable=False),
        sa.Column("csat_top2", sa.Integer(), nullable=False),
        sa.Column("nps_promoters", sa.Integer(), nullable=False),
        sa.Column("nps_detractors", sa.Integer(), nullable=False),
        sa.Column("nps_n", sa.Integer(), nullable=False),
        sa.UniqueConstraint("interval_start", "queue", "agent", "flow_version", "did", "campaign", name="uq_report_kpi_15m_key"),
    )
    op.create_index("ix_report_kpi_15m_agent_interval", "report_kpi_15m", ["agent", "interval_start"])
    op.create_index("ix_report_kpi_15m_interval_start", "report_kpi_15m", ["interval_start"])
    op.create_index("ix_report_kpi_15m_queue_interval", "report_kpi_15m", ["queue", "interval_start"])
    op.create_table(
        "report_agent_15m",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("interval_start", UTCDateTime(), nullable=False),
        sa.Column("agent", _s(64), nullable=False),
        sa.Column("queue", _s(64), nullable=False),
        sa.Column("local_day", _s(10), nullable=False),
        sa.Column("local_week", _s(8), nullable=False),
        sa.Column("local_month", _s(7), nullable=False),
        sa.Column("local_hour", sa.Integer(), nullable=False),
        sa.Column("local_weekday", sa.Integer(), nullable=False),
        sa.Column("logged_in_s", sa.Float(), nullable=False),
        sa.Column("paused_s", sa.Float(), nullable=False),
        sa.Column("paused_by_reason", sa.JSON(), nullable=False),
        sa.Column("talk_s", sa.Float(), nullable=False),
        sa.Column("wrapup_s", sa.Float(), nullable=False),
        sa.UniqueConstraint("agent", "queue", "interval_start", name="uq_report_agent_15m_key"),
    )
    op.create_index("ix_report_agent_15m_interval_start", "report_agent_15m", ["interval_start"])
    op.create_table(
        "report_kpi_day",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("day_start", UTCDateTime(), nullable=False),
        sa.Column("queue", _s(64), nullable=False),
        sa.Column("local_day", _s(10), nullable=False),
        sa.Column("local_week", _s(8), nullable=False),
        sa.Column("local_month", _s(7), nullable=False),
        sa.Column("local_weekday", sa.Integer(), nullable=False),
        sa.Column("offered", sa.Integer(), nullable=False),
        sa.Column("answered", sa.Integer(), nullable=False),
        sa.Column("abandoned", sa.Integer(), nullable=False),
        sa.Column("short_abandoned", sa.Integer(), nullable=False),
        sa.Column("timeouts", sa.Integer(), nullable=False),
        sa.Column("exits_key", sa.Integer(), nullable=False),
        sa.Column("exits_empty", sa.Integer(), nullable=False),
        sa.Column("overflows", sa.Integer(), nullable=False),
        sa.Column("restart_lost", sa.Integer(), nullable=False),
        sa.Column("callbacks_requested", sa.Integer(), nullable=False),
        sa.Column("callbacks_made", sa.Integer(), nullable=False),
        sa.Column("transfers", sa.Integer(), nullable=False),
        sa.Column("sl_answered", sa.Integer(), nullable=False),
        sa.Column("sl_abandoned", sa.Integer(), nullable=False),
        sa.Column("wait_answered_s", sa.Float(), nullable=False),
        sa.Column("wait_s", sa.Float(), nullable=False),
        sa.Column("wait_n", sa.Integer(), nullable=False),
        sa.Column("max_wait_s", sa.Float(), nullable=False),
        sa.Column("handled", sa.Integer(), nullable=False),
        sa.Column("talk_s", sa.Float(), nullable=False),
        sa.Column("hold_s", sa.Float(), nullable=False),
        sa.Column("wrapup_s", sa.Float(), nullable=False),
        sa.Column("fcr_n", sa.Integer(), nullable=False),
        sa.Column("fcr_resolved", sa.Integer(), nullable=False),
        sa.Column("ivr_calls", sa.Integer(), nullable=False),
        sa.Column("ivr_self_service", sa.Integer(), nullable=False),
        sa.Column("csat_sum", sa.Integer(), nullable=False),
        sa.Column("csat_n", sa.Integer(), nullable=False),
        sa.Column("csat_top2", sa.Integer(), nullable=False),
        sa.Column("nps_promoters", sa.Integer(), nullable=False),
        sa.Column("nps_detractors", sa.Integer(), nullable=False),
        sa.Column("nps_n", sa.Integer(), nullable=False),
        sa.Column("logged_in_s", sa.Float(), nullable=False),
        sa.Column("paused_s", sa.Float(), nullable=False),
        sa.Column("paused_by_reason", sa.JSON(), nullable=False),
        sa.Column("agent_talk_s", sa.Float(), nullable=False),
        sa.Column("agent_wrapup_s", sa.Float(), nullable=False),
        sa.UniqueConstraint("queue", "day_start", name="uq_report_kpi_day_key"),
    )
    op.create_index("ix_report_kpi_day_day_start", "report_kpi_day", ["day_start"])
    op.create_table(
        "report_cursors",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("source", _s(64), nullable=False),
        sa.Column("last_id", sa.Integer(), nullable=False),
        sa.Column("horizon", UTCDateTime(), nullable=True),
    )
    op.create_index("ix_report_cursors_source", "report_cursors", ["source"], unique=True)


def downgrade() -> None:
    for table in reversed(TABLES):
        op.drop_table(table)
