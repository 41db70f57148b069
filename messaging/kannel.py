"""kannel.conf for Debian's Kannel (`bearerbox` + `smsbox`, package `kannel`), from one template.

The test fixture renders it with Kannel's fake SMSC (`fakesmsc`, package `kannel-extras`); a
production site renders it once (`centralita messaging kannel-config`), replaces the fake SMSC by
its operator's SMPP group and runs Debian's kannel service with it. The sendsms user and password are
the ones Centralita sends with (CENTRALITA_KANNEL_USER / CENTRALITA_KANNEL_PASSWORD).
"""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import jinja2

TEMPLATES = Path(__file__).parent / "templates"
# Kannel's config syntax has no escaping: a quote or newline in a value would end it and start a new key.
_SAFE = re.compile(r"^[^\"\n\r]*$")


@dataclass(frozen=True)
class KannelPorts:
    admin: int
    smsbox: int
    sendsms: int
    fake_smsc: int = 0  # 0: no fake SMSC group


@dataclass(frozen=True)
class KannelFiles:
    log_dir: Path
    spool_dir: Path


@dataclass(frozen=True)
class KannelConf:
    ports: KannelPorts
    files: KannelFiles
    user: str
    password: str = field(repr=False)
    admin_password: str = field(repr=False)
    host: str = "127.0.0.1"
    sender: str = "Centralita"  # smsbox refuses a message without a sender: this one unless the request names one
    log_level: int = 0  # 0 debug … 4 panic
    smsc_extra: str = ""  # further groups (e.g. the operator's SMPP smsc) appended as they are

    def text(self) -> str:
        values = {"host": self.host, "user": self.user, "password": self.password, "sender": self.sender}
        values["admin_password"] = self.admin_password
        for name, value in values.items():
            if not _SAFE.match(value):
                raise ValueError(f"{name}: quotes and newlines cannot be written into kannel.conf")
        env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(TEMPLATES), keep_trailing_newline=True, undefined=jinja2.StrictUndefined
        )
        return env.get_template("kannel.conf.j2").render(
            **values,
            allow_ip=self.host,
            admin_port=self.ports.admin,
            smsbox_port=self.ports.smsbox,
            sendsms_port=self.ports.sendsms,
            fake_smsc_port=self.ports.fake_smsc,
            log_dir=self.files.log_dir,
            spool_dir=self.files.spool_dir,
            log_level=self.log_level,
            smsc_extra=self.smsc_extra,
        )

    def sendsms_url(self) -> str:
        return f"http://{self.host}:{self.ports.sendsms}/cgi-bin/sendsms"


def binary(name: str) -> str | None:
    """bearerbox/smsbox are in /usr/sbin, fakesmsc in Kannel's test directory (kannel-extras)."""
    found = shutil.which(name) or shutil.which(name, path="/usr/sbin:/usr/local/sbin")
    if found:
        return found
    for candidate in (Path("/usr/lib/kannel/test") / name, Path("/usr/lib/kannel") / name):
        if candidate.exists():
            return str(candidate)
    return None
