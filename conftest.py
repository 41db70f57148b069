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


@pytest.fixture(autouse=True, scope="session")
def _cheap_password_hashing():
    """Argon2id at production cost takes ~0.18 s per hash or check; tests create and log in users by
    the thousand. In this process only (a CLI or stack started by a test keeps the real cost), hash
    with the same algorithm at its lowest cost: hashes stay argon2id, checks stay real."""
    from pwdlib import PasswordHash
    from pwdlib.hashers.argon2 import Argon2Hasher

    from api.users import service

    real = service._hasher
    service._hasher = PasswordHash((Argon2Hasher(time_cost=1, memory_cost=1024, parallelism=1),))
    service._dummy_hash.cache_clear()
    yield
    service._hasher = real
    service._dummy_hash.cache_clear()


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


def _pg_admin():
    import psycopg

    return psycopg.connect(f"host=127.0.0.1 port={PG_PORT} user=postgres dbname=postgres", autocommit=True)


def _fresh_pg_database(base_url: str) -> str:
    name = "t_" + secrets.token_hex(6)
    with _pg_admin() as conn:
        conn.execute(f"CREATE DATABASE {name}")
    return f"{base_url}/{name}"


# Migrating costs ~0.7 s on SQLite and more on PostgreSQL; with ~1,200 tests that was a third of the
# suite. Each backend is migrated once per session and every test gets a copy of it (SQLite's backup
# API; PostgreSQL's CREATE DATABASE ... TEMPLATE), which is the same schema, built the same way.
@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory) -> Path:
    from centralita import db

    path = tmp_path_factory.mktemp("template") / "migrated.db"
    db.upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def _pg_template(postgres_server) -> str:
    from centralita import db

    url = _fresh_pg_database(postgres_server)
    db.upgrade(url)
    return url.rsplit("/", 1)[1]


def _copy_migrated(request, url: str) -> None:
    """Fill the fresh, empty database at `url` with the session's migrated template."""
    if url.startswith("sqlite"):
        import sqlite3

        template = sqlite3.connect(request.getfixturevalue("_sqlite_template"))
        target = sqlite3.connect(url.split("///", 1)[1])
        with target:
            template.backup(target)
        target.close()
        template.close()
        return
    template, name = request.getfixturevalue("_pg_template"), url.rsplit("/", 1)[1]
    with _pg_admin() as conn:
        conn.execute(f"DROP DATABASE {name}")
        conn.execute(f"CREATE DATABASE {name} TEMPLATE {template}")


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path) -> str:
    """A fresh, empty database on each backend."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'test.db'}"
    else:
        url = _fresh_pg_database(request.getfixturevalue("postgres_server"))
    return url


@pytest.fixture
def stack_env(request, tmp_path, monkeypatch, db_url):
    """Settings for an isolated stack: its own data dir, secrets and a migrated database."""
    from centralita import db

    _copy_migrated(request, db_url)

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
    db.upgrade()  # a no-op on the copy (~50 ms): it proves the copy is at the newest heads
    yield env
    db.reset_engine_cache()
    reset_settings_cache()


@pytest.fixture(scope="session")
def kannel(tmp_path_factory):
    """A real Kannel (bearerbox, smsbox and its fake SMSC client), started once per session; tests tell
    their messages apart by number (`kannel.wait_for(n, to=...)`)."""
    from messaging.kannel import binary
    from messaging.tests.kannel_gateway import KannelGateway

    if not binary("bearerbox"):
        if os.environ.get("CI"):
            pytest.fail("Kannel is missing (scripts/setup.sh installs 'kannel' and 'kannel-extras')")
        pytest.skip("Kannel not installed")
    gateway = KannelGateway(tmp_path_factory.mktemp("kannel"))
    try:
        gateway.start()
        yield gateway
    finally:
        gateway.stop()
