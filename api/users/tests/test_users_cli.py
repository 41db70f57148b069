"""`centralita user ...` through typer's CliRunner, on SQLite and PostgreSQL."""

from __future__ import annotations

import re

from typer.testing import CliRunner

from api.users import service
from api.users.cli import user_app
from centralita.db import session_scope

runner = CliRunner()


def test_add_generates_password_shown_once_and_list(stack_env):
    r = runner.invoke(user_app, ["add", "Lucia", "--role", "supervisor", "--full-name", "Lucía Gómez"])
    assert r.exit_code == 0, r.output
    password = re.search(r"password for lucia: (\S+) \(shown once\)", r.output).group(1)
    with session_scope() as s:
        assert service.authenticate(s, "lucia", password) is not None
    r = runner.invoke(user_app, ["add", "pedro", "--password", "given-password-1"])
    assert r.exit_code == 0 and "given-password-1" not in r.output and "shown once" not in r.output
    r = runner.invoke(user_app, ["list"])
    assert r.exit_code == 0
    assert re.search(r"lucia\s+supervisor\s+active\s+Lucía Gómez", r.output)
    assert re.search(r"pedro\s+agent\s+active", r.output)
    assert password not in r.output


def test_add_rejects_bad_role_and_duplicates(stack_env):
    r = runner.invoke(user_app, ["add", "eva", "--role", "root"])
    assert r.exit_code == 2 and "role" in r.output and "agent, supervisor, admin" in r.output
    r = runner.invoke(user_app, ["add", "eva", "--password", "short"])
    assert r.exit_code == 2 and "password" in r.output
    assert runner.invoke(user_app, ["add", "eva"]).exit_code == 0
    r = runner.invoke(user_app, ["add", "eva"])
    assert r.exit_code == 1 and "already exists" in r.output
    assert runner.invoke(user_app, ["list"]).output.count("eva") == 1


def test_bootstrap_admin_prints_password_once(stack_env):
    first = runner.invoke(user_app, ["bootstrap-admin"])
    assert first.exit_code == 0
    password = re.fullmatch(r"admin password: (\S+) \(shown once\)\n", first.output).group(1)
    second = runner.invoke(user_app, ["bootstrap-admin"])
    assert second.exit_code == 0 and second.output == "an admin already exists\n"
    with session_scope() as s:
        assert service.authenticate(s, "admin", password).role == "admin"


def test_passwd(stack_env):
    runner.invoke(user_app, ["add", "tomas", "--password", "first-password-1"])
    r = runner.invoke(user_app, ["passwd", "tomas"])
    assert r.exit_code == 0
    new = re.search(r"password changed for tomas: (\S+) \(shown once\)", r.output).group(1)
    with session_scope() as s:
        assert service.authenticate(s, "tomas", "first-password-1") is None
        assert service.authenticate(s, "tomas", new) is not None
    r = runner.invoke(user_app, ["passwd", "nadie"])
    assert r.exit_code == 1 and "username" in r.output
