"""`centralita bench reports` on a tiny data set, both databases: the JSON's shape and its sanity (the
engine's totals equal the raw rows'), never its timings."""

from __future__ import annotations

import json
import secrets

from typer.testing import CliRunner

from centralita.cli.bench_cmd import bench_app
from centralita.settings import reset_settings_cache

QUERIES = {"day_x_queue", "intervals_of_month", "agent_month", "year_by_month"}


def test_bench_reports_tiny_run(tmp_path, monkeypatch, postgres_server):
    for key, value in {
        "CENTRALITA_DATA_DIR": str(tmp_path / "var"),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'unused.db'}",
        "CENTRALITA_SECRET_KEY": secrets.token_hex(16),
        "CENTRALITA_AMI_SECRET": secrets.token_hex(8),
        "CENTRALITA_ARI_SECRET": secrets.token_hex(8),
    }.items():
        monkeypatch.setenv(key, value)
    monkeypatch.chdir(tmp_path)
    reset_settings_cache()
    args = ["reports", "--calls", "2000", "--days", "7", "--queues", "4", "--agents", "10", "--repeats", "2"]
    args += ["--incremental", "2", "--postgres-url", postgres_server, "--json"]
    result = CliRunner().invoke(bench_app, args)
    reset_settings_cache()
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert (doc["bench"], doc["calls"], doc["days"], doc["queues"], doc["agents"]) == ("reports", 2000, 7, 4, 10)
    assert set(doc["backends"]) == {"sqlite", "postgresql"}
    assert "day 7/7" in result.stderr  # progress goes to stderr, the JSON alone to stdout
    for name, b in doc["backends"].items():
        rows = b["generation"]["rows"]
        assert rows["report_calls"] == 2000, name  # every call has its call fact
        assert rows["report_queue_visits"] == rows["queue_calls"] > 1500
        assert rows["report_kpi_15m"] > 0 and rows["report_agent_15m"] > 0
        assert set(b["queries"]) == QUERIES
        for q in b["queries"].values():
            assert q["rows"] > 0
            for side in ("kpi", "raw"):
                assert q[side]["n"] == 2 and 0 < q[side]["p50_ms"] <= q[side]["p95_ms"] <= q[side]["max_ms"]
            assert q["raw_over_kpi_p50"] > 0 and isinstance(q["meets_target"], bool)
        t = b["totals"]
        for figure in ("offered", "answered", "short_abandoned"):
            assert t[figure]["kpi"] == t[figure]["raw"] > 0, (name, figure)
        assert 0 < t["sl_answered"] <= 1 and 1 <= t["csat"] <= 5 and 0 < t["ivr_self_service"] < 1
        assert b["incremental"]["calls"] == 2 and b["incremental"]["process"]["p50_ms"] > 0
    assert isinstance(doc["meets_target"], bool)
