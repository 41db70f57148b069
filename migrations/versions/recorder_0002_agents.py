"""Recorder: every agent who spoke on a recording (a transferred call has more than one).

Revision ID: recorder_0002
Revises: recorder_0001
"""

import sqlalchemy as sa
from alembic import op

revision = "recorder_0002"
down_revision = "recorder_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("recordings") as batch:
        batch.add_column(sa.Column("agents", sa.JSON(), nullable=False, server_default="[]"))


def downgrade() -> None:
    with op.batch_alter_table("recordings") as batch:
        batch.drop_column("agents")
