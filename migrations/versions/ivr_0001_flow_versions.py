"""ivr: flow versions, prompts, contacts, survey answers, hours overrides

Revision ID: ivr_0001
Revises: 0001
Create Date: 2026-11-22
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel

revision = "ivr_0001"
down_revision = "0001"
branch_labels = ("ivr",)
depends_on = None

S = sqlmodel.sql.sqltypes.AutoString
T = sqlmodel.sql.sqltypes.UTCDateTime


def upgrade() -> None:
    with op.batch_alter_table("flows") as batch:
        batch.add_column(sa.Column("published_version", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("updated_at", T(), nullable=True))
    op.create_table(
        "ivr_flow_versions",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("flow_id", sa.Integer(), sa.ForeignKey("flows.id"), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("definition", sa.JSON(), nullable=False),
        sa.Column("comment", S(length=200), nullable=False),
        sa.Column("created_by", S(length=64), nullable=False),
        sa.Column("created_at", T(), nullable=False),
        sa.Column("published_at", T(), nullable=True),
        sa.UniqueConstraint("flow_id", "version", name="uq_ivr_flow_version"),
    )
    op.create_index("ix_ivr_flow_versions_flow_id", "ivr_flow_versions", ["flow_id"])
    op.create_table(
        "ivr_prompts",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", S(length=64), nullable=False),
        sa.Column("source", S(length=16), nullable=False),
        sa.Column("text", S(length=2000), nullable=False),
        sa.Column("language", S(length=8), nullable=False),
        sa.Column("audio", sa.LargeBinary(), nullable=False),
        sa.Column("sha1", S(length=40), nullable=False),
        sa.Column("created_at", T(), nullable=False),
    )
    op.create_index("ix_ivr_prompts_name", "ivr_prompts", ["name"], unique=True)
    op.create_table(
        "ivr_contacts",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("phone", S(length=20), nullable=False),
        sa.Column("name", S(length=160), nullable=False),
        sa.Column("national_id", S(length=32), nullable=False),
        sa.Column("note", S(length=500), nullable=False),
    )
    op.create_index("ix_ivr_contacts_phone", "ivr_contacts", ["phone"], unique=True)
    op.create_table(
        "ivr_survey_answers",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("linkedid", S(length=64), nullable=False),
        sa.Column("flow", S(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("question", sa.Integer(), nullable=False),
        sa.Column("answer", sa.Integer(), nullable=False),
        sa.Column("agent", S(length=160), nullable=False),
        sa.Column("queue", S(length=64), nullable=False),
        sa.Column("caller", S(length=80), nullable=False),
        sa.Column("at", T(), nullable=False),
    )
    op.create_index("ix_ivr_survey_answers_linkedid", "ivr_survey_answers", ["linkedid"])
    op.create_table(
        "ivr_hours_overrides",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("flow", S(length=64), nullable=False),
        sa.Column("node", S(length=24), nullable=False),
        sa.Column("state", S(length=8), nullable=False),
        sa.Column("set_by", S(length=64), nullable=False),
        sa.Column("at", T(), nullable=False),
        sa.UniqueConstraint("flow", "node", name="uq_ivr_hours_override"),
    )


def downgrade() -> None:
    op.drop_table("ivr_hours_overrides")
    op.drop_index("ix_ivr_survey_answers_linkedid", "ivr_survey_answers")
    op.drop_table("ivr_survey_answers")
    op.drop_index("ix_ivr_contacts_phone", "ivr_contacts")
    op.drop_table("ivr_contacts")
    op.drop_index("ix_ivr_prompts_name", "ivr_prompts")
    op.drop_table("ivr_prompts")
    op.drop_index("ix_ivr_flow_versions_flow_id", "ivr_flow_versions")
    op.drop_table("ivr_flow_versions")
    with op.batch_alter_table("flows") as batch:
        batch.drop_column("updated_at")
        batch.drop_column("published_version")
