"""Reports: report_center_15m, the whole center per 15 minutes (the per-queue roll-up rows summed),
filled at once from the rows already aggregated so reports of past periods stay whole; and
report_agent_legs.via (queue | transfer: a part taken after a transfer to an extension).

Revision ID: reports_0002
Revises: reports_0001
"""

import sqlalchemy as sa
from alembic import op
from sqlmodel.sql.sqltypes import UTCDateTime

revision = "reports_0002"
down_revision = "reports_0001"
branch_labels = None
depends_on = None

INTS = (
    "offered",
    "answered",
    "abandoned",
    "short_abandoned",
    "timeouts",
    "exits_key",
    "exits_empty",
    "overflows",
    "restart_lost",
    "callbacks_requested",
    "callbacks_made",
    "transfers",
    "sl_answered",
    "sl_abandoned",
    "wait_n",
    "handled",
    "fcr_n",
    "fcr_resolved",
    "ivr_calls",
    "ivr_self_service",
    "csat_sum",
    "csat_n",
    "csat_top2",
    "nps_promoters",
    "nps_detractors",
    "nps_n",
)
FLOATS = ("wait_answered_s", "wait_s", "talk_s", "hold_s", "wrapup_s")
LOCAL = ("local_day", "local_week", "local_month", "local_hour", "local_weekday")
AGENT = ("logged_in_s", "paused_s", "agent_talk_s", "agent_wrapup_s")


def upgrade() -> None:
    op.create_table(
        "report_center_15m",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("interval_start", UTCDateTime(), nullable=False),
        sa.Column("local_day", sa.String(length=10), nullable=False),
        sa.Column("local_week", sa.String(length=8), nullable=False),
        sa.Column("local_month", sa.String(length=7), nullable=False),
        sa.Column("local_hour", sa.Integer(), nullable=False),
        sa.Column("local_weekday", sa.Integer(), nullable=False),
        *[sa.Column(name, sa.Integer(), nullable=False) for name in INTS],
        *[sa.Column(name, sa.Float(), nullable=False) for name in (*FLOATS, "max_wait_s")],
        sa.Column("logged_in_s", sa.Float(), nullable=False),
        sa.Column("paused_s", sa.Float(), nullable=False),
        sa.Column("paused_by_reason", sa.JSON(), nullable=False),
        sa.Column("agent_talk_s", sa.Float(), nullable=False),
        sa.Column("agent_wrapup_s", sa.Float(), nullable=False),
        sa.Column("kpis", sa.JSON(), nullable=True),
    )
    op.create_index("ix_report_center_15m_interval_start", "report_center_15m", ["interval_start"], unique=True)
    _fill()
    with op.batch_alter_table("report_agent_legs") as batch:
        batch.add_column(sa.Column("via", sa.String(length=16), nullable=False, server_default="queue"))


def _fill() -> None:
    """What aggregates.recompute_center would write for every interval already aggregated."""
    sums = (*INTS, *FLOATS)
    local = ", ".join(LOCAL)
    op.execute(
        f"INSERT INTO report_center_15m (interval_start, {local}, {', '.join(sums)}, max_wait_s,"
        f" {', '.join(AGENT)}, paused_by_reason)"
        f" SELECT interval_start, {local}, {', '.join(f'sum({n})' for n in sums)}, max(max_wait_s),"
        f" {', '.join('0' for _ in AGENT)}, '{{}}'"
        f" FROM report_kpi_15m WHERE agent = '*' GROUP BY interval_start, {local}"
    )
    op.execute(
        "UPDATE report_center_15m SET logged_in_s = a.logged_in_s, paused_s = a.paused_s,"
        " agent_talk_s = a.talk_s, agent_wrapup_s = a.wrapup_s, paused_by_reason = a.paused_by_reason"
        " FROM report_agent_15m AS a"
        " WHERE a.agent = '*' AND a.queue = '*' AND a.interval_start = report_center_15m.interval_start"
    )
    op.execute(
        f"INSERT INTO report_center_15m (interval_start, {local}, {', '.join(sums)}, max_wait_s,"
        f" {', '.join(AGENT)}, paused_by_reason)"
        f" SELECT a.interval_start, {', '.join(f'a.{n}' for n in LOCAL)}, {', '.join('0' for _ in sums)}, 0,"
        " a.logged_in_s, a.paused_s, a.talk_s, a.wrapup_s, a.paused_by_reason FROM report_agent_15m AS a"
        " WHERE a.agent = '*' AND a.queue = '*' AND NOT EXISTS"
        " (SELECT 1 FROM report_center_15m AS c WHERE c.interval_start = a.interval_start)"
    )


def downgrade() -> None:
    with op.batch_alter_table("report_agent_legs") as batch:
        batch.drop_column("via")
    op.drop_index("ix_report_center_15m_interval_start", table_name="report_center_15m")
    op.drop_table("report_center_15m")
