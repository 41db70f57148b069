"""A Centralita stack for integration tests, each process started separately so a test can stop,
kill or restart any one of them. Ports and data live apart from a developer's `make up` stack."""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[2]
CLI = [sys.executable, "-m", "centralita.cli"]


def port_base(base: int) -> int:
    """A module's ports, shifted by CENTRALITA_TEST_PORT_SHIFT so two suites can run side by side on one
    machine (e.g. the suite under several fixed clocks at once)."""
    return base + int(os.environ.get("CENTRALITA_TEST_PORT_SHIFT") or 0)


def test_env(data_dir: Path, database_url: str, port_base: int = 25000) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("CENTRALITA_") and k not in ("DATABASE_URL", "REDIS_URL")
    }
    # The stack's processes run from data_dir: without this the venv's editable install would import the
    # checkout it was made from (the main tree), not the one under test (a git worktree).
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), os.environ.get("PYTHONPATH", "")) if p)
    env.update(
        {
            "CENTRALITA_DATA_DIR": str(data_dir),
            "DATABASE_URL": database_url,
            "CENTRALITA_SECRET_KEY": secrets.token_hex(16),
            "CENTRALITA_AMI_SECRET": secrets.token_hex(8),
            "CENTRALITA_ARI_SECRET": secrets.token_hex(8),
            "CENTRALITA_SIP_PORT": str(port_base + 60),
            "CENTRALITA_AMI_PORT": str(port_base + 38),
            "CENTRALITA_ARI_PORT": str(port_base + 88),
            "CENTRALITA_FASTAGI_PORT": str(port_base + 73),
            "CENTRALITA_API_PORT": str(port_base + 80),
            "CENTRALITA_REDIS_PORT": str(port_base + 79),
            # 250 RTP port pairs: the IVR's 400-call burst has had over a hundred calls up at once on a
            # slow machine, and a call Asterisk finds no port for is refused with 488 Not Acceptable Here.
            "CENTRALITA_RTP_START": str(port_base + 400),
            "CENTRALITA_RTP_END": str(port_base + 899),
        }
    )
    return env


class Stack:
    def __init__(self, data_dir: Path, database_url: str, port_base: int = 25000):
        self.data_dir = data_dir
        self.env = test_env(data_dir, database_url, port_base)
        self.api_url = f"http://127.0.0.1:{self.env['CENTRALITA_API_PORT']}"
        self.procs: dict[str, subprocess.Popen] = {}
        self.log_dir = data_dir / "log"
        self.log_dir.mkdir(parents=True, exist_ok=True)
        self._forget_an_earlier_run()

    def _forget_an_earlier_run(self) -> None:
        """The Asterisk instance in the chroot is named after the data directory, and pytest reuses
        directory names across runs (pytest-0/stack0 on every new machine's first run): a CDR file left
        there by an earlier run would be read again by this run's new database."""
        from centralita.telephony.pbx import instance_paths
        from centralita.telephony.provision import SYSTEM_ROOT

        paths = instance_paths(self.settings())
        if paths.root != SYSTEM_ROOT:  # without a chroot the instance lives in the (new) data dir
            shutil.rmtree(paths.host(paths.inside), ignore_errors=True)

    # -- commands ----------------------------------------------------------------------------
    def cli(self, *args: str, check: bool = True, timeout: float = 120) -> subprocess.CompletedProcess:
        result = subprocess.run(
            [*CLI, *args], env=self.env, cwd=self.data_dir, capture_output=True, text=True, timeout=timeout
        )
        if check and result.returncode != 0:
            raise AssertionError(
                f"centralita {' '.join(args)} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}"
            )
        return result

    def _spawn(self, name: str, argv: list[str]) -> subprocess.Popen:
        out = (self.log_dir / f"{name}.log").open("ab")
        proc = subprocess.Popen(
            argv,
            env=self.env,
            cwd=self.data_dir,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        self.procs[name] = proc
        return proc

    def start_redis(self) -> None:
        (self.data_dir / "redis").mkdir(exist_ok=True)
        self._spawn(
            "redis",
            [
                "redis-server",
                "--port",
                self.env["CENTRALITA_REDIS_PORT"],
                "--bind",
                "127.0.0.1",
                "--dir",
                str(self.data_dir / "redis"),
                "--save",
                "",
                "--appendonly",
                "no",
            ],
        )

    def start_asterisk(self) -> None:
        # The same code path `centralita asterisk start` uses, run in its own process.
        self.cli("asterisk", "start", timeout=120)

    def start_service(self, name: str) -> subprocess.Popen:
        return self._spawn(name, [*CLI, "serve", name])

    def stop_service(self, name: str) -> None:
        proc = self.procs.pop(name, None)
        if proc and proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)

    def kill_asterisk(self) -> None:
        """SIGKILL, as a crash would."""
        from centralita.telephony.pbx import Asterisk

        Asterisk(self.settings()).kill()

    def settings(self):
        from centralita.settings import Settings

        return Settings(
            **{k[len("CENTRALITA_") :].lower(): v for k, v in self.env.items() if k.startswith("CENTRALITA_")},
            database_url=self.env["DATABASE_URL"],
        )

    def stop_all(self) -> None:
        for name in list(self.procs):
            self.stop_service(name)
        self.cli("asterisk", "stop", check=False, timeout=30)

    # -- HTTP ---------------------------------------------------------------------------------
    def health(self) -> dict | None:
        try:
            return httpx.get(f"{self.api_url}/api/health", timeout=2).json()
        except (httpx.HTTPError, ValueError):
            return None

    def wait_for(self, predicate, timeout: float, interval: float = 0.2):
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            last = predicate()
            if last:
                return last
            time.sleep(interval)
        return last

    def wait_health(self, status: str, timeout: float = 90) -> dict | None:
        # 90 s, not 30: under a shifted clock on a loaded 2-core machine ARI's websocket has been seen
        # still reconnecting after 30 s (health "ari: down") while everything else was up.
        return self.wait_for(lambda: (h := self.health()) and h.get("status") == status and h, timeout)

    def token(self, username: str, password: str) -> str:
        # Generous: a login hashes the password, and right after a service restart on a loaded 2-core
        # machine that took more than 5 s (a ReadTimeout, not a refusal).
        response = httpx.post(
            f"{self.api_url}/api/auth/token", json={"username": username, "password": password}, timeout=20
        )
        response.raise_for_status()
        return response.json()["access_token"]

    def get(self, path: str, token: str | None = None, **params) -> httpx.Response:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return httpx.get(f"{self.api_url}{path}", headers=headers, params=params, timeout=5)
