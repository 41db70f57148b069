"""`centralita queues ...` through typer's CliRunner, on SQLite and PostgreSQL (no Asterisk: the
messages say what is stored and that nothing live happened)."""

from __future__ import annotations

from typer.testing import CliRunner

from queues.cli import app

runner = CliRunner()


def test_cli_creates_and_refuses_with_the_field_named(stack_env, monkeypatch):
    import socket

    from centralita.settings import reset_settings_cache
    from centralita.telephony.sipp import free_port

    monkeypatch.setenv("CENTRALITA_AMI_PORT", str(free_port(socket.SOCK_STREAM)))  # surely no Asterisk there
    reset_settings_cache()
    r = runner.invoke(app, ["add", "atencion", "--wrapup", "3", "--callback-key", "5"])
    assert r.exit_code == 0 and "created queue atencion" in r.output
    r = runner.invoke(app, ["add", "otra", "--strategy", "fastest"])
    assert r.exit_code == 2 and "strategy:" in r.output
    r = runner.invoke(app, ["add", "otra", "--overflow", "{nope"])
    assert r.exit_code == 2 and "overflow: not valid JSON" in r.output
    r = runner.invoke(app, ["agent-add", "marta", "1005"])
    assert r.exit_code == 0 and "softphone: user marta, password" in r.output and "(shown once)" in r.output
    assert runner.invoke(app, ["skill", "marta", "atencion", "--penalty", "2"]).exit_code == 0
    r = runner.invoke(app, ["skill", "marta", "nope"])
    assert r.exit_code == 1 and "queue: queue 'nope' not found" in r.output
    r = runner.invoke(app, ["pause", "marta", "siesta"])
    assert r.exit_code == 2 and "reason:" in r.output
    r = runner.invoke(app, ["login", "nobody"])
    assert r.exit_code == 1 and "agent: agent 'nobody' not found" in r.output
    r = runner.invoke(app, ["login", "marta"])  # no stack running in this test
    assert r.exit_code == 1 and "asterisk: AMI is not reachable" in r.output
    r = runner.invoke(app, ["list"])
    assert "atencion\trrmemory\twrapup=3s" in r.output and "otra" not in r.output
