"""The CLI refuses bad input with one line naming the field and exit code 2, and writes nothing."""

from __future__ import annotations

from typer.testing import CliRunner

from reports.scheduled.cli import app

BASE = ["add", "Diario", "--owner", "sofia", "--to", "jefa@example.org"]


def test_bad_input_is_named(stack_env):
    from api.users import service as users
    from centralita.db import session_scope

    with session_scope() as session:
        users.create_user(session, "sofia", "supervisor-pass-1", role="supervisor")
        users.create_user(session, "ana", "agent-password-1", role="agent")
    cli = CliRunner()
    for extra, field in [
        (["--frequency", "hourly"], "frequency"),
        (["--to", "not-an-address"], "recipients"),
        (["--format", "docx"], "formats"),
        (["--queue", "no-such-queue"], "queues"),
        (["--frequency", "weekly"], "weekday"),
        (["--owner", "ana"], "owner"),
        (["--owner", "nobody"], "owner"),
    ]:
        result = cli.invoke(app, BASE + extra)
        assert result.exit_code == 2, (extra, result.output)
        assert f"error: {field}:" in result.output, (extra, result.output)
    assert cli.invoke(app, ["list"]).output.strip() == "no schedules"
    bad_at = cli.invoke(app, ["tick", "--at", "yesterday"])
    assert bad_at.exit_code == 2 and "error: at:" in bad_at.output
    made = cli.invoke(app, BASE)
    assert made.exit_code == 0 and made.output.startswith("schedule Diario (id 1): next run ")
    assert "Diario\tdaily 07:00 UTC" in cli.invoke(app, ["list"]).output
    assert cli.invoke(app, ["remove", "Nada"]).exit_code == 1
    assert cli.invoke(app, ["remove", "Diario"]).output.strip() == "deleted Diario"
