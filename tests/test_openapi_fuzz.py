"""Schemathesis over the whole OpenAPI, as admin, supervisor and agent: no 5xx, every status code
documented, every response as its schema says, and invalid input refused.

The API runs under uvicorn on a free loopback port, without the runtime (no AMI, ARI or CDR
ingestion: routes that need Asterisk answer 503), on SQLite in a temporary data directory. Examples
per operation are bounded (CENTRALITA_FUZZ_EXAMPLES, default 5) and the seed fixed, so a run is
reproducible and takes a few minutes on two cores.
"""

from __future__ import annotations

import json
import os
import secrets
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = int(os.environ.get("CENTRALITA_FUZZ_EXAMPLES", "5"))
SEED = int(os.environ.get("CENTRALITA_FUZZ_SEED", "20261201"))
CHECKS = "not_a_server_error,status_code_conformance,response_schema_conformance,negative_data_rejection"
# Routes that would end the fuzzer's own credentials: logging out revokes the token in use. They have
# their own tests (api/users/tests).
EXCLUDED_PATHS = ["/api/auth/logout"]

# The API runs here without its live link to Asterisk, so routes that need AMI answer 503 (documented
# on each of them; status_code_conformance still fails an undocumented 503). Every other 5xx fails.
CONFIG = """
[checks.not_a_server_error]
expected-statuses = ["2xx", "3xx", "4xx", "503"]
"""

SERVE = """
import uvicorn
from api.app import create_app
uvicorn.run(create_app(with_runtime=False), host="127.0.0.1", port={port}, log_level="warning")
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def api(tmp_path_factory):
    """(base URL, {role: token}, env) of a running API on a fresh SQLite database."""
    base = tmp_path_factory.mktemp("fuzz")
    env = {
        **os.environ,
        "CENTRALITA_DATA_DIR": str(base / "var"),
        "DATABASE_URL": f"sqlite:///{base / 'fuzz.db'}",
        "CENTRALITA_SECRET_KEY": secrets.token_hex(16),
        "CENTRALITA_AMI_SECRET": secrets.token_hex(8),
        "CENTRALITA_ARI_SECRET": secrets.token_hex(8),
        "CENTRALITA_DIALER_ENGINE": "false",
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
        # Nothing listens here: whatever would reach Redis fails at once instead of reaching a developer's.
        "REDIS_URL": f"redis://127.0.0.1:{_free_port()}/0",
    }
    tokens = _seed(env)
    port = _free_port()
    log = (base / "api.log").open("w")
    proc = subprocess.Popen(
        [sys.executable, "-c", SERVE.format(port=port)], cwd=base, env=env, stdout=log, stderr=subprocess.STDOUT
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            if proc.poll() is not None:
                pytest.fail(f"the API exited: {(base / 'api.log').read_text()[-2000:]}")
            try:
                if httpx.get(f"{url}/openapi.json", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        yield url, tokens, base
    finally:
        proc.terminate()
        proc.wait(10)
        log.close()


def _seed(env: dict) -> dict[str, str]:
    """Migrate and seed (tests/openapi_fuzz_seed.py) in a child process with `env`: {role: token}."""
    done = subprocess.run(
        [sys.executable, str(ROOT / "tests" / "openapi_fuzz_seed.py")],
        cwd=Path(env["CENTRALITA_DATA_DIR"]).parent,
        env=env,
        capture_output=True,
    )
    assert done.returncode == 0, done.stderr.decode()[-3000:]
    return json.loads(done.stdout.decode().strip().splitlines()[-1])


# The coverage phase (every boundary and wrong type of every parameter, ~3,300 cases) runs as admin,
# who passes every role check, so each case reaches validation and the route; it is split in two runs
# by path, side by side. As supervisor or agent most of those cases would stop at the same 403 (the
# role check runs before validation): they get the examples and random fuzzing phases over every
# operation, where role-dependent answers differ. This keeps the run to a few minutes on two shared cores.
SPLIT = "^/api/(dialer|recordings|qa)/"
RUNS = {  # name: (role, phases, path filter)
    "admin-1": ("admin", "examples,coverage,fuzzing", ["--include-path-regex", SPLIT]),
    "admin-2": ("admin", "examples,coverage,fuzzing", ["--exclude-path-regex", SPLIT]),
    "supervisor": ("supervisor", "examples,fuzzing", []),
    "agent": ("agent", "examples,fuzzing", []),
}


def _st_command(url: str, token: str, base: Path, run: str) -> list[str]:
    _, phases, paths = RUNS[run]
    cmd = [
        str(Path(sys.executable).parent / "st"),
        "--config-file",
        str(base / "schemathesis.toml"),
        "run",
        f"{url}/openapi.json",
        "--checks",
        CHECKS,
        "--max-examples",
        str(EXAMPLES),
        "--seed",
        str(SEED),
        # One worker per run, the runs side by side: Schemathesis' threads race in Python 3.11's ast
        # module ("AST constructor recursion depth mismatch") when one run has several workers.
        "--workers",
        "1",
        "--phases",
        phases,
        "--no-shrink",
        "--request-timeout",
        "30",
        "--header",
        f"Authorization: Bearer {token}",
        "--report",
        "json",
        "--report-json-path",
        str(base / f"report-{run}.json"),
        "--no-color",
        "--suppress-health-check",
        "all",
        *paths,
    ]
    for path in EXCLUDED_PATHS:
        cmd += ["--exclude-path", path]
    return cmd


@pytest.fixture(scope="module")
def fuzzed(api) -> dict[str, tuple[int, str, dict]]:
    """{run: (exit code, output, JSON report)} of the Schemathesis runs, side by side."""
    url, tokens, base = api
    (base / "schemathesis.toml").write_text(CONFIG)
    procs = {}
    for run, (role, _, _) in RUNS.items():
        out = (base / f"st-{run}.txt").open("w")
        command = _st_command(url, tokens[role], base, run)
        procs[run] = (subprocess.Popen(command, cwd=base, stdout=out, stderr=out), out)
    results = {}
    for run, (proc, out) in procs.items():
        code = proc.wait(900)
        out.close()
        report = base / f"report-{run}.json"
        output = (base / f"st-{run}.txt").read_text()
        results[run] = (code, output, json.loads(report.read_text()) if report.exists() else {})
    for run, (_, _, rep) in results.items():  # the figures, with `pytest -s`
        operations, cases = rep.get("operations", {}).get("tested"), rep.get("test_cases", {}).get("generated")
        print(f"{run}: {operations} operations, {cases} test cases, {rep.get('running_time', 0):.0f} s")
    return results


@pytest.mark.parametrize("run", RUNS)
def test_the_whole_openapi_holds_under_fuzzing(fuzzed, run):
    code, output, report = fuzzed[run]
    assert report, output[-12000:]
    assert report["operations"]["tested"] == report["operations"]["selected"] > 10, output[-12000:]
    assert report["errors"] == [] and report["failures"] == [], output[-12000:]
    assert code == 0, output[-12000:]


def test_every_operation_was_fuzzed_in_every_role(fuzzed):
    tested = {role: 0 for role, _, _ in RUNS.values()}
    for run, (role, _, _) in RUNS.items():
        tested[role] += fuzzed[run][2]["operations"]["tested"]
    total = fuzzed["agent"][2]["operations"]["total"] - len(EXCLUDED_PATHS)
    assert tested == {"admin": total, "supervisor": total, "agent": total}


def test_the_api_raised_nothing_while_fuzzed(api, fuzzed):
    """A 500 is an exception nobody handled: none may appear in the API's log, whatever the checks saw."""
    log = (api[2] / "api.log").read_text()
    assert "Traceback" not in log, log[-6000:]


