"""Queues: overflow, announcements, callback key, static contacts; queue_log history and callbacks.

Revision ID: queues_0001
Revises: 0001
"""
import sqlalchemy as sa
from sqlmodel.sql.sqltypes import UTCDateTime
from alembic import op

revision = "queues_0001"
down_revision = "0001"
branch_labels = ("queues",)
depends_on = None


def _s(n: int) -> sa.String:
    return sa.String(length=n)


def upgrade() -> None:
    with op.batch_alter_table("queues") as batch:
        batch.add_column(sa.Column("overflow", sa.JSON(), nullable=False, server_default='{"type": "hangup"}'))
        batch.add_column(sa.Column("announce_frequency", sa.Integer(), nullable=False, server_default="30"))
        batch.add_column(sa.Column("info_prompt", _s(200), nullable=False, server_default=""))
        batch.add_column(sa.Column("callback_key", _s(1), nullable=False, server_default=""))
    with op.batch_alter_table("agent_endpoints") as batch:
        batch.add_column(sa.Column("contact", _s(200), nullable=False, server_default=""))

    op.create_table(
        "queue_log_entries",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("key", _s(40), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("callid", _s(64), nullable=False),
        sa.Column("queue", _s(64), nullable=False),
        sa.Column("agent", _s(64), nullable=False),
        sa.Column("event", _s(32), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
    )
    op.create_index("ix_queue_log_entries_key", "queue_log_entries", ["key"], unique=True)
    op.create_index("ix_queue_log_entries_callid", "queue_log_entries", ["callid"])
    op.create_table(
        "queue_calls",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("callid", _s(64), nullable=False),
        sa.Column("queue", _s(64), nullable=False),
        sa.Column("caller", _s(80), nullable=False),
        sa.Column("entered_at", UTCDateTime(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("outcome", _s(16), nullable=False),
        sa.Column("agent", _s(64), nullable=False),
        sa.Column("wait_seconds", sa.Float(), nullable=True),
        sa.Column("talk_seconds", sa.Float(), nullable=True),
        sa.Column("ended_at", UTCDateTime(), nullable=True),
        sa.UniqueConstraint("callid", "queue", name="uq_queue_calls_callid_queue"),
    )
    op.create_index("ix_queue_calls_callid", "queue_calls", ["callid"])
    op.create_index("ix_queue_calls_queue", "queue_calls", ["queue"])
    op.create_table(
        "agent_sessions",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("agent", _s(64), nullable=False),
        sa.Column("queue", _s(64), nullable=False),
        sa.Column("login_at", UTCDateTime(), nullable=False),
        sa.Column("logout_at", UTCDateTime(), nullable=True),
    )
    op.create_index("ix_agent_sessions_agent", "agent_sessions", ["agent"])
    op.create_table(
        "agent_pauses",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("agent", _s(64), nullable=False),
        sa.Column("queue", _s(64), nullable=False),
        sa.Column("reason", _s(32), nullable=False),
        sa.Column("start", UTCDateTime(), nullable=False),
        sa.Column("end", UTCDateTime(), nullable=True),
    )
    op.create_index("ix_agent_pauses_agent", "agent_pauses", ["agent"])
    op.create_table(
        "queue_callbacks",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("callid", _s(64), nullable=False),
        sa.Column("queue", _s(64), nullable=False),
        sa.Column("number", _s(80), nullable=False),
        sa.Column("entered_at", UTCDateTime(), nullable=False),
        sa.Column("status", _s(16), nullable=False),
        sa.Column("placed_at", UTCDateTime(), nullable=True),
    )
    op.create_index("ix_queue_callbacks_callid", "queue_callbacks", ["callid"], unique=True)


def downgrade() -> None:
    for table in ("queue_callbacks", "agent_pauses", "agent_sessions", "queue_calls", "queue_log_entries"):
        op.drop_table(table)
    with op.batch_alter_table("agent_endpoints") as batch:
        batch.drop_column("contact")
    with op.batch_alter_table("queues") as batch:
        for column in ("callback_key", "info_prompt", "announce_frequency", "overflow"):
            batch.drop_column(column)
