"""The offline steps a finished recording goes through, for one call, without any queue or database.

The job pipeline (next: a Redis-backed worker) runs these steps one by one so each can be retried;
`process_recording` runs them in order for the CLI and the benchmark. The stored transcript is
always the redacted one.
"""
from __future__ import annotations

from pathlib import Path

from recorder import analytics, archive, audio
from recorder.transcribe import Transcriber


def process_recording(wav: str | Path, archive_path: str | Path, transcriber: Transcriber,
                      language: str = "es", kbps: int = 16) -> dict:
    """Transcribe, analyse (redacting PII), encode the Opus archive and verify it. The WAV is left
    in place: deleting it is the pipeline's decision once the archive is stored elsewhere too."""
    legs = audio.load_legs(wav, rate=transcriber.rate)  # decoded once, for recognition and verification
    transcript = transcriber.transcribe_legs(legs)
    transcript, analysis = analytics.analyse(transcript, language)  # from here on, only the redacted one
    copy = archive.encode(wav, archive_path, kbps)
    report = archive.verify(wav, copy.path, copy.sha256, source=legs)
    return {
        "transcript": transcript.to_dict(),
        "analysis": analysis,
        "archive": {"path": str(copy.path), "sha256": copy.sha256, "bytes": copy.bytes,
                    "ratio": round(copy.ratio, 2), "legs": report},
    }
