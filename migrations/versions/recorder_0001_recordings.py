"""Recorder: recordings with pipeline state, retention policies, per-scope settings, QA, exports,
and full-text search over transcripts (SQLite FTS5 / PostgreSQL tsvector + GIN).

Revision ID: recorder_0001
Revises: 0001
"""
import sqlalchemy as sa
from sqlmodel.sql.sqltypes import UTCDateTime
from alembic import op

revision = "recorder_0001"
down_revision = "0001"
branch_labels = ("recorder",)
depends_on = None


def _s(n: int) -> sa.String:
    return sa.String(length=n)


def _json(name: str, default: str = "[]") -> sa.Column:
    return sa.Column(name, sa.JSON(), nullable=False, server_default=default)


def upgrade() -> None:
    op.create_table(
        "recordings",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("uniqueid", _s(64), nullable=False),
        sa.Column("linkedid", _s(64), nullable=False),
        sa.Column("started_at", UTCDateTime(), nullable=False),
        sa.Column("ended_at", UTCDateTime(), nullable=True),
        sa.Column("duration", sa.Float(), nullable=False, server_default="0"),
        sa.Column("direction", _s(16), nullable=False, server_default="inbound"),
        sa.Column("caller", _s(80), nullable=False, server_default=""),
        sa.Column("agent", _s(64), nullable=False, server_default=""),
        sa.Column("queue", _s(64), nullable=False, server_default=""),
        sa.Column("flow", _s(64), nullable=False, server_default=""),
        sa.Column("campaign", _s(64), nullable=False, server_default=""),
        sa.Column("ivr_path", _s(255), nullable=False, server_default=""),
        sa.Column("disposition", _s(32), nullable=False, server_default=""),
        sa.Column("language", _s(8), nullable=False, server_default="es"),
        _json("pauses"),
        sa.Column("stage", _s(16), nullable=False, server_default="recording"),
        sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("last_error", _s(500), nullable=False, server_default=""),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("wav_path", _s(500), nullable=False, server_default=""),
        sa.Column("wav_sha256", _s(64), nullable=False, server_default=""),
        sa.Column("wav_deleted_at", UTCDateTime(), nullable=True),
        sa.Column("claimed_by", _s(64), nullable=False, server_default=""),
        sa.Column("claimed_until", UTCDateTime(), nullable=True),
        sa.Column("archive_backend", _s(16), nullable=False, server_default=""),
        sa.Column("archive_key", _s(500), nullable=False, server_default=""),
        sa.Column("archive_sha256", _s(64), nullable=False, server_default=""),
        sa.Column("archive_bytes", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("archive_verified_at", UTCDateTime(), nullable=True),
        sa.Column("key_id", _s(64), nullable=False, server_default=""),
        sa.Column("wrapped_key", _s(255), nullable=False, server_default=""),
        sa.Column("retention_class", _s(32), nullable=False, server_default="default"),
        sa.Column("retain_until", UTCDateTime(), nullable=True),
        sa.Column("legal_hold", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("legal_hold_reason", _s(255), nullable=False, server_default=""),
        sa.Column("purged_at", UTCDateTime(), nullable=True),
        _json("transcript", "{}"),
        sa.Column("transcript_text", sa.Text(), nullable=False, server_default=""),
        _json("analysis", "{}"),
        sa.Column("sentiment_caller", sa.Float(), nullable=True),
        sa.Column("sentiment_agent", sa.Float(), nullable=True),
        _json("categories"),
        _json("tags"),
    )
    for col in ("linkedid", "started_at", "caller", "agent", "queue", "campaign", "stage", "retain_until", "legal_hold"):
        op.create_index(f"ix_recordings_{col}", "recordings", [col])
    op.create_index("ix_recordings_uniqueid", "recordings", ["uniqueid"], unique=True)

    op.create_table(
        "retention_policies",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", _s(32), nullable=False),
        sa.Column("days", sa.Integer(), nullable=False),
        _json("match", "{}"),
    )
    op.create_index("ix_retention_policies_name", "retention_policies", ["name"], unique=True)
    op.create_table(
        "recording_settings",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("scope", _s(16), nullable=False),
        sa.Column("name", _s(64), nullable=False),
        sa.Column("record", sa.Boolean(), nullable=False, server_default=sa.true()),
        sa.Column("language", _s(8), nullable=False, server_default="es"),
        sa.UniqueConstraint("scope", "name", name="uq_recording_settings_scope_name"),
    )
    op.create_table(
        "qa_scorecards",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", _s(64), nullable=False),
        _json("criteria"),
        sa.Column("active", sa.Boolean(), nullable=False, server_default=sa.true()),
    )
    op.create_index("ix_qa_scorecards_name", "qa_scorecards", ["name"], unique=True)
    op.create_table(
        "qa_evaluations",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("recording_id", sa.Integer(), sa.ForeignKey("recordings.id"), nullable=False),
        sa.Column("scorecard_id", sa.Integer(), sa.ForeignKey("qa_scorecards.id"), nullable=False),
        sa.Column("agent", _s(64), nullable=False, server_default=""),
        sa.Column("evaluator", _s(64), nullable=False, server_default=""),
        sa.Column("at", UTCDateTime(), nullable=False),
        _json("answers", "{}"),
        sa.Column("score", sa.Float(), nullable=False, server_default="0"),
        sa.Column("comment", _s(1000), nullable=False, server_default=""),
    )
    for col in ("recording_id", "scorecard_id", "agent", "at"):
        op.create_index(f"ix_qa_evaluations_{col}", "qa_evaluations", [col])
    op.create_table(
        "recording_exports",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("requested_by", _s(64), nullable=False, server_default=""),
        sa.Column("at", UTCDateTime(), nullable=False),
        _json("filters", "{}"),
        sa.Column("state", _s(16), nullable=False, server_default="queued"),
        sa.Column("total", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("done", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("path", _s(500), nullable=False, server_default=""),
        sa.Column("error", _s(500), nullable=False, server_default=""),
    )

    # Full-text search over the (redacted) transcript. 'simple' / unicode61: no stemming, so it works
    # the same for Spanish, English and the Korean test model; diacritics folded on SQLite.
    if op.get_bind().dialect.name == "sqlite":
        op.execute("CREATE VIRTUAL TABLE recordings_fts USING fts5(transcript_text, content='recordings', "
                   "content_rowid='id', tokenize='unicode61 remove_diacritics 2')")
        op.execute("CREATE TRIGGER recordings_fts_ai AFTER INSERT ON recordings BEGIN "
                   "INSERT INTO recordings_fts(rowid, transcript_text) VALUES (new.id, new.transcript_text); END")
        op.execute("CREATE TRIGGER recordings_fts_ad AFTER DELETE ON recordings BEGIN "
                   "INSERT INTO recordings_fts(recordings_fts, rowid, transcript_text) "
                   "VALUES ('delete', old.id, old.transcript_text); END")
        op.execute("CREATE TRIGGER recordings_fts_au AFTER UPDATE OF transcript_text ON recordings BEGIN "
                   "INSERT INTO recordings_fts(recordings_fts, rowid, transcript_text) "
                   "VALUES ('delete', old.id, old.transcript_text); "
                   "INSERT INTO recordings_fts(rowid, transcript_text) VALUES (new.id, new.transcript_text); END")
    else:
        op.execute("CREATE INDEX ix_recordings_fts ON recordings USING gin (to_tsvector('simple', transcript_text))")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for trig in ("ai", "ad", "au"):
            op.execute(f"DROP TRIGGER IF EXISTS recordings_fts_{trig}")
        op.execute("DROP TABLE IF EXISTS recordings_fts")
    for table in ("recording_exports", "qa_evaluations", "qa_scorecards", "recording_settings",
                  "retention_policies", "recordings"):
        op.drop_table(table)
