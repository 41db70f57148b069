"""`centralita reports bi-user create`: on the real PostgreSQL the role reads the BI views and nothing
else, cannot write or create, and a second run rotates its password; on SQLite it explains the
read-only URI and fails clearly."""

from __future__ import annotations

import json

import psycopg
import pytest
from typer.testing import CliRunner

from centralita import db
from reports import bi
from reports.cli import app


def _invoke(*args: str):
    return CliRunner().invoke(app, ["bi-user", "create", *args])


def test_bi_user_reads_the_views_only(stack_env, db_url):
    if not db_url.startswith("postgresql"):
        pytest.skip("roles exist on PostgreSQL only (the SQLite case is the next test)")
    first = _invoke("--name", "powerbi", "--json")
    assert first.exit_code == 0, first.output
    out = json.loads(first.stdout)
    assert out["created"] is True and out["role"] == "powerbi" and out["views"] == list(bi.VIEWS)
    url = db.get_engine().url
    conninfo = dict(host=url.host, port=url.port, dbname=url.database, user="powerbi", password=out["password"])

    with psycopg.connect(**conninfo) as conn:
        assert conn.execute("SHOW default_transaction_read_only").fetchone() == ("on",)
        for view in bi.VIEWS:
            conn.execute(f"SELECT * FROM {view} LIMIT 1").fetchall()
        assert conn.execute("SELECT count(*) FROM dim_time_15m").fetchone() == (96,)
    for table in ("report_calls", "report_queue_visits", "queue_log_entries", "users", "ivr_survey_answers"):
        with psycopg.connect(**conninfo) as conn, pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute(f"SELECT * FROM {table} LIMIT 1")
    with psycopg.connect(**conninfo) as conn, pytest.raises(psycopg.errors.ReadOnlySqlTransaction):
        conn.execute("CREATE TABLE powerbi_scratch (i integer)")
    # Even a read-write transaction it opens itself may not create nor write.
    with psycopg.connect(**conninfo, autocommit=True) as conn:
        conn.execute("SET default_transaction_read_only = off")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("CREATE TABLE powerbi_scratch (i integer)")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute(
                "INSERT INTO report_queue_settings (queue, sl_threshold_s, short_abandon_s, colours, updated_at)"
                " VALUES ('x', 1, 1, '{}', now())"
            )
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("CREATE VIEW powerbi_view AS SELECT 1")

    with db.get_engine().connect() as conn:
        role = conn.exec_driver_sql(
            "SELECT rolcanlogin, rolsuper, rolcreatedb, rolcreaterole, rolconfig FROM pg_roles WHERE rolname = 'powerbi'"
        ).one()
    assert role[:4] == (True, False, False, False)
    assert "default_transaction_read_only=on" in role[4]

    second = _invoke("--name", "powerbi", "--json")  # idempotent: the same role, a new password
    assert second.exit_code == 0, second.output
    again = json.loads(second.stdout)
    assert again["created"] is False and again["password"] != out["password"]
    with psycopg.connect(**{**conninfo, "password": again["password"]}) as conn:
        assert conn.execute("SELECT count(*) FROM fact_call").fetchone() == (0,)

    text = _invoke("--name", "powerbi")
    assert text.exit_code == 0
    assert "password rotated" in text.stdout and "database" in text.stdout


def test_bi_user_on_sqlite_explains_the_read_only_uri(stack_env, db_url):
    if not db_url.startswith("sqlite"):
        pytest.skip("the PostgreSQL case is the test above")
    result = _invoke("--name", "powerbi")
    assert result.exit_code == 1
    assert "SQLite has no database roles" in result.stderr
    assert "?mode=ro" in result.stderr and db_url.split("///", 1)[1] in result.stderr


def test_bi_user_name_is_checked(stack_env):
    result = _invoke("--name", "Power BI")
    assert result.exit_code == 2
    assert "--name" in result.stderr
