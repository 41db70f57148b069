from __future__ import annotations

import pytest
from sqlmodel import Session

from centralita import db
from centralita.settings import Settings, SettingsError, get_settings, reset_settings_cache
from centralita.telephony.pbx import CONFIG_FILES, standard_paths
from centralita.telephony.render import render_files


def test_malformed_setting_names_the_variable(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("CENTRALITA_API_PORT", "eighty")
    reset_settings_cache()
    with pytest.raises(SettingsError, match="CENTRALITA_API_PORT"):
        get_settings()
    monkeypatch.setenv("CENTRALITA_API_PORT", "8000")
    monkeypatch.setenv("CENTRALITA_DEFAULT_QUEUE", "general")
    reset_settings_cache()
    with pytest.raises(SettingsError, match="CENTRALITA_DEFAULT_QUEUE"):
        get_settings()
    reset_settings_cache()


def test_missing_secret_is_refused(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SettingsError, match="CENTRALITA_SECRET_KEY"):
        Settings(secret_key="", ami_secret="x", ari_secret="y").require_secrets()


def test_rendered_config_binds_loopback_and_uses_settings_secrets(stack_env, tmp_path):
    from centralita.demo import seed

    settings = get_settings()
    with Session(db.get_engine()) as session:
        seed(session, settings)
        files = render_files(settings, standard_paths(tmp_path), session)
    assert set(files) == set(CONFIG_FILES)
    text = {name: data.decode() for name, data in files.items()}
    assert "bindaddr = 127.0.0.1" in text["manager.conf"] and f"secret = {settings.ami_secret}" in text["manager.conf"]
    assert "bindaddr = 127.0.0.1" in text["http.conf"]
    assert f"password = {settings.ari_secret}" in text["ari.conf"]
    # DIDs route here; each flow's compiled dialplan (with its AGISTATUS fallbacks) is included.
    assert "exten => 5551000,1" in text["extensions.conf"] and "#include" in text["extensions.conf"]
    assert "[agent1]" in text["pjsip.conf"] and "match = 127.0.0.1" in text["pjsip.conf"]
    # Agents join queues at login (AMI QueueAdd), so queues.conf lists no static members.
    assert "member =>" not in text["queues.conf"] and "[atencion]" in text["queues.conf"]
    assert "autoload = no" in text["modules.conf"]


def test_apology_hold_music_starts_with_the_apology(tmp_path):
    from centralita.telephony.pbx import Paths
    from centralita.telephony.render import apology_hold_music

    music = tmp_path / "usr/share/asterisk/moh"
    music.mkdir(parents=True)
    (music / "b-track.gsm").write_bytes(b"music")
    paths = Paths(
        root=tmp_path,
        inside="/srv",
        etc="/srv/etc",
        log="/l",
        spool="/s",
        run="/r",
        lib="/b",
        prompts="/srv/etc/prompts",
        modules="/m",
    )
    files = apology_hold_music(b"sorry", paths)
    # sort=alpha in musiconhold.conf: the apology plays first, then the music loops (loop_last).
    assert sorted(files) == ["prompts/moh-apology/00-apology.wav", "prompts/moh-apology/10-music.gsm"]
    assert files["prompts/moh-apology/00-apology.wav"] == b"sorry"


def test_asterisk_starts_with_its_open_files_raised_to_the_hard_limit():
    """Under a soft limit of 256 (a shell's is often 1024) Asterisk would refuse calls a hundred in;
    the start raises the soft limit of the started process as far as the hard one allows."""
    import resource
    import subprocess
    import sys

    from centralita.telephony import pbx

    child = subprocess.Popen([sys.executable, "-c", "import sys; sys.stdin.read()"], stdin=subprocess.PIPE)
    try:
        _soft, hard = resource.prlimit(child.pid, resource.RLIMIT_NOFILE)
        resource.prlimit(child.pid, resource.RLIMIT_NOFILE, (256, hard))
        pbx.raise_open_files(child.pid)
        soft, _hard = resource.prlimit(child.pid, resource.RLIMIT_NOFILE)
    finally:
        child.communicate(b"", timeout=10)
    expected = pbx.OPEN_FILES if hard == resource.RLIM_INFINITY else min(hard, pbx.OPEN_FILES)
    assert soft == expected and expected > 256
