"""A stack of the soak's own: a temporary data directory, ports from `port_base`, seeded through the
CLI's own commands (in this process), then `centralita up -d` — Redis, Asterisk, FastAGI, the API and
one recorder worker under the supervisor, as an installation runs them."""

from __future__ import annotations

import base64
import json
import os
import re
import secrets
import subprocess
import sys
import time
from pathlib import Path

import httpx

ADMIN = "soak-admin"
IVR_DID, QUEUE_NUMBER, CAMPAIGN_CALLER_ID = "5552000", "5559000", "5552999"
INBOUND_QUEUE, DIALER_QUEUE = "atencion", "cobranza"
CLI = [sys.executable, "-m", "centralita.cli"]


def ports(base: int) -> dict[str, int]:
    """Every port the soak binds, from one base (all loopback; below the kernel's ephemeral range
    when the base is at most 32100, so the callers' free ports never take one of these)."""
    return {
        "sip": base + 60,
        "ami": base + 38,
        "ari": base + 88,
        "fastagi": base + 73,
        "api": base + 80,
        "redis": base + 79,
        "agents": base + 101,  # + i
        "far_end": base + 150,
        "agents_rtp": base + 200,  # + 20 * i
        "asterisk_rtp": base + 400,  # .. + 599
    }


def environment(data_dir: Path, base: int, dialer_rate: float) -> dict[str, str]:
    p = ports(base)
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("CENTRALITA_") and k not in ("DATABASE_URL", "REDIS_URL")
    }
    env.update(
        {
            "CENTRALITA_DATA_DIR": str(data_dir),
            "DATABASE_URL": f"sqlite:///{data_dir / 'centralita.db'}",
            "CENTRALITA_SECRET_KEY": secrets.token_hex(16),
            "CENTRALITA_AMI_SECRET": secrets.token_hex(8),
            "CENTRALITA_ARI_SECRET": secrets.token_hex(8),
            "CENTRALITA_SIP_PORT": str(p["sip"]),
            "CENTRALITA_AMI_PORT": str(p["ami"]),
            "CENTRALITA_ARI_PORT": str(p["ari"]),
            "CENTRALITA_FASTAGI_PORT": str(p["fastagi"]),
            "CENTRALITA_API_PORT": str(p["api"]),
            "CENTRALITA_REDIS_PORT": str(p["redis"]),
            "CENTRALITA_RTP_START": str(p["asterisk_rtp"]),
            "CENTRALITA_RTP_END": str(p["asterisk_rtp"] + 199),
            # The campaign's trunk is the sipp far end; its pace is the soak's dialer share of the rate.
            "CENTRALITA_DIALER_DIAL": f"PJSIP/demo/sip:{{number}}@127.0.0.1:{p['far_end']}",
            "CENTRALITA_DIALER_CALLS_PER_SECOND": f"{dialer_rate:.4f}",
            "CENTRALITA_DIALER_TRUNK_CHANNELS": "4",
            # Archive copies encrypted, as in production (a throwaway key for a throwaway archive).
            "CENTRALITA_RECORDER_ARCHIVE_KEYS": f"soak:{base64.b64encode(os.urandom(32)).decode()}",
        }
    )
    return env


_registered = [False]


def cli(*args: str) -> str:
    """One `centralita` command in this process (the soak's environment is active): its output."""
    from typer.testing import CliRunner

    from centralita import cli as cli_module

    if not _registered[0]:
        cli_module._register()
        _registered[0] = True
    result = CliRunner().invoke(cli_module.app, list(args), catch_exceptions=False)
    if result.exit_code != 0:
        raise RuntimeError(f"centralita {' '.join(args)} failed ({result.exit_code}): {result.output.strip()[-800:]}")
    return result.stdout


def _flow(settings) -> dict:
    """A DTMF lookup (taxpayer number, said back as an amount), then the inbound queue: short prompts
    of its own, the demo's integration (served by the API itself)."""
    from ivr.demo_integration import integration_key

    queue = {"type": "queue", "queue": INBOUND_QUEUE}
    return {
        "start": "lookup",
        "operator_digit": False,
        "nodes": {
            "lookup": {
                "type": "lookup",
                "prompt": "soak-number",
                "min_digits": 6,
                "max_digits": 6,
                "check": "luhn",
                "url": f"http://127.0.0.1:{settings.api_port}/api/ivr/demo/taxpayers/{{digits}}",
                "headers": {"Authorization": f"Bearer {integration_key(settings)}"},
                "timeout_s": settings.external_timeout,
                "say": [{"field": "debt", "say": "amount", "prompt": "soak-debt"}],
                "next": queue,
                "fallback": queue,
            }
        },
    }