# What the fuzzer found on 2026-12-01, one request each, in-process (fast, and named when it breaks).
@pytest.fixture
def admin(stack_env):
    from fastapi.testclient import TestClient

    from api.app import create_app
    from api.users import service
    from centralita.db import session_scope

    with session_scope() as s:
        user = service.create_user(s, "ana", "password-of-ana", role="admin")
        raw = service.issue_token(s, user)[0]
    with TestClient(create_app(with_runtime=False)) as client:
        client.headers["Authorization"] = f"Bearer {raw}"
        yield client


def _problem(r) -> tuple[int, str]:
    """(status, the field the first detail item names)."""
    detail = r.json()["detail"]
    assert isinstance(detail, list), detail
    return r.status_code, detail[0]["loc"][-1]


def test_what_the_fuzzer_found_is_refused_naming_the_field(admin):
    huge = 2**70
    assert _problem(admin.get(f"/api/calls?offset={huge}")) == (422, "offset")
    assert _problem(admin.get(f"/api/calls/{huge}")) == (422, "call_id")
    assert _problem(admin.get(f"/api/dialer/dnc?offset={huge}")) == (422, "offset")
    assert _problem(admin.get(f"/api/dialer/campaigns/{huge}")) == (404, "campaign")
    assert _problem(admin.put("/api/recordings/retention/policies/x", json={"days": huge})) == (422, "days")
    assert _problem(admin.post("/api/dialer/dnc", json={"phone": "60001234", "region": "QQ"})) == (422, "region")
    assert _problem(admin.get("/api/ivr/flows/nada/export?version=99")) == (404, "name")
    flow = {"start": "q", "nodes": {"q": {"type": "queue", "queue": "atencion"}}}
    assert admin.put("/api/ivr/flows/f1", json={"definition": flow}).status_code == 201
    assert _problem(admin.get("/api/ivr/flows/f1/export?version=99")) == (404, "version")
    assert _problem(admin.get("/api/audit?until=0.5")) == (422, "until")
    assert _problem(admin.post("/api/queues", json={"name": "q1", "announce_frequency": False})) == (
        422,
        "announce_frequency",
    )
    assert _problem(admin.post("/api/recordings/exports", json={"since": 0})) == (422, "since")
    r = admin.post("/api/queues", content=b"\xff\xfe", headers={"Content-Type": "application/json"})
    assert _problem(r)[0] == 422
    r = admin.get("/api/queues/live")  # no live link to Asterisk in this process
    assert _problem(r) == (503, "asterisk") and "not running" in r.json()["detail"][0]["msg"]
