"""dialer: what the dialing engine records on each attempt (answer, AMD, agent, disposition time)

Revision ID: dialer_0002
Revises: dialer_0001
Create Date: 2026-11-22
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "dialer_0002"
down_revision = "dialer_0001"
branch_labels = None
depends_on = None

Str = sqlmodel.sql.sqltypes.AutoString
When = sqlmodel.sql.sqltypes.UTCDateTime


def upgrade() -> None:
    with op.batch_alter_table("dialer_attempts") as batch:
        batch.add_column(sa.Column("answered_at", When(), nullable=True))
        batch.add_column(sa.Column("amd_status", Str(length=16), nullable=False, server_default=""))
        batch.add_column(sa.Column("connected_at", When(), nullable=True))
        batch.add_column(sa.Column("agent_name", Str(length=64), nullable=False, server_default=""))
        batch.add_column(sa.Column("right_party", sa.Boolean(), nullable=True))
        batch.add_column(sa.Column("disposed_at", When(), nullable=True))
    # The engine's sweeps look for claimed contacts by age.
    op.create_index("ix_dialer_contacts_status_claimed", "dialer_contacts", ["status", "claimed_at"])


def downgrade() -> None:
    op.drop_index("ix_dialer_contacts_status_claimed", "dialer_contacts")
    with op.batch_alter_table("dialer_attempts") as batch:
        for column in ("disposed_at", "right_party", "agent_name", "connected_at", "amd_status", "answered_at"):
            batch.drop_column(column)
