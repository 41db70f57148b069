"""Shared fixtures: an isolated data directory, secrets, and the database on SQLite and PostgreSQL.

PostgreSQL is Debian's real server, started here in a temporary directory. It is required when
CI=true (the suite must run on both); on a laptop without it the PostgreSQL variants are skipped.
"""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from centralita.settings import reset_settings_cache


def _free_tcp_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# A free port by default, so two test runs on one machine never fight over PostgreSQL.
PG_PORT = int(os.environ.get("CENTRALITA_TEST_PG_PORT") or _free_tcp_port())


def _pg_bin(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    for candidate in sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"), reverse=True):
        return str(candidate)
    return None


@pytest.fixture(scope="session")
def postgres_server():
    """Start a throwaway PostgreSQL cluster; yields a base URL (without database name)."""
    initdb, pg_ctl = _pg_bin("initdb"), _pg_bin("pg_ctl")
    if not (initdb and pg_ctl):
        if os.environ.get("CI"):
            pytest.fail("PostgreSQL server binaries are missing (make setup installs 'postgresql')")
        pytest.skip("PostgreSQL server not installed")
    base = Path(tempfile.mkdtemp(prefix="centralita-pg-"))
    datadir, sockdir = base / "data", base / "sock"
    sockdir.mkdir()
    run_as: list[str] = []
    if os.geteuid() == 0:
        # PostgreSQL refuses to run as root; hand the directory to the 'postgres' (or 'nobody') user.
        user = "postgres" if subprocess.run(["id", "postgres"], capture_output=True).returncode == 0 else "nobody"
        shutil.chown(base, user)
        shutil.chown(sockdir, user)
        run_as = ["runuser", "-u", user, "--"]
    subprocess.run(
        [*run_as, initdb, "-D", str(datadir), "-U", "postgres", "--auth=trust", "-E", "UTF8"],
        check=True,
        capture_output=True,
    )
    subprocess.run(
        [
            *run_as,
            pg_ctl,
            "-D",
            str(datadir),
            "-w",
            "-t",
            "30",
            "-l",
            str(base / "pg.log"),
            "-o",
            f"-p {PG_PORT} -k {sockdir} -c listen_addresses=127.0.0.1 -c fsync=off",
            "start",
        ],
        check=True,
        capture_output=True,
    )
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:{PG_PORT}"
    finally:
        subprocess.run([*run_as, pg_ctl, "-D", str(datadir), "-m", "immediate", "stop"], capture_output=True)
        shutil.rmtree(base, ignore_errors=True)


def _fresh_pg_database(base_url: str) -> str:
    import psycopg

    name = "t_" + secrets.token_hex(6)
    with psycopg.connect(f"host=127.0.0.1 port={PG_PORT} user=postgres dbname=postgres", autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    return f"{base_url}/{name}"


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path) -> str:
    """A fresh, migrated database on each backend."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'test.db'}"
    else:
        url = _fresh_pg_database(request.getfixturevalue("postgres_server"))
    return url


@pytest.fixture
def stack_env(tmp_path, monkeypatch, db_url):
    """Settings for an isolated stack: its own data dir, secrets and a migrated database."""
    from centralita import db

    env = {
        "CENTRALITA_DATA_DIR": str(tmp_path / "var"),
        "DATABASE_URL": db_url,
        "CENTRALITA_SECRET_KEY": secrets.token_hex(16),
        "CENTRALITA_AMI_SECRET": secrets.token_hex(8),
        "CENTRALITA_ARI_SECRET": secrets.token_hex(8),
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("REDIS_URL", raising=False)
    monkeypatch.chdir(tmp_path)  # keep a developer's .env out of the tests
    reset_settings_cache()
    db.reset_engine_cache()
    db.upgrade()
    yield env
    db.reset_engine_cache()
    reset_settings_cache()
