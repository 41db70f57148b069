"""Archive storage: envelope encryption round trip and key rotation (database only), the local
backend, and the S3 backend against a real S3-compatible server (moto's server mode: no
S3-compatible server is packaged in Debian or on PyPI otherwise)."""

from __future__ import annotations

import base64
import os
import socket
import subprocess
import sys
import time
from datetime import UTC, datetime

import pytest
from sqlmodel import Session

from centralita import db
from centralita.settings import Settings, reset_settings_cache
from recorder import storage
from recorder.models import Recording
from recorder.storage import crypto, rotation
from recorder.tests.redis_server import free_port


def _key() -> str:
    return base64.b64encode(os.urandom(32)).decode()


def test_encrypt_round_trip_and_tamper():
    ring = crypto.keyring(Settings(recorder_archive_keys=f"a:{_key()}"))
    blob, key_id, wrapped = crypto.encrypt(ring, b"OggS opus bytes")
    assert key_id == "a" and blob[:4] == crypto.MAGIC and b"opus" not in blob
    assert crypto.decrypt(ring, blob, key_id, wrapped) == b"OggS opus bytes"
    bad = blob[:-1] + bytes([blob[-1] ^ 1])
    with pytest.raises(crypto.CryptoError, match="authenticate"):
        crypto.decrypt(ring, bad, key_id, wrapped)


def test_no_keys_means_no_encryption_and_bad_keys_name_the_setting():
    ring = crypto.keyring(Settings(recorder_archive_keys=""))
    assert crypto.encrypt(ring, b"x") == (b"x", "", "")
    with pytest.raises(crypto.CryptoError, match="CENTRALITA_RECORDER_ARCHIVE_KEYS"):
        crypto.keyring(Settings(recorder_archive_keys="a:" + base64.b64encode(b"short").decode()))
    with pytest.raises(crypto.CryptoError, match="CENTRALITA_RECORDER_ARCHIVE_KEY_ID"):
        crypto.keyring(Settings(recorder_archive_keys=f"a:{_key()}", recorder_archive_key_id="b"))


def _stored(session: Session, n: int) -> list[int]:
    settings = Settings()
    ids = []
    for i in range(n):
        rec = Recording(uniqueid=f"enc.{i}", linkedid="l", stage="done", started_at=datetime(2026, 1, 2, tzinfo=UTC))
        session.add(rec)
        session.flush()
        stored = storage.store(rec, f"OggS call {i}".encode(), settings)
        rec.archive_backend, rec.archive_key, rec.archive_sha256 = stored.backend, stored.key, stored.sha256
        rec.key_id, rec.wrapped_key = stored.key_id, stored.wrapped_key
        ids.append(rec.id)
    session.commit()
    return ids


def test_rotation_rewraps_keys_without_reading_files(stack_env, monkeypatch):
    old, new = _key(), _key()
    monkeypatch.setenv("CENTRALITA_RECORDER_ARCHIVE_KEYS", f"old:{old}")
    reset_settings_cache()
    with Session(db.get_engine()) as session:
        ids = _stored(session, 5)
    archive_dir = Settings().data_dir / "archive"
    files = {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in archive_dir.rglob("*.enc")}
    assert len(files) == 5

    monkeypatch.setenv("CENTRALITA_RECORDER_ARCHIVE_KEYS", f"old:{old},new:{new}")
    reset_settings_cache()
    assert rotation.rotate(batch=2) == {"current_key": "new", "rewrapped": 5}
    assert rotation.rotate(batch=2)["rewrapped"] == 0  # resumable, idempotent
    assert {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in archive_dir.rglob("*.enc")} == files
    monkeypatch.setenv("CENTRALITA_RECORDER_ARCHIVE_KEYS", f"new:{new}")  # old key retired
    reset_settings_cache()
    with Session(db.get_engine()) as session:
        for i, rid in enumerate(ids):
            rec = session.get(Recording, rid)
            assert rec.key_id == "new"
            assert storage.fetch(rec) == f"OggS call {i}".encode()


def test_fetch_refuses_a_changed_object(stack_env):
    with Session(db.get_engine()) as session:
        (rid,) = _stored(session, 1)
        rec = session.get(Recording, rid)
        path = Settings().data_dir / "archive" / rec.archive_key
        path.write_bytes(path.read_bytes() + b"!")
        with pytest.raises(storage.IntegrityError, match="sha256"):
            storage.fetch(rec)


@pytest.fixture
def s3_server(tmp_path):
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    pytest.fail("moto S3 server did not start")
                time.sleep(0.1)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.mark.parametrize("storage_class", ["STANDARD_IA", "GLACIER"])
def test_s3_backend_round_trip(s3_server, storage_class):
    import boto3

    settings = Settings(
        recorder_storage="s3",
        recorder_s3_endpoint=s3_server,
        recorder_s3_bucket="archive",
        recorder_s3_access_key="test",
        recorder_s3_secret_key="test",
        recorder_s3_storage_class=storage_class,
        recorder_archive_keys=f"k:{_key()}",
    )
    client = boto3.client(
        "s3", endpoint_url=s3_server, region_name="us-east-1", aws_access_key_id="test", aws_secret_access_key="test"
    )
    client.create_bucket(Bucket="archive")
    rec = Recording(id=7, uniqueid="1700000000.7", linkedid="l", started_at=datetime(2026, 3, 4, tzinfo=UTC))
    stored = storage.store(rec, b"OggS the call", settings)
    assert stored.backend == "s3" and stored.key == "2026/03/04/7-1700000000.7.opus.enc"
    rec.archive_backend, rec.archive_key, rec.archive_sha256 = stored.backend, stored.key, stored.sha256
    rec.key_id, rec.wrapped_key = stored.key_id, stored.wrapped_key
    assert storage.fetch(rec, settings) == b"OggS the call"
    where = storage.backend(settings)
    where.finalize(stored.key)  # cold classes: moved after verification, by a server-side copy
    head = client.head_object(Bucket="archive", Key="recordings/" + stored.key)
    assert head.get("StorageClass", "STANDARD") == storage_class
    assert where.keys() == [stored.key]
    stored_again = storage.store(rec, b"OggS the call", settings)  # a retried step: same object
    assert where.keys() == [stored_again.key]
    where.delete(stored.key)
    assert where.keys() == []
    with pytest.raises(storage.StorageError, match="missing"):
        storage.fetch(rec, settings)


def test_s3_unreachable_is_a_storage_error():
    settings = Settings(
        recorder_storage="s3",
        recorder_s3_endpoint=f"http://127.0.0.1:{free_port()}",
        recorder_s3_bucket="b",
        recorder_s3_access_key="t",
        recorder_s3_secret_key="t",
        external_timeout=1,
    )
    with pytest.raises(storage.StorageError, match="s3: put"):
        storage.backend(settings).put("x", b"y")
