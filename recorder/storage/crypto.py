"""Encryption at rest of archive files: envelope encryption with AES-256-GCM.

Each file gets its own random data key; the file is sealed with it, and the data key is sealed
("wrapped") with a master key from settings (CENTRALITA_RECORDER_ARCHIVE_KEYS="id:base64,...").
Only the wrapped data key and the master key's id are stored, in the recording's row. Rotating the
master key re-wraps those small keys in the database; the archive files are never read again, and
files of any old key still decrypt as long as that key stays in the setting.
"""

from __future__ import annotations

import base64
import binascii
import os
from dataclasses import dataclass

from centralita.settings import Settings

MAGIC = b"CRA1"  # centralita recorder archive, format 1: MAGIC + nonce(12) + ciphertext+tag
NONCE = 12
AAD = b"centralita-recorder-archive"


class CryptoError(RuntimeError):
    """A key is missing or malformed, or a file does not authenticate; the message says which."""


@dataclass(frozen=True)
class Keyring:
    keys: dict[str, bytes]
    current: str  # "" when encryption is off

    @property
    def enabled(self) -> bool:
        return bool(self.current)


def keyring(settings: Settings) -> Keyring:
    keys: dict[str, bytes] = {}
    for item in filter(None, (p.strip() for p in settings.recorder_archive_keys.split(","))):
        key_id, sep, b64 = item.partition(":")
        if not sep or not key_id:
            raise CryptoError("CENTRALITA_RECORDER_ARCHIVE_KEYS: each key is 'id:base64'")
        try:
            raw = base64.b64decode(b64, validate=True)
        except binascii.Error:
            raise CryptoError(f"CENTRALITA_RECORDER_ARCHIVE_KEYS: key {key_id!r} is not valid base64") from None
        if len(raw) != 32:
            raise CryptoError(
                f"CENTRALITA_RECORDER_ARCHIVE_KEYS: key {key_id!r} must be 32 bytes (AES-256), is {len(raw)}"
            )
        keys[key_id] = raw
    current = settings.recorder_archive_key_id or (list(keys)[-1] if keys else "")
    if current and current not in keys:
        raise CryptoError(f"CENTRALITA_RECORDER_ARCHIVE_KEY_ID: {current!r} is not in CENTRALITA_RECORDER_ARCHIVE_KEYS")
    return Keyring(keys, current)


def new_master_key() -> str:
    """A fresh master key, base64, for the setting."""
    return base64.b64encode(os.urandom(32)).decode()


def _aes(key: bytes):
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    return AESGCM(key)


def wrap(ring: Keyring, data_key: bytes, key_id: str | None = None) -> tuple[str, str]:
    key_id = key_id or ring.current
    nonce = os.urandom(NONCE)
    sealed = _aes(ring.keys[key_id]).encrypt(nonce, data_key, key_id.encode())
    return key_id, base64.b64encode(nonce + sealed).decode()


def unwrap(ring: Keyring, key_id: str, wrapped: str) -> bytes:
    from cryptography.exceptions import InvalidTag

    if key_id not in ring.keys:
        raise CryptoError(f"master key {key_id!r} is not in CENTRALITA_RECORDER_ARCHIVE_KEYS")
    raw = base64.b64decode(wrapped)
    try:
        return _aes(ring.keys[key_id]).decrypt(raw[:NONCE], raw[NONCE:], key_id.encode())
    except InvalidTag:
        raise CryptoError(f"data key does not unwrap with master key {key_id!r}") from None


def encrypt(ring: Keyring, plain: bytes) -> tuple[bytes, str, str]:
    """(sealed file bytes, key id, wrapped data key); unchanged bytes and empty ids when off."""
    if not ring.enabled:
        return plain, "", ""
    data_key = os.urandom(32)
    nonce = os.urandom(NONCE)
    blob = MAGIC + nonce + _aes(data_key).encrypt(nonce, plain, AAD)
    key_id, wrapped = wrap(ring, data_key)
    return blob, key_id, wrapped


def decrypt(ring: Keyring, blob: bytes, key_id: str, wrapped: str) -> bytes:
    from cryptography.exceptions import InvalidTag

    if not wrapped:
        return blob
    if blob[:4] != MAGIC:
        raise CryptoError("archive file is not in the encrypted format")
    data_key = unwrap(ring, key_id, wrapped)
    try:
        return _aes(data_key).decrypt(blob[4 : 4 + NONCE], blob[4 + NONCE :], AAD)
    except InvalidTag:
        raise CryptoError("archive file does not authenticate (corrupt or tampered)") from None
