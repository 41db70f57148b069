"""`centralita recorder ...` through typer's CliRunner, and the model download against local servers."""

from __future__ import annotations

import functools
import hashlib
import http.server
import io
import json
import os
import threading
import zipfile

import pytest
from typer.testing import CliRunner

from recorder import vosk_models
from recorder.cli import app

runner = CliRunner()


def test_transcribe_json(recorder_env, transcriber, call_wav):
    r = runner.invoke(app, ["transcribe", str(call_wav[0]), "--json"])
    assert r.exit_code == 0, r.output
    doc = json.loads(r.output)
    assert set(doc) == {"transcript", "analysis"}
    assert {w["speaker"] for w in doc["transcript"]["words"]} == {"caller", "agent"}
    assert doc["analysis"]["talk_time"]["caller"]["seconds"] > 0


@pytest.mark.parametrize(
    "args, message",
    [
        (["transcribe", "missing.wav"], "missing.wav: no such file"),
        (["transcribe", "notes.txt"], "not a WAV file"),
        (["archive", "missing.wav", "out.opus"], "no such file"),
    ],
)
def test_bad_files_exit_2_with_the_problem(recorder_env, args, message):
    (recorder_env / "notes.txt").write_text("hola")
    r = runner.invoke(app, args)
    assert r.exit_code == 2 and message in r.output


def test_archive_prints_checksum_and_legs(recorder_env, call_wav):
    r = runner.invoke(app, ["archive", str(call_wav[0]), "call.opus"])
    assert r.exit_code == 0, r.output
    doc = json.loads(r.output)
    assert len(doc["sha256"]) == 64 and doc["ratio"] >= 14 and set(doc["legs"]) == {"caller", "agent"}


def test_models_show_names_the_model_and_its_rate(recorder_env):
    r = runner.invoke(app, ["models", "show"])
    doc = json.loads(r.output)
    assert doc["current"]["sample_rate"] == 16000 and "es-small" in doc["downloadable"]


def test_models_download_offline_fails_clearly(recorder_env, monkeypatch):
    # Port 9 (discard) on loopback has no listener: the same refusal as a machine without internet.
    monkeypatch.setenv("CENTRALITA_RECORDER_MODELS_URL", "http://127.0.0.1:9/models")
    monkeypatch.setenv("CENTRALITA_RECORDER_DOWNLOAD_TIMEOUT", "2")
    r = runner.invoke(app, ["models", "download", "es-small"])
    assert r.exit_code == 1
    assert "cannot download vosk-model-small-es-0.42" in r.output and "CENTRALITA_RECORDER_MODEL_PATH" in r.output
    assert not (recorder_env / "var" / "models" / "vosk-model-small-es-0.42.zip.part").exists()
    r = runner.invoke(app, ["models", "download", "fr"])
    assert r.exit_code == 1 and "unknown model 'fr'" in r.output


def _zip(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buf.getvalue()


@pytest.fixture
def model_server(tmp_path):
    """A local HTTP server over a directory (the download path, minus the internet)."""
    root = tmp_path / "www"
    root.mkdir()
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(root))
    handler.log_message = lambda *a: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield root, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_download_checks_and_unpacks(model_server, tmp_path, monkeypatch):
    from centralita.settings import Settings

    root, url = model_server
    # A tiny catalog entry (about 3 kB expected) so the size check can run on a test-sized zip.
    monkeypatch.setitem(vosk_models.CATALOG, "tiny", ("vosk-model-tiny", 0.003))
    good = _zip({"vosk-model-tiny/am/final.mdl": os.urandom(2500), "vosk-model-tiny/conf/mfcc.conf": b"--x=1\n"})
    (root / "vosk-model-tiny.zip").write_bytes(good)
    settings = Settings(recorder_models_url=url, data_dir=tmp_path / "var")
    done = vosk_models.download("tiny", settings)
    assert done.path == tmp_path / "var" / "models" / "vosk-model-tiny"
    assert (done.path / "am" / "final.mdl").is_file() and done.bytes == len(good)
    assert sorted(p.name for p in done.path.parent.iterdir()) == ["vosk-model-tiny"]  # no .part, no staging
    assert vosk_models.download("tiny", settings).bytes == 0  # already there: nothing fetched
    # A pinned sha256: the right one installs, a wrong one is refused before unpacking.
    other = Settings(recorder_models_url=url, data_dir=tmp_path / "var2")
    with pytest.raises(vosk_models.ModelError, match="sha256 differs"):
        vosk_models.download("tiny", other, sha256="0" * 64)
    assert not (tmp_path / "var2" / "models" / "vosk-model-tiny").exists()
    assert vosk_models.download("tiny", other, sha256=hashlib.sha256(good).hexdigest()).bytes == len(good)


@pytest.mark.parametrize(
    "payload, problem",
    [
        (b"x" * 3000, "not a zip file"),
        (b"x" * 10, "about 0.003 MB was expected"),
        ("no-model", "holds no Vosk model"),
    ],
)
def test_download_rejects_bad_archives(model_server, tmp_path, monkeypatch, payload, problem):
    from centralita.settings import Settings

    root, url = model_server
    monkeypatch.setitem(vosk_models.CATALOG, "tiny", ("vosk-model-tiny", 0.003))
    if payload == "no-model":
        payload = _zip({"readme.txt": os.urandom(2500)})
    (root / "vosk-model-tiny.zip").write_bytes(payload)
    with pytest.raises(vosk_models.ModelError, match=problem):
        vosk_models.download("tiny", Settings(recorder_models_url=url, data_dir=tmp_path / "var"))
    assert list((tmp_path / "var" / "models").iterdir()) == []