def seed(
    settings, data_dir: Path, base: int, agents: int, dialer_agents: int, contacts: int
) -> tuple[str, dict[str, str]]:
    """Users, queues, softphones at the sipp ports, the flow and its DID, the campaign and its
    contacts. Returns the admin's password and each agent's."""
    p = ports(base)
    password = secrets.token_urlsafe(12)
    cli("db", "upgrade")
    cli("demo", "seed")  # the trunk from 127.0.0.1, the inbound queue, the demo prompts
    cli("user", "add", ADMIN, "--role", "admin", "--password", password)
    cli("queues", "add", DIALER_QUEUE, "--wrapup", "1", "--max-wait", "30", "--announce-frequency", "0")
    passwords = {}
    for i, (name, queue) in enumerate(agent_names(agents, dialer_agents)):
        out = cli("queues", "agent-add", name, f"{2100 + i}", "--contact", f"sip:{name}@127.0.0.1:{p['agents'] + i}")
        passwords[name] = out.split("web password: ")[1].split()[0]  # printed once: the agent's own login
        cli("queues", "skill", name, queue)
    cli("ivr", "prompt", "add", "soak-number", "--text", "Marque su número.")
    cli("ivr", "prompt", "add", "soak-debt", "--text", "Su deuda es")
    flow_file = data_dir / "soak-flow.json"
    flow_file.write_text(json.dumps(_flow(settings)))
    cli("flow", "save", "soak", str(flow_file), "--publish")
    cli("ivr", "did", "set", IVR_DID, "soak")
    cli(
        "dialer", "campaign", "create", "soak", "--mode", "progressive", "--queue", DIALER_QUEUE,
        "--caller-id", CAMPAIGN_CALLER_ID, "--max-attempts", "1", "--days", "0,1,2,3,4,5,6",
        "--window", "00:00-23:59", "--timezone", "America/Panama",
    )  # fmt: skip
    cli("dialer", "list", "create", "soak-list", "--campaign", "soak", "--region", "PA")
    if contacts:
        table = data_dir / "contacts.csv"
        rows = [f"+5076{100000 + n:07d},Contacto {n},{10 + n}.50" for n in range(contacts)]
        table.write_text("telefono,nombre,monto\n" + "\n".join(rows) + "\n")
        report = json.loads(cli("dialer", "list", "import", "soak-list", str(table), "--json"))
        if report.get("accepted") != contacts:
            raise RuntimeError(f"contacts: {contacts} written, import accepted {report.get('accepted')}: {report}")
    return password, passwords


def agent_names(agents: int, dialer_agents: int) -> list[tuple[str, str]]:
    return [(f"soak{i + 1}", INBOUND_QUEUE) for i in range(agents)] + [
        (f"soakd{i + 1}", DIALER_QUEUE) for i in range(dialer_agents)
    ]


class SoakStack:
    def __init__(self, data_dir: Path, env: dict[str, str]):
        self.data_dir, self.env = data_dir, env
        self.api_url = f"http://127.0.0.1:{env['CENTRALITA_API_PORT']}"

    def up(self, timeout: float = 240) -> None:
        result = subprocess.run(
            [*CLI, "up", "-d", "--wait", str(int(timeout))],
            env=self.env,
            cwd=self.data_dir,
            capture_output=True,
            text=True,
            timeout=timeout + 60,
        )
        if result.returncode != 0 or '"ok"' not in result.stdout:
            log = self.data_dir / "log" / "up.log"
            tail = log.read_text(errors="replace")[-3000:] if log.exists() else ""
            raise RuntimeError(f"centralita up -d: {result.stdout}{result.stderr}\n{tail}")

    def down(self) -> None:
        subprocess.run([*CLI, "down"], env=self.env, cwd=self.data_dir, capture_output=True, timeout=120)

    def pids(self) -> dict[str, int]:
        """The supervisor's children as it last started them (its log names each pid)."""
        text = (self.data_dir / "log" / "up.log").read_text(errors="replace")
        return {m.group(1): int(m.group(2)) for m in re.finditer(r"^\[([\w-]+)\] started \(pid (\d+)\)", text, re.M)}

    def token(self, password: str, username: str = ADMIN) -> str:
        response = httpx.post(
            f"{self.api_url}/api/auth/token", json={"username": username, "password": password}, timeout=10
        )
        response.raise_for_status()
        return response.json()["access_token"]

    def get(self, path: str, token: str, **params) -> dict:
        response = httpx.get(
            f"{self.api_url}{path}", headers={"Authorization": f"Bearer {token}"}, params=params, timeout=15
        )
        response.raise_for_status()
        return response.json()

    def post(self, path: str, token: str, body: dict) -> httpx.Response:
        return httpx.post(f"{self.api_url}{path}", headers={"Authorization": f"Bearer {token}"}, json=body, timeout=15)

    def wait_for(self, predicate, timeout: float, interval: float = 1.0):
        deadline = time.monotonic() + timeout
        last = predicate()
        while not last and time.monotonic() < deadline:
            time.sleep(interval)
            last = predicate()
        return last
