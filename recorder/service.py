"""The offline steps for one recording in one call, without queue or database: `centralita
recorder ...` and tests use it. The job pipeline (recorder/pipeline/) runs the same steps one by
one, resumable, with the archive stored and the WAV deleted only after read-back verification.
The stored transcript is always the redacted one.
"""

from __future__ import annotations

from pathlib import Path

from recorder import analytics, archive
from recorder.pipeline import media
from recorder.transcribe import Transcriber


def process_recording(
    wav: str | Path, archive_path: str | Path, transcriber: Transcriber, language: str = "es", kbps: int = 16
) -> dict:
    """Transcribe, analyse (redacting PII), encode the Opus archive and verify it. The WAV is left
    in place: deleting it is the pipeline's decision once the archive is stored elsewhere too."""
    archive_path = Path(archive_path)
    # One ffmpeg run decodes the WAV for recognition and writes the archive copy.
    legs = media.decode_and_encode(Path(wav), transcriber.rate, archive_path, kbps)
    transcript = transcriber.transcribe_legs(legs)
    transcript, analysis = analytics.analyse(transcript, language)  # from here on, only the redacted one
    digest = archive.sha256(archive_path)
    report = archive.verify(wav, archive_path, digest, source=legs)
    size = archive_path.stat().st_size
    return {
        "transcript": transcript.to_dict(),
        "analysis": analysis,
        "archive": {
            "path": str(archive_path),
            "sha256": digest,
            "bytes": size,
            "ratio": round(Path(wav).stat().st_size / size, 2),
            "legs": report,
        },
    }
