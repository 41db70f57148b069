"""Listening to and downloading recordings: the audio source, HTTP Range (seek), and the audit.

The archive copy (Ogg/Opus, decrypted by recorder.storage.fetch) is served once it is stored and
verified; before that, the WAV Asterisk wrote. Every playback and download request is audited,
range requests included (a player seeking is still someone listening)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from sqlmodel import Session

from api.audit.service import record as audit
from centralita.errors import FieldError, NotFound
from recorder.models import Recording

CHUNK = 64 * 1024


class RangeNotSatisfiable(FieldError):
    status = 416


@dataclass
class Audio:
    media_type: str
    size: int
    suffix: str
    data: bytes | None = None  # the archive copy, decrypted in memory
    path: Path | None = None  # the WAV on disk

    def read(self, start: int, end: int):
        """Bytes start..end (inclusive), in chunks."""
        if self.data is not None:
            for i in range(start, end + 1, CHUNK):
                yield self.data[i : min(i + CHUNK, end + 1)]
            return
        if self.path is None:  # an Audio is built with either `data` or `path`
            raise ValueError("audio has neither data nor a path")
        with self.path.open("rb") as fh:
            fh.seek(start)
            left = end - start + 1
            while left > 0:
                chunk = fh.read(min(CHUNK, left))
                if not chunk:
                    break
                left -= len(chunk)
                yield chunk


def source(recording: Recording) -> Audio:
    """Where this recording's audio is now."""
    if recording.archive_verified_at is not None and recording.archive_key:
        from recorder import storage

        data = storage.fetch(recording)
        return Audio("audio/ogg", len(data), ".opus", data=data)
    wav = Path(recording.wav_path) if recording.wav_path else None
    if wav is not None and recording.wav_deleted_at is None and wav.is_file():
        return Audio("audio/wav", wav.stat().st_size, ".wav", path=wav)
    if recording.purged_at is not None:
        raise NotFound("recording", f"recording {recording.id} was purged on {recording.purged_at:%Y-%m-%d}")
    raise NotFound("recording", f"recording {recording.id} has no audio yet (stage {recording.stage})")


_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


def parse_range(header: str | None, size: int) -> tuple[int, int] | None:
    """(start, end) inclusive from a single-range `Range` header; None means the whole file.
    Several ranges are answered with the whole file, as RFC 9110 allows."""
    if not header:
        return None
    m = _RANGE.match(header.strip())
    if not m:
        if header.strip().startswith("bytes=") and "," in header:
            return None
        raise RangeNotSatisfiable("range", f"malformed Range header {header!r}")
    first, last = m.groups()
    if first == "" and last == "":
        raise RangeNotSatisfiable("range", f"malformed Range header {header!r}")
    if first == "":  # the last N bytes
        n = int(last)
        if n == 0:
            raise RangeNotSatisfiable("range", "empty suffix range")
        return max(0, size - n), size - 1
    start = int(first)
    end = min(int(last), size - 1) if last else size - 1
    if start >= size or end < start:
        raise RangeNotSatisfiable("range", f"bytes {header[6:]} outside 0-{size - 1}")
    return start, end


def audit_access(session: Session, action: str, recording: Recording, user, client: str, **detail) -> None:
    """recording.play / recording.download / recording.export, committed with the caller's session."""
    audit(
        session,
        action,
        user=user,
        target=f"recording:{recording.id}",
        client=client,
        detail={"uniqueid": recording.uniqueid, **detail},
    )
    session.commit()


def get_recording(session: Session, recording_id: int) -> Recording:
    row = session.get(Recording, recording_id)
    if row is None:
        raise NotFound("recording_id", f"no recording {recording_id}")
    return row
