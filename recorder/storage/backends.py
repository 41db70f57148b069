"""Where archive objects live: one small interface, a local directory or S3-compatible storage.

Object keys are deterministic per recording (see `object_key`), so storing again after a crash
overwrites the same object: one object per recording, however often a step is retried.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Protocol

from centralita.settings import Settings

COLD_CLASSES = ("GLACIER", "DEEP_ARCHIVE")  # not readable without a restore: verified first, then moved


class StorageError(RuntimeError):
    """The backend failed or the object is missing; the message names the backend and key."""


class Backend(Protocol):
    name: str

    def put(self, key: str, data: bytes) -> None: ...
    def get(self, key: str) -> bytes: ...
    def delete(self, key: str) -> None: ...
    def keys(self, prefix: str = "") -> list[str]: ...
    def finalize(self, key: str) -> None: ...


class LocalBackend:
    name = "local"

    def __init__(self, root: Path):
        self.root = Path(root)

    def _path(self, key: str) -> Path:
        path = (self.root / key).resolve()
        if self.root.resolve() not in path.parents:
            raise StorageError(f"local: key {key!r} escapes the archive directory")
        return path

    def put(self, key: str, data: bytes) -> None:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".part")
        with tmp.open("wb") as fh:  # written whole and synced, then renamed: never a half file
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        tmp.replace(path)

    def get(self, key: str) -> bytes:
        try:
            return self._path(key).read_bytes()
        except FileNotFoundError:
            raise StorageError(f"local: {key} is missing") from None

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    def keys(self, prefix: str = "") -> list[str]:
        if not self.root.is_dir():
            return []
        return sorted(
            str(p.relative_to(self.root))
            for p in self.root.rglob("*")
            if p.is_file() and not p.name.endswith(".part") and str(p.relative_to(self.root)).startswith(prefix)
        )

    def finalize(self, key: str) -> None:
        return None


class S3Backend:
    name = "s3"

    def __init__(self, settings: Settings):
        import boto3
        from botocore.config import Config

        if not settings.recorder_s3_bucket:
            raise StorageError("CENTRALITA_RECORDER_S3_BUCKET: required when CENTRALITA_RECORDER_STORAGE=s3")
        self.bucket = settings.recorder_s3_bucket
        self.prefix = settings.recorder_s3_prefix
        self.storage_class = settings.recorder_s3_storage_class
        timeout = settings.external_timeout
        self.client = boto3.client(
            "s3",
            endpoint_url=settings.recorder_s3_endpoint or None,
            region_name=settings.recorder_s3_region,
            aws_access_key_id=settings.recorder_s3_access_key or None,
            aws_secret_access_key=settings.recorder_s3_secret_key or None,
            config=Config(
                connect_timeout=timeout,
                read_timeout=max(timeout, 30.0),
                retries={"max_attempts": 3, "mode": "standard"},
            ),
        )

    def _call(self, what: str, key: str, fn, **kw):
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            return fn(Bucket=self.bucket, **kw)
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "")
            if code in ("NoSuchKey", "404"):
                raise StorageError(f"s3: {self.bucket}/{key} is missing") from None
            raise StorageError(f"s3: {what} {self.bucket}/{key}: {code or exc}") from None
        except BotoCoreError as exc:
            raise StorageError(f"s3: {what} {self.bucket}/{key}: {exc}") from None

    def put(self, key: str, data: bytes) -> None:
        # Cold classes cannot be read back at once: store in STANDARD, verify, then `finalize`.
        cls = "STANDARD" if self.storage_class in COLD_CLASSES else self.storage_class
        self._call("put", key, self.client.put_object, Key=self.prefix + key, Body=data, StorageClass=cls)

    def get(self, key: str) -> bytes:
        return self._call("get", key, self.client.get_object, Key=self.prefix + key)["Body"].read()

    def delete(self, key: str) -> None:
        self._call("delete", key, self.client.delete_object, Key=self.prefix + key)

    def keys(self, prefix: str = "") -> list[str]:
        out, token = [], None
        while True:
            kw = {"Prefix": self.prefix + prefix, **({"ContinuationToken": token} if token else {})}
            page = self._call("list", prefix, self.client.list_objects_v2, **kw)
            out += [o["Key"][len(self.prefix) :] for o in page.get("Contents", [])]
            if not page.get("IsTruncated"):
                return sorted(out)
            token = page["NextContinuationToken"]

    def finalize(self, key: str) -> None:
        """Move a verified object to a cold class with a server-side copy (no re-upload)."""
        if self.storage_class in COLD_CLASSES:
            full = self.prefix + key
            self._call(
                "copy",
                key,
                self.client.copy_object,
                Key=full,
                StorageClass=self.storage_class,
                CopySource={"Bucket": self.bucket, "Key": full},
                MetadataDirective="COPY",
            )


def archive_dir(settings: Settings) -> Path:
    return settings.recorder_archive_dir or settings.data_dir / "archive"


def backend(settings: Settings, name: str | None = None) -> Backend:
    """The configured backend, or the one a recording was stored in (`name`)."""
    name = name or settings.recorder_storage
    if name == "local":
        return LocalBackend(archive_dir(settings))
    if name == "s3":
        return S3Backend(settings)
    raise StorageError(f"unknown archive backend {name!r}")
