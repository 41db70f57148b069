"""Asterisk operations that need settings and the database together (render, start).

Migrations are not run here: `centralita db upgrade`, `init`, `up` and `asterisk start` run them,
never a reload (centralita/telephony/apply.py re-renders from an already migrated database)."""

from __future__ import annotations

import subprocess
from pathlib import Path

from sqlmodel import Session

from centralita import db
from centralita.settings import Settings
from centralita.telephony.pbx import Asterisk, instance_paths, standard_paths
from centralita.telephony.render import render


def render_config(settings: Settings, out_dir: Path | None = None) -> Path:
    paths = standard_paths(out_dir) if out_dir else instance_paths(settings)
    with Session(db.get_engine()) as session:
        return render(settings, paths, session, out_dir=out_dir)


def start_detached(settings: Settings, timeout: float = 60) -> int:
    pbx = Asterisk(settings)
    if pbx.is_running():
        return pbx.pid() or 0
    db.upgrade()  # a start, like `up`: the schema the config is rendered from
    render_config(settings)
    proc: subprocess.Popen = pbx.spawn(settings.log_dir / "asterisk.log")
    pbx.wait_booted(timeout, proc)
    return proc.pid
