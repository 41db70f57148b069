"""dialer: campaigns, contact lists, contacts, do-not-call, attempts, import reports

Revision ID: dialer_0001
Revises: 0001
Create Date: 2026-11-22

Written by hand (the dialer's own branch, so parallel capability work never collides).
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel

revision = "dialer_0001"
down_revision = "0001"
branch_labels = ("dialer",)
depends_on = None

Str = sqlmodel.sql.sqltypes.AutoString
When = sqlmodel.sql.sqltypes.UTCDateTime


def _id() -> sa.Column:
    return sa.Column("id", sa.Integer(), primary_key=True, nullable=False)


def upgrade() -> None:
    op.create_table(
        "dialer_campaigns", _id(),
        sa.Column("name", Str(length=64), nullable=False),
        sa.Column("mode", Str(length=16), nullable=False),
        sa.Column("state", Str(length=16), nullable=False),
        sa.Column("queue_name", Str(length=64), nullable=False),
        sa.Column("caller_id", Str(length=32), nullable=False),
        sa.Column("abandon_target", sa.Float(), nullable=False),
        sa.Column("max_attempts", sa.Integer(), nullable=False),
        sa.Column("retry_delays", sa.JSON(), nullable=False),
        sa.Column("window_days", sa.JSON(), nullable=False),
        sa.Column("window_start", Str(length=5), nullable=False),
        sa.Column("window_end", Str(length=5), nullable=False),
        sa.Column("default_timezone", Str(length=64), nullable=False),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("dial_timeout", sa.Integer(), nullable=False),
        sa.Column("amd_action", Str(length=16), nullable=False),
        sa.Column("broadcast_message", Str(length=2000), nullable=False),
        sa.Column("broadcast_agent_digit", Str(length=1), nullable=False),
        sa.Column("created_at", When(), nullable=False),
        sa.Column("updated_at", When(), nullable=False),
        sa.Column("started_at", When(), nullable=True),
    )
    op.create_index("ix_dialer_campaigns_name", "dialer_campaigns", ["name"], unique=True)
    op.create_index("ix_dialer_campaigns_state", "dialer_campaigns", ["state"])

    op.create_table(
        "dialer_contact_lists", _id(),
        sa.Column("name", Str(length=64), nullable=False),
        sa.Column("campaign_id", sa.Integer(), sa.ForeignKey("dialer_campaigns.id"), nullable=True),
        sa.Column("region", Str(length=2), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("field_names", sa.JSON(), nullable=False),
        sa.Column("created_at", When(), nullable=False),
    )
    op.create_index("ix_dialer_contact_lists_name", "dialer_contact_lists", ["name"], unique=True)
    op.create_index("ix_dialer_contact_lists_campaign_id", "dialer_contact_lists", ["campaign_id"])

    op.create_table(
        "dialer_contacts", _id(),
        sa.Column("list_id", sa.Integer(), sa.ForeignKey("dialer_contact_lists.id"), nullable=False),
        sa.Column("phone", Str(length=20), nullable=False),
        sa.Column("name", Str(length=200), nullable=False),
        sa.Column("timezone", Str(length=64), nullable=False),
        sa.Column("fields", sa.JSON(), nullable=False),
        sa.Column("status", Str(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", When(), nullable=True),
        sa.Column("claimed_at", When(), nullable=True),
        sa.Column("last_outcome", Str(length=16), nullable=False),
        sa.Column("last_disposition", Str(length=64), nullable=False),
        sa.Column("source_row", sa.Integer(), nullable=False),
        sa.Column("created_at", When(), nullable=False),
        sa.UniqueConstraint("list_id", "phone", name="uq_dialer_contacts_list_phone"),
    )
    op.create_index("ix_dialer_contacts_list_id", "dialer_contacts", ["list_id"])
    op.create_index("ix_dialer_contacts_phone", "dialer_contacts", ["phone"])
    op.create_index("ix_dialer_contacts_status", "dialer_contacts", ["status"])

    op.create_table(
        "dialer_dnc", _id(),
        sa.Column("phone", Str(length=20), nullable=False),
        sa.Column("reason", Str(length=200), nullable=False),
        sa.Column("created_at", When(), nullable=False),
    )
    op.create_index("ix_dialer_dnc_phone", "dialer_dnc", ["phone"], unique=True)

    op.create_table(
        "dialer_attempts", _id(),
        sa.Column("campaign_id", sa.Integer(), sa.ForeignKey("dialer_campaigns.id"), nullable=False),
        sa.Column("contact_id", sa.Integer(), sa.ForeignKey("dialer_contacts.id"), nullable=False),
        sa.Column("phone", Str(length=20), nullable=False),
        sa.Column("started_at", When(), nullable=False),
        sa.Column("ended_at", When(), nullable=True),
        sa.Column("outcome", Str(length=16), nullable=False),
        sa.Column("disposition", Str(length=64), nullable=False),
        sa.Column("agent_user_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=True),
        sa.Column("linkedid", Str(length=64), nullable=False),
    )
    op.create_index("ix_dialer_attempts_campaign_id", "dialer_attempts", ["campaign_id"])
    op.create_index("ix_dialer_attempts_contact_id", "dialer_attempts", ["contact_id"])
    op.create_index("ix_dialer_attempts_started_at", "dialer_attempts", ["started_at"])
    op.create_index("ix_dialer_attempts_linkedid", "dialer_attempts", ["linkedid"])

    op.create_table(
        "dialer_imports", _id(),
        sa.Column("list_id", sa.Integer(), sa.ForeignKey("dialer_contact_lists.id"), nullable=False),
        sa.Column("filename", Str(length=255), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("accepted", sa.Integer(), nullable=False),
        sa.Column("rejected", sa.Integer(), nullable=False),
        sa.Column("rejections", sa.JSON(), nullable=False),
        sa.Column("seconds", sa.Float(), nullable=False),
        sa.Column("username", Str(length=64), nullable=False),
        sa.Column("created_at", When(), nullable=False),
    )
    op.create_index("ix_dialer_imports_list_id", "dialer_imports", ["list_id"])


def downgrade() -> None:
    for table in ("dialer_imports", "dialer_attempts", "dialer_dnc", "dialer_contacts",
                  "dialer_contact_lists", "dialer_campaigns"):
        op.drop_table(table)
