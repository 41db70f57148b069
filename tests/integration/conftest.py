"""Integration fixtures: a real Asterisk (provisioned by `make test`), real Redis, real sipp calls."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from stack import Stack

from centralita.settings import Settings
from centralita.telephony.provision import effective_root, is_provisioned, system_asterisk


def _require_tools() -> None:
    root = effective_root(Settings())
    missing = [tool for tool in ("sipp", "redis-server", "espeak-ng", "sox") if not shutil.which(tool)]
    if root != Path("/") and not is_provisioned(root):
        missing.append(f"Asterisk root at {root}")
    elif root == Path("/") and not system_asterisk():
        missing.append("asterisk")
    if missing:
        message = f"integration prerequisites missing: {', '.join(missing)} (run `make setup-test`)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)


@pytest.fixture(scope="module")
def stack(tmp_path_factory, request):
    """Redis, Asterisk, FastAGI and the API, started one by one, with demo data and an admin."""
    _require_tools()
    port_base = getattr(request.module, "PORT_BASE", 25000)
    data_dir = tmp_path_factory.mktemp("stack")
    s = Stack(data_dir, f"sqlite:///{data_dir / 'centralita.db'}", port_base=port_base)
    try:
        s.cli("db", "upgrade")
        s.cli("demo", "seed")
        admin = s.cli("user", "add", "boss", "--role", "admin", "--password", "boss-password-1")
        assert admin.returncode == 0
        s.cli("user", "add", "ana", "--role", "agent", "--password", "agent-password-1")
        s.start_redis()
        s.start_asterisk()
        s.start_service("fastagi")
        s.start_service("api")
        assert s.wait_health("ok"), f"stack not healthy: {s.health()}"
        yield s
    finally:
        s.stop_all()
