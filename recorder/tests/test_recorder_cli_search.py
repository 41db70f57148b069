"""`centralita recorder settings|search|export|qa-report` against a real database."""

from __future__ import annotations

import json
import zipfile

from typer.testing import CliRunner

from recorder.cli import app

runner = CliRunner()


def test_settings_search_export_from_the_cli(stack_env, tmp_path):
    from centralita.db import session_scope
    from recorder.models import Recording
    from recorder.testaudio import write_wav

    write_wav(tmp_path / "a.wav", bytes(3200), 2)
    with session_scope() as s:
        s.add(
            Recording(
                uniqueid="1.1",
                linkedid="1.1",
                caller="5551234",
                agent="ana",
                stage="done",
                transcript_text="necesito un turno para mañana",
                wav_path=str(tmp_path / "a.wav"),
            )
        )
    r = runner.invoke(app, ["settings", "set", "queue", "salud", "--no-record"])
    assert r.exit_code == 0 and json.loads(r.stdout)["record"] is False
    r = runner.invoke(app, ["settings", "set", "room", "x"])
    assert r.exit_code == 2 and "scope" in r.stderr
    assert json.loads(runner.invoke(app, ["settings", "list"]).stdout)["name"] == "salud"
    r = runner.invoke(app, ["search", "turno mañana"])
    assert r.exit_code == 0 and json.loads(r.stdout.splitlines()[0])["uniqueid"] == "1.1"
    assert runner.invoke(app, ["search", "factura"]).stdout.strip() == ""
    r = runner.invoke(app, ["search", "--since", "ayer"])
    assert r.exit_code == 2 and "since" in r.stderr
    r = runner.invoke(app, ["export", "--caller", "5551234"])
    out = json.loads(r.stdout)
    assert r.exit_code == 0 and out["state"] == "done" and out["total"] == 1
    with zipfile.ZipFile(out["path"]) as zf:
        assert {"manifest.csv", "manifest.json"} <= set(zf.namelist())
    assert runner.invoke(app, ["export"]).exit_code == 2
