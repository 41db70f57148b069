"""`centralita up -d` / `down` as a new user runs them, and bad configuration stopping cleanly."""

from __future__ import annotations

import json
import socket
import subprocess
import time

import pytest
from stack import CLI, Stack, port_base

pytestmark = pytest.mark.asterisk
PORT_BASE = port_base(26000)


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    from conftest import _require_tools

    _require_tools()
    return tmp_path_factory.mktemp("home")


def _run(env, cwd, *args, timeout=180):
    return subprocess.run([*CLI, *args], env=env, cwd=cwd, capture_output=True, text=True, timeout=timeout)


def test_up_down_demo_call_and_asterisk_crash_recovery(home):
    stack = Stack(home / "var", f"sqlite:///{home / 'var' / 'centralita.db'}", port_base=PORT_BASE)
    env = {
        k: v
        for k, v in stack.env.items()
        if k not in ("CENTRALITA_SECRET_KEY", "CENTRALITA_AMI_SECRET", "CENTRALITA_ARI_SECRET")
    }
    # `init` writes .env with fresh secrets once, as `make up` does on a new machine.
    init = _run(env, home, "init")
    assert init.returncode == 0, init.stderr
    assert (home / ".env").exists() and "CENTRALITA_AMI_SECRET=" in (home / ".env").read_text()
    admin = _run(env, home, "user", "bootstrap-admin")
    assert "shown once" in admin.stdout
    assert "shown once" not in _run(env, home, "user", "bootstrap-admin").stdout
    try:
        started = time.monotonic()
        up = _run(env, home, "up", "-d", "--wait", "120")
        assert up.returncode == 0, up.stdout + up.stderr
        assert json.loads(up.stdout.splitlines()[0])["status"] == "ok"
        print(f"first `up -d` to health ok: {time.monotonic() - started:.1f} s")

        call = _run(env, home, "demo", "call", "--digits", "1", "--hold", "2")
        assert call.returncode == 0, call.stdout + call.stderr
        result = json.loads(call.stdout[call.stdout.index("{") :])
        assert result["call_record_id"] and abs(result["duration"] - result["sipp_seconds"]) < 1.0

        status = _run(env, home, "status")
        assert status.returncode == 0 and json.loads(status.stdout)["status"] == "ok"

        # A second `up` while running is refused with one line, and changes nothing.
        again = _run(env, home, "up", "-d")
        assert again.returncode != 0 and "already running" in again.stderr

        # Asterisk crashes: the supervisor restarts it, AMI/ARI reconnect, health returns to ok.
        stack.env = {**env, **_dotenv(home / ".env")}
        stack.kill_asterisk()
        assert stack.wait_health("degraded", 15), stack.health()
        assert stack.wait_health("ok"), stack.health()

        down = _run(env, home, "down")
        assert down.returncode == 0, down.stderr
        assert stack.health() is None

        started = time.monotonic()
        up = _run(env, home, "up", "-d", "--wait", "60")
        assert up.returncode == 0, up.stdout + up.stderr
        print(f"later `up -d` to health ok: {time.monotonic() - started:.1f} s")
    finally:
        _run(env, home, "down")


def _dotenv(path):
    return dict(
        line.split("=", 1) for line in path.read_text().splitlines() if "=" in line and not line.startswith("#")
    )


@pytest.mark.parametrize("case", ["missing_secret", "port_taken", "unreachable_database", "malformed_setting"])
def test_bad_configuration_stops_with_one_line(tmp_path, case):
    stack = Stack(tmp_path / "var", f"sqlite:///{tmp_path / 'var' / 'centralita.db'}", port_base=PORT_BASE + 500)
    env = dict(stack.env)
    expected = {
        "missing_secret": "CENTRALITA_AMI_SECRET",
        "port_taken": "CENTRALITA_API_PORT",
        "unreachable_database": "DATABASE_URL",
        "malformed_setting": "CENTRALITA_FASTAGI_PORT",
    }[case]
    blocker = None
    if case == "missing_secret":
        env["CENTRALITA_AMI_SECRET"] = ""
    elif case == "port_taken":
        blocker = socket.socket()
        blocker.bind(("127.0.0.1", int(env["CENTRALITA_API_PORT"])))
        blocker.listen()
    elif case == "unreachable_database":
        env["DATABASE_URL"] = "postgresql+psycopg://nobody@127.0.0.1:1/centralita"
    elif case == "malformed_setting":
        env["CENTRALITA_FASTAGI_PORT"] = "not-a-port"
    try:
        result = _run(env, tmp_path, "up", "-d", timeout=60)
    finally:
        if blocker:
            blocker.close()
    assert result.returncode != 0
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and expected in lines[0], result.stderr
    # Nothing half-written: no data directory, no pid file, no logs.
    assert not (tmp_path / "var").exists() or not any((tmp_path / "var").rglob("*.pid"))
    assert not (tmp_path / ".env").exists()
