"""Reports BI: the star schema views (dim_*, fact_*) over the KPI engine's tables and the raw records.
The SQL lives in reports/bi.py (one place for both databases).

Revision ID: reports_bi_0001
Revises: 0001
"""

from alembic import op

revision = "reports_bi_0001"
down_revision = "0001"
branch_labels = ("reports_bi",)
# The tables the views read: report_* (reports), ivr_survey_answers and flow versions (ivr),
# dialer_attempts with the engine's columns (dialer_0002); queues, agent_endpoints and users are in 0001.
depends_on = ("reports_0001", "ivr_0001", "dialer_0002")


def _execute(sql: str) -> None:
    # Driver-level: the SQL holds '%' (strftime, modulo) and ':' that text() would take for parameters.
    op.get_bind().exec_driver_sql(sql)


def upgrade() -> None:
    from reports import bi

    bi.create_views(_execute, op.get_bind().dialect.name)


def downgrade() -> None:
    from reports import bi

    bi.drop_views(_execute)
